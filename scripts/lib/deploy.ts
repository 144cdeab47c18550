/**
 * `npm run deploy`: build the API Worker for a colour (or staging) exactly as `wrangler deploy`
 * would, check the bundled model's bytes against its manifest, run the v1 validation case and the
 * smoke checks against the built bundle on workerd (Miniflare), and only then
 * `wrangler deploy --env <colour>`.
 *
 * The local check runs the bundle with its environment's own vars (production for blue and green,
 * so fault injection is off) and a throwaway API key that exists only in that local run.
 */

import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { CommandSpec } from "./cli.js";
import type { SmokeCheck } from "./smoke-checks.js";
import { ROUTER_OPTIONS } from "./config.js";

export const DEPLOY_SPEC: CommandSpec = {
  name: "deploy",
  summary: "build the API for a colour, check the model and the v1 validation case on the built Worker, then wrangler deploy",
  usage: "npm run deploy -- [--color blue|green | --staging] [--model <version>] [--dry-run] [options]",
  description: [
    "1. picks the model: --model (a version in models/, a unique prefix of one, or \"default\"), else what",
    "   the colour serves now (its pin in wrangler.toml: [env.<colour>] main = models/<version>/entry.ts);",
    "2. checks models/<version>/model.onnx against its manifest (sha256 and size);",
    "3. builds that model's Worker with `wrangler deploy --dry-run --outdir` for the environment;",
    "4. runs the built bundle on workerd with the environment's vars and a throwaway key: /health (serving",
    "   that version), the v1 validation case, the response contract, a bad input and a missing key must pass;",
    "5. pins the colour to the model in wrangler.toml (main and FLASH_MODEL_VERSION; commit the change) and",
    "   runs `wrangler deploy --env <colour>` (needs CLOUDFLARE_API_TOKEN); a failed upload puts the old pin",
    "   back. --dry-run stops after step 4, changes no file and prints what would be deployed.",
  ].join("\n"),
  options: [
    { name: "color", type: "string", placeholder: "blue|green", description: "the colour to deploy", defaultText: "the router's current candidate colour" },
    { name: "model", type: "string", placeholder: "<version>", description: "the model version to bundle (`npm run models -- list`)", defaultText: "what the colour is pinned to now (staging: the default model)" },
    { name: "staging", type: "boolean", description: "deploy the staging environment instead of a colour" },
    { name: "dry-run", type: "boolean", description: "build and check, print what would be deployed, deploy nothing" },
    ...ROUTER_OPTIONS,
    { name: "json", type: "boolean", description: "print the plan and checks as JSON" },
  ],
  env: [
    ["CLOUDFLARE_API_TOKEN", "for the real deploy (wrangler's own variable)"],
    ["FLASH_ROUTER_URL", "the router, to find the candidate colour when --color is not given"],
  ],
  exitCodes: [
    [0, "deployed (or, with --dry-run, every check passed)"],
    [1, "a check failed or wrangler deploy failed: nothing was deployed unless wrangler says so"],
    [2, "usage error"],
  ],
  examples: [
    "npm run deploy -- --color green --model 3f9c2a1b7d4e --dry-run",
    "npm run deploy -- --color green --model 3f9c2a1b7d4e",
    "npm run deploy -- --color green                # redeploy what green is pinned to",
    "npm run deploy -- --staging --model 3f9c2a1b7d4e",
  ],
};

export interface ModelFilesCheck {
  ok: boolean;
  dir: string;
  version: string | null;
  manifest_sha256: string | null;
  actual_sha256: string | null;
  manifest_bytes: number | null;
  actual_bytes: number | null;
  problems: string[];
}

/** The model's bytes against its manifest: what the Worker itself checks on first load, earlier. */
export function checkModelFiles(dir: string): ModelFilesCheck {
  const out: ModelFilesCheck = { ok: false, dir, version: null, manifest_sha256: null, actual_sha256: null, manifest_bytes: null, actual_bytes: null, problems: [] };
  const manifestPath = join(dir, "manifest.json");
  if (!existsSync(manifestPath)) {
    out.problems.push(`${manifestPath} is missing: build a model with \`npm run model:build\``);
    return out;
  }
  let manifest: { version?: unknown; onnx?: { file?: unknown; sha256?: unknown; bytes?: unknown } };
  try {
    manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as typeof manifest;
  } catch (error) {
    out.problems.push(`${manifestPath} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
    return out;
  }
  out.version = typeof manifest.version === "string" ? manifest.version : null;
  out.manifest_sha256 = typeof manifest.onnx?.sha256 === "string" ? manifest.onnx.sha256.toLowerCase() : null;
  out.manifest_bytes = typeof manifest.onnx?.bytes === "number" ? manifest.onnx.bytes : null;
  const file = typeof manifest.onnx?.file === "string" ? manifest.onnx.file : "model.onnx";
  const onnxPath = join(dir, file);
  if (!existsSync(onnxPath)) {
    out.problems.push(`${onnxPath} (named by the manifest) is missing`);
    return out;
  }
  const bytes = readFileSync(onnxPath);
  out.actual_sha256 = createHash("sha256").update(bytes).digest("hex");
  out.actual_bytes = bytes.length;
  if (out.version === null) out.problems.push("the manifest has no version");
  if (out.manifest_sha256 === null) out.problems.push("the manifest has no onnx.sha256");
  else if (out.manifest_sha256 !== out.actual_sha256) {
    out.problems.push(`${file} has sha256 ${out.actual_sha256} but the manifest says ${out.manifest_sha256}: rebuild the model with \`npm run model:build\` or restore both files from the same build`);
  }
  if (out.manifest_bytes !== null && out.manifest_bytes !== out.actual_bytes) {
    out.problems.push(`${file} has ${out.actual_bytes} bytes but the manifest says ${out.manifest_bytes}`);
  }
  out.ok = out.problems.length === 0;
  return out;
}

export interface BundleSize {
  raw: number;
  gzip: number;
  files: Array<{ name: string; raw: number; gzip: number }>;
}

/** Raw and gzip size of a built Worker (every file wrangler wrote except maps and its README). */
export function measureBundle(outDir: string): BundleSize {
  const files = readdirSync(outDir)
    .filter((f) => !f.endsWith(".map") && f !== "README.md" && statSync(join(outDir, f)).isFile())
    .sort()
    .map((name) => {
      const bytes = readFileSync(join(outDir, name));
      return { name, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
    });
  return { raw: files.reduce((s, f) => s + f.raw, 0), gzip: files.reduce((s, f) => s + f.gzip, 0), files };
}

/** Cloudflare's compressed Worker size limits. */
export const SIZE_LIMITS = { free: 3 * 1024 * 1024, paid: 10 * 1024 * 1024 };

export interface DeployTarget {
  /** The wrangler environment: "blue", "green" or "staging". */
  env: "blue" | "green" | "staging";
  worker_name: string;
}

/** The model a deploy bundles and where the choice came from. */
export interface DeployModel {
  version: string;
  /** The entry module wrangler bundles (models/<version>/entry.ts), relative to the repository. */
  entry: string;
  /** The version's directory (its model.onnx and manifest are checked before the build). */
  dir: string;
  /** "--model", or "pin" (the colour's current pin), or "default" (staging without --model). */
  chosen_by: "--model" | "pin" | "default";
  /** The colour's pin before this deploy (null for staging). */
  previous_pin: string | null;
}

export interface DeployReport {
  target: DeployTarget;
  dry_run: boolean;
  selected: DeployModel;
  /** True once wrangler.toml pins the colour to the selected model (never on --dry-run). */
  pinned: boolean;
  model: ModelFilesCheck;
  bundle: BundleSize | null;
  checks: SmokeCheck[];
  command: string;
  deployed: boolean;
}

export function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(2)} MB`;
}

function describeChoice(m: DeployModel): string {
  if (m.chosen_by === "--model") return m.previous_pin === null || m.previous_pin === m.version ? "--model" : `--model; was ${m.previous_pin}`;
  return m.chosen_by === "pin" ? "its current pin" : "the default model";
}

export function formatDeployReport(r: DeployReport): string[] {
  const lines = [
    `${r.dry_run ? "DRY RUN: would deploy" : r.deployed ? "deployed" : "NOT deployed"} ${r.target.worker_name} (wrangler env ${r.target.env}) with model ${r.selected.version} (${describeChoice(r.selected)})`,
    `  model ${r.model.version ?? "?"} sha256 ${r.model.actual_sha256 ?? "?"} (${r.model.ok ? "matches its manifest" : "DOES NOT match its manifest"})`,
  ];
  if (r.bundle) {
    const plan = r.bundle.gzip <= SIZE_LIMITS.free ? "within the free plan's 3 MB" : r.bundle.gzip <= SIZE_LIMITS.paid ? "over the free plan's 3 MB, within the paid plan's 10 MB" : "OVER the paid plan's 10 MB";
    lines.push(`  bundle ${mb(r.bundle.raw)} raw, ${mb(r.bundle.gzip)} gzip (${plan}): ${r.bundle.files.map((f) => `${f.name} ${mb(f.raw)}`).join(", ")}`);
  }
  for (const c of r.checks) lines.push(`  ${c.status.padEnd(4)} ${c.name}: ${c.detail}`);
  if (r.target.env !== "staging") {
    const change = r.selected.previous_pin === r.selected.version ? `stays pinned to ${r.selected.version}` : `pinned to ${r.selected.version} (was ${r.selected.previous_pin ?? "unpinned"})`;
    lines.push(`  wrangler.toml: [env.${r.target.env}] ${r.pinned ? change : r.dry_run ? `would be ${change}` : "unchanged"}`);
  }
  lines.push(`  command: ${r.command}`);
  return lines;
}
