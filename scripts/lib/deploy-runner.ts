/**
 * The I/O half of `npm run deploy`: build with wrangler (tools/local-stack/build.ts, the same
 * build the local stack runs), start the bundle on workerd through Miniflare with a throwaway
 * API key, run the smoke checks against it, then hand over to `wrangler deploy`.
 */

import { spawn } from "node:child_process";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { buildWorker, localWranglerEnv, REPO_ROOT } from "../../tools/local-stack/build.js";
import { generateApiKey, hashApiKey } from "../../worker/src/auth/api-keys.js";
import { checkModelFiles, measureBundle, type DeployModel, type DeployReport, type DeployTarget } from "./deploy.js";
import { writeColorPin, type WritePinResult } from "./wrangler-pins.js";
import { runSmoke, type SmokeCheck } from "./smoke-checks.js";

export interface RunDeployOptions {
  target: DeployTarget;
  /** The model to bundle (resolved by the caller: --model, the colour's pin or the default). */
  model: DeployModel;
  dryRun: boolean;
  log?: (line: string) => void;
  /** Where the build goes, relative to the repository root. */
  outDir?: string;
}

/** Starts a built Worker on a free local port with one valid throwaway key, runs the smoke checks. */
export async function checkBuiltWorker(options: Record<string, unknown>, log?: (line: string) => void, expectedModelVersion?: string): Promise<SmokeCheck[]> {
  const key = generateApiKey();
  const now = new Date();
  const keys = {
    version: 1,
    keys: [{ id: "key_deploycheck", name: "deploy check (local run only)", sha256: await hashApiKey(key), created_at: now.toISOString(), expires_at: new Date(now.getTime() + 3_600_000).toISOString(), rate_limit: "unlimited" }],
  };
  const bindings = { ...((options.bindings as Record<string, unknown> | undefined) ?? {}), FLASH_API_KEYS: JSON.stringify(keys) };
  // The Worker's request logs never reach stdout, which carries `--json`'s report: errors and
  // warnings to stderr, the rest through `log` (quiet with --json).
  const handleStructuredLogs = ({ level, message }: { level: string; message: string }) => {
    if (level === "error" || level === "warn") process.stderr.write(`worker ${level}: ${message}\n`);
    else log?.(`worker: ${message}`);
  };
  const mf = new Miniflare({ ...(options as object), bindings, port: 0, host: "127.0.0.1", handleStructuredLogs } as ConstructorParameters<typeof Miniflare>[0]);
  try {
    const url = await mf.ready;
    log?.(`running the built Worker at ${url.origin} for the checks`);
    return await runSmoke({ url: url.origin, apiKey: key, timeoutMs: 30_000, ...(expectedModelVersion ? { expectedModelVersion } : {}) });
  } finally {
    await mf.dispose();
  }
}

/** The wrangler deploy arguments: a colour deploys its pin from wrangler.toml; staging names the entry. */
export function deployArgs(target: DeployTarget, model: DeployModel): string[] {
  if (target.env !== "staging") return ["deploy", "--env", target.env];
  // The entry right after the command: --var takes several values and would swallow it.
  return ["deploy", model.entry, "--env", "staging", "--var", `FLASH_MODEL_VERSION:${model.version}`];
}

export async function runDeploy(o: RunDeployOptions): Promise<DeployReport> {
  const log = o.log ?? (() => undefined);
  const args = deployArgs(o.target, o.model);
  const command = `npx wrangler ${args.join(" ")}`;
  const report: DeployReport = {
    target: o.target,
    dry_run: o.dryRun,
    selected: o.model,
    pinned: false,
    model: checkModelFiles(o.model.dir),
    bundle: null,
    checks: [],
    command,
    deployed: false,
  };
  log(`model: ${report.model.ok ? `${report.model.version} (sha256 matches the manifest)` : report.model.problems.join("; ")}`);
  if (!report.model.ok) return report;

  log(`building ${o.target.worker_name} with model ${o.model.version} (wrangler env ${o.target.env}, ${o.model.entry})...`);
  const built = await buildWorker({
    configPath: "wrangler.toml",
    outDir: o.outDir ?? join("dist", `deploy-${o.target.env}`),
    env: o.target.env,
    entry: o.model.entry,
    vars: { FLASH_MODEL_VERSION: o.model.version },
    log,
  });
  report.bundle = measureBundle(built.outDir);
  log("checking the built Worker on workerd: health, the v1 validation case, the response contract, a bad input, a missing key...");
  report.checks = (await checkBuiltWorker(built.options as Record<string, unknown>, log, o.model.version)).filter((c) => c.status !== "SKIP");
  if (report.checks.some((c) => c.status === "FAIL") || o.dryRun) return report;

  // The pin goes in first: `wrangler deploy --env <colour>` bundles what wrangler.toml names.
  let pin: WritePinResult | undefined;
  if (o.target.env !== "staging") {
    pin = writeColorPin(o.target.env, o.model.version);
    report.pinned = true;
    log(`wrangler.toml: [env.${o.target.env}] ${pin.changed ? `now pins ${o.model.version} (was ${pin.previous.version ?? "unpinned"})` : `already pins ${o.model.version}`}`);
  }
  log(`running ${command}`);
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, "node_modules", "wrangler", "bin", "wrangler.js"), ...args], {
      cwd: REPO_ROOT,
      stdio: "inherit",
      env: { ...localWranglerEnv(), WRANGLER_SEND_METRICS: "false" },
    });
    child.on("close", (c) => resolve(c ?? 1));
    child.on("error", () => resolve(1));
  });
  report.deployed = code === 0;
  if (!report.deployed && pin?.changed) {
    pin.restore();
    report.pinned = false;
    log(`wrangler.toml: [env.${o.target.env}] put back to ${pin.previous.version ?? "its previous main"} (nothing was deployed)`);
  }
  return report;
}
