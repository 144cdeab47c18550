/**
 * Builds a Worker exactly as `wrangler deploy` would (`wrangler deploy --dry-run --outdir`) and
 * describes it as Miniflare worker options, so the local stack, the router's tests and the
 * benchmark run the real bundles on workerd without wrangler dev's proxy in between.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { ModuleRuleType, WorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

const run = promisify(execFile);

/** The repository root (this file is tools/local-stack/build.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface BuildWorkerOptions {
  /** wrangler config, relative to the repository root. */
  readonly configPath: string;
  /** Output directory, relative to the repository root. */
  readonly outDir: string;
  /** wrangler environment (`--env`). */
  readonly env?: string;
  /**
   * The entry module instead of the config's `main` (wrangler's positional script), relative to
   * the repository: how a build picks a model version (models/<version>/entry.ts).
   */
  readonly entry?: string;
  /** Extra `--var NAME:value` pairs, as `wrangler deploy --var` takes them. */
  readonly vars?: Readonly<Record<string, string>>;
  readonly log?: (message: string) => void;
}

export interface BuiltWorker {
  readonly configPath: string;
  readonly outDir: string;
  /** The bundled entry script in outDir (wrangler names it after the entry module). */
  readonly scriptPath: string;
  /** Miniflare options for the bundle: script, modules, compatibility, bindings from the config. */
  readonly options: WorkerOptions;
}

/** wrangler must not call Cloudflare from here; callers may still override. */
export function localWranglerEnv(): NodeJS.ProcessEnv {
  return { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };
}

export async function buildWorker(options: BuildWorkerOptions): Promise<BuiltWorker> {
  const configPath = resolve(REPO_ROOT, options.configPath);
  const outDir = resolve(REPO_ROOT, options.outDir);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const wrangler = join(REPO_ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
  // The entry goes right after the command: --var takes several values and would swallow it.
  const args = [wrangler, "deploy", ...(options.entry ? [options.entry] : []), "--dry-run", "--outdir", outDir, "-c", configPath];
  if (options.env) args.push("--env", options.env);
  for (const [name, value] of Object.entries(options.vars ?? {})) args.push("--var", `${name}:${value}`);
  const started = Date.now();
  try {
    await run(process.execPath, args, { cwd: REPO_ROOT, env: localWranglerEnv(), maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`building ${options.configPath} failed (wrangler deploy --dry-run):\n${e.stderr || e.stdout || e.message}`);
  }
  const fromConfig = unstable_getMiniflareWorkerOptions(configPath, options.env);
  // wrangler names the bundle after its entry module (worker/src/index.ts -> index.js).
  const main = options.entry ?? fromConfig.main ?? "index.ts";
  const scriptPath = join(outDir, `${basename(main).replace(/\.[cm]?[jt]sx?$/, "")}.js`);
  if (!existsSync(scriptPath)) throw new Error(`wrangler wrote no ${scriptPath}`);
  options.log?.(`built ${options.configPath}${options.env ? ` (env ${options.env})` : ""}${options.entry ? ` from ${options.entry}` : ""} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const { modulesRules, ...base } = fromConfig.workerOptions;
  // List the modules explicitly: Miniflare cannot follow the bundle's dynamic import()s itself.
  const modules = listModules(outDir, scriptPath, (modulesRules ?? []).map((r) => ({ type: r.type, include: r.include })));
  return {
    configPath,
    outDir,
    scriptPath,
    // Vars are bindings, not part of the bundle: what `--var` gives wrangler deploy, the local run gets too.
    options: { ...(base as WorkerOptions), bindings: { ...((base as WorkerOptions).bindings ?? {}), ...options.vars }, modulesRoot: outDir, modules } as WorkerOptions,
  };
}

interface Rule {
  readonly type: ModuleRuleType;
  readonly include: readonly string[];
}

const DEFAULT_TYPES: Record<string, ModuleRuleType> = {
  ".js": "ESModule",
  ".mjs": "ESModule",
  ".cjs": "CommonJS",
  ".wasm": "CompiledWasm",
  ".bin": "Data",
  ".txt": "Text",
  ".html": "Text",
};

/** The type of a bundled file: the first rule whose `**\/*.ext` glob matches, else by extension. */
function moduleType(file: string, rules: readonly Rule[]): ModuleRuleType | null {
  for (const rule of rules) {
    for (const glob of rule.include) {
      const m = /^\*\*\/\*(\.[\w.]+)$/.exec(glob);
      if (m && file.endsWith(m[1]!)) return rule.type;
    }
  }
  const ext = /\.[^.]+$/.exec(file)?.[0] ?? "";
  return DEFAULT_TYPES[ext] ?? null;
}

function listModules(outDir: string, scriptPath: string, rules: readonly Rule[]): Array<{ type: ModuleRuleType; path: string }> {
  const files = readdirSync(outDir).filter((f) => f !== "README.md" && !f.endsWith(".map"));
  const modules: Array<{ type: ModuleRuleType; path: string }> = [{ type: "ESModule", path: scriptPath }];
  for (const file of files) {
    if (join(outDir, file) === scriptPath) continue;
    const type = moduleType(file, rules);
    if (type === null) throw new Error(`no module rule for ${file} in ${outDir}: add one to the wrangler config`);
    modules.push({ type, path: join(outDir, file) });
  }
  return modules;
}

/** KEY=value lines of a .dev.vars file (no interpolation; quotes around a value are removed). */
export function parseDevVars(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    out[key] = value;
  }
  return out;
}

/**
 * Local secrets: .dev.vars.example (the documented development values) overlaid by .dev.vars
 * when a developer has one, so a fresh clone works without creating any file.
 */
export function readLocalSecrets(): Record<string, string> {
  return { ...readDevVarsFile(".dev.vars.example"), ...readDevVarsFile(".dev.vars") };
}

/** One dev-vars file of the repository root, or {} when it does not exist. */
export function readDevVarsFile(name: ".dev.vars" | ".dev.vars.example"): Record<string, string> {
  const path = join(REPO_ROOT, name);
  return existsSync(path) ? parseDevVars(readFileSync(path, "utf8")) : {};
}
