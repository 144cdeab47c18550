/**
 * The model registry: every model version the project can serve, in the repository.
 *
 *   models/<version>/model.onnx      the file the Worker serves
 *   models/<version>/manifest.json   what it is (core/manifest.ts)
 *   models/<version>/MODEL_CARD.md   for people
 *   models/<version>/entry.ts        the API Worker bundling exactly these files
 *   models/default.ts                the default version: one re-export naming it
 *
 * The default is a pointer, not a copy: a one-line module that re-exports a version's entry, so
 * wrangler (the top-level `main`), the Workers test pool and TypeScript follow it with no build
 * step, and it survives git on every platform (no symlink). A colour is pinned to a version by
 * its own `main` in wrangler.toml (scripts/lib/wrangler-pins.ts), so `wrangler deploy --env green`
 * bundles what the pin says, and nothing else.
 */

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { AnyModelManifest } from "../../core/manifest.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The repository's models/ (this file is model-build/src/registry.ts). */
export const MODELS_DIR = join(REPO_ROOT, "models");

/** The module every entry imports (the API Worker around one model). */
const WORKER_MODULE = join(REPO_ROOT, "worker", "src", "index.js");

/** A path relative to the repository, with forward slashes (as wrangler.toml and module paths spell them). */
function fromRepo(path: string): string {
  return relative(REPO_ROOT, path).split(sep).join("/");
}

export const DEFAULT_POINTER = "default.ts";
export const ENTRY_FILE = "entry.ts";

/** Version names are directory names and parts of module paths: keep them plain. */
const VERSION_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export class RegistryError extends Error {
  override readonly name = "RegistryError";
}

export function checkVersionName(version: string): void {
  if (!VERSION_PATTERN.test(version) || version === "default") {
    throw new RegistryError(`model version ${JSON.stringify(version)} is not a valid name: lower-case letters, digits, '.', '_' and '-', at most 64, not "default"`);
  }
}

export function modelDir(version: string, modelsDir = MODELS_DIR): string {
  checkVersionName(version);
  return join(modelsDir, version);
}

/** The entry module of a version, as wrangler.toml's `main` names it (relative to the repository). */
export function modelEntryPath(version: string, modelsDir = MODELS_DIR): string {
  return fromRepo(join(modelDir(version, modelsDir), ENTRY_FILE));
}

/** Versions in the registry (directories with a manifest), sorted by name. */
export function listModelVersions(modelsDir = MODELS_DIR): string[] {
  if (!existsSync(modelsDir)) return [];
  return readdirSync(modelsDir)
    .filter((name) => VERSION_PATTERN.test(name) && statSync(join(modelsDir, name)).isDirectory() && existsSync(join(modelsDir, name, "manifest.json")))
    .sort();
}

const POINTER_PATTERN = /from\s+"\.\/([^/"]+)\/entry\.js"/;

/** The version models/default.ts points at. */
export function readDefaultModelVersion(modelsDir = MODELS_DIR): string {
  const path = join(modelsDir, DEFAULT_POINTER);
  if (!existsSync(path)) throw new RegistryError(`${path} is missing: set a default with \`npm run models -- default <version>\``);
  const match = POINTER_PATTERN.exec(readFileSync(path, "utf8"));
  if (!match) throw new RegistryError(`${path} does not re-export a version's entry.js: set it again with \`npm run models -- default <version>\``);
  return match[1]!;
}

/** The default version's directory. */
export function defaultModelDir(modelsDir = MODELS_DIR): string {
  return requireModelVersion(readDefaultModelVersion(modelsDir), modelsDir);
}

export function renderDefaultPointer(version: string): string {
  checkVersionName(version);
  return [
    "// The default model version: what `npm start`, the tests and local `wrangler dev` serve.",
    "// A pointer, not a copy; `npm run models -- default <version>` rewrites it.",
    `export { default, model } from "./${version}/entry.js";`,
    "",
  ].join("\n");
}

export function setDefaultModelVersion(version: string, modelsDir = MODELS_DIR): void {
  requireModelVersion(version, modelsDir);
  writeFileSync(join(modelsDir, DEFAULT_POINTER), renderDefaultPointer(version));
}

/**
 * The entry module of a version: the API Worker with exactly this directory's files bundled.
 * The same few lines for every version, so the only thing a version directory says is its model.
 */
export function renderModelEntry(version: string, modelsDir = MODELS_DIR): string {
  const dir = modelDir(version, modelsDir);
  const worker = relative(dir, WORKER_MODULE).split(sep).join("/");
  return [
    `// The API Worker serving model ${version}, written by model-build: wrangler.toml's \`main\` names`,
    "// this file to pin a colour to this model (see model-build/src/registry.ts).",
    `import { createModelWorker } from "${worker.startsWith(".") ? worker : `./${worker}`}";`,
    'import onnx from "./model.onnx";',
    'import manifest from "./manifest.json";',
    'import card from "./MODEL_CARD.md";',
    "",
    "export const model = { onnx, manifest: manifest as unknown, card };",
    "export default createModelWorker(model);",
    "",
  ].join("\n");
}

/** Which versions exist, for error messages. */
function describeVersions(modelsDir: string): string {
  const versions = listModelVersions(modelsDir);
  return versions.length === 0 ? "the registry is empty" : `known: ${versions.join(", ")}`;
}

/** Throws a RegistryError that lists the known versions when `version` is not in the registry. */
export function requireModelVersion(version: string, modelsDir = MODELS_DIR): string {
  const dir = modelDir(version, modelsDir);
  if (!existsSync(join(dir, "manifest.json"))) {
    throw new RegistryError(`model ${version} is not in the registry (${describeVersions(modelsDir)}); build one with \`npm run model:build\` or \`npm run model:import\``);
  }
  return dir;
}

/** "default" or a version (or a unique prefix of one) -> the version. */
export function resolveModelVersion(ref: string, modelsDir = MODELS_DIR): string {
  if (ref === "default") return readDefaultModelVersion(modelsDir);
  const versions = listModelVersions(modelsDir);
  if (versions.includes(ref)) return ref;
  const matches = versions.filter((v) => v.startsWith(ref));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new RegistryError(`model ${JSON.stringify(ref)} is ambiguous: ${matches.join(", ")}`);
  requireModelVersion(ref, modelsDir);
  return ref;
}

export function readModelManifest(version: string, modelsDir = MODELS_DIR): AnyModelManifest {
  const path = join(requireModelVersion(version, modelsDir), "manifest.json");
  try {
    return JSON.parse(readFileSync(path, "utf8")) as AnyModelManifest;
  } catch (error) {
    throw new RegistryError(`${path} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export interface WriteModelVersionOptions {
  readonly manifest: AnyModelManifest;
  /** The ONNX file the Worker serves (its name comes from manifest.onnx.file). */
  readonly onnx: Uint8Array;
  readonly card: string;
  /** Default: the repository's models/. */
  readonly modelsDir?: string;
  /** Write into this directory instead of the registry (no entry.ts: only registry versions deploy). */
  readonly outDir?: string;
  /** Replace an existing version directory (same version = same ONNX bytes, so this only refreshes the manifest and card). */
  readonly overwrite?: boolean;
}

export interface WriteModelVersionResult {
  readonly version: string;
  readonly dir: string;
  readonly files: readonly string[];
  /** True when the directory is in the registry (it has an entry and can be deployed). */
  readonly inRegistry: boolean;
}

/** Write a model's files: into models/<version>/ (with its entry) or into `outDir`. */
export function writeModelVersion(options: WriteModelVersionOptions): WriteModelVersionResult {
  const { manifest } = options;
  const modelsDir = options.modelsDir ?? MODELS_DIR;
  const inRegistry = options.outDir === undefined || resolve(options.outDir) === resolve(modelsDir, manifest.version);
  const dir = inRegistry ? modelDir(manifest.version, modelsDir) : resolve(options.outDir!);
  if (inRegistry && existsSync(join(dir, "manifest.json")) && !options.overwrite) {
    const existing = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Partial<AnyModelManifest>;
    if (existing.onnx?.sha256 !== manifest.onnx.sha256) {
      throw new RegistryError(`models/${manifest.version} already holds another model (sha256 ${existing.onnx?.sha256}); choose another --model-version`);
    }
  }
  mkdirSync(dir, { recursive: true });
  const files: Array<[string, string | Uint8Array]> = [
    [manifest.onnx.file, options.onnx],
    ["manifest.json", `${JSON.stringify(manifest, null, 2)}\n`],
    ["MODEL_CARD.md", options.card],
  ];
  if (inRegistry) files.push([ENTRY_FILE, renderModelEntry(manifest.version, modelsDir)]);
  for (const [name, content] of files) writeFileSync(join(dir, name), content);
  return { version: manifest.version, dir, files: files.map(([name]) => join(dir, name)), inRegistry };
}

export interface RemoveModelVersionOptions {
  readonly modelsDir?: string;
  /** Versions a colour is pinned to or serves (wrangler.toml, the router): refused unless forced. */
  readonly inUse?: ReadonlyMap<string, string>;
  readonly force?: boolean;
}

/** Delete a version directory; never the default, and not one in use unless forced. */
export function removeModelVersion(version: string, options: RemoveModelVersionOptions = {}): string {
  const modelsDir = options.modelsDir ?? MODELS_DIR;
  const dir = requireModelVersion(version, modelsDir);
  if (readDefaultModelVersion(modelsDir) === version) {
    throw new RegistryError(`model ${version} is the default: point the default elsewhere first (\`npm run models -- default <version>\`)`);
  }
  const use = options.inUse?.get(version);
  if (use && !options.force) throw new RegistryError(`model ${version} is in use (${use}): deploy another model there first, or pass --force`);
  rmSync(dir, { recursive: true, force: true });
  return dir;
}
