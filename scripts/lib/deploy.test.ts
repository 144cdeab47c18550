import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultModelDir, readDefaultModelVersion } from "../../model-build/src/registry.js";
import { checkModelFiles, formatDeployReport, measureBundle, SIZE_LIMITS } from "./deploy.js";
import { deployArgs } from "./deploy-runner.js";

const MODEL_DIR = defaultModelDir();
const VERSION = readDefaultModelVersion();

describe("checkModelFiles", () => {
  it("accepts the committed default model", () => {
    const check = checkModelFiles(MODEL_DIR);
    expect(check.problems).toEqual([]);
    expect(check.ok).toBe(true);
    expect(check.actual_sha256).toBe(check.manifest_sha256);
    expect(check.version).toMatch(/\S/);
  });

  it("refuses a model whose bytes do not match the manifest, and says how to fix it", () => {
    const dir = mkdtempSync(join(tmpdir(), "model-"));
    copyFileSync(join(MODEL_DIR, "manifest.json"), join(dir, "manifest.json"));
    writeFileSync(join(dir, "model.onnx"), Buffer.from("not the model"));
    const check = checkModelFiles(dir);
    expect(check.ok).toBe(false);
    expect(check.problems.join("\n")).toMatch(/model\.onnx has sha256 [0-9a-f]{64} but the manifest says [0-9a-f]{64}: rebuild the model with `npm run model:build`/);
    expect(check.problems.join("\n")).toMatch(/bytes but the manifest says/);
  });

  it("says what is missing", () => {
    const dir = mkdtempSync(join(tmpdir(), "model-"));
    expect(checkModelFiles(dir).problems[0]).toMatch(/manifest\.json is missing: build a model with `npm run model:build`/);
    writeFileSync(join(dir, "manifest.json"), JSON.stringify({ version: "x", onnx: { file: "model.onnx", sha256: "ab" } }));
    expect(checkModelFiles(dir).problems[0]).toMatch(/model\.onnx \(named by the manifest\) is missing/);
  });
});

describe("measureBundle and the report", () => {
  it("sums raw and gzip sizes of what wrangler wrote, and compares with Cloudflare's limits", () => {
    const dir = mkdtempSync(join(tmpdir(), "bundle-"));
    writeFileSync(join(dir, "index.js"), "export default {};\n".repeat(1000));
    writeFileSync(join(dir, "index.js.map"), "{}");
    writeFileSync(join(dir, "README.md"), "wrangler's note");
    const size = measureBundle(dir);
    expect(size.files.map((f) => f.name)).toEqual(["index.js"]);
    expect(size.raw).toBe(19_000);
    expect(size.gzip).toBeLessThan(200);
    const lines = formatDeployReport({
      target: { env: "green", worker_name: "flash-api-green" },
      dry_run: true,
      selected: { version: VERSION, entry: `models/${VERSION}/entry.ts`, dir: MODEL_DIR, chosen_by: "--model", previous_pin: "0123456789ab" },
      pinned: false,
      model: checkModelFiles(MODEL_DIR),
      bundle: { ...size, gzip: SIZE_LIMITS.free + 1 },
      checks: [{ name: "validation case", status: "PASS", detail: "p=0.03", ms: 3 }],
      command: "npx wrangler deploy --env green",
      deployed: false,
    });
    expect(lines[0]).toBe(`DRY RUN: would deploy flash-api-green (wrangler env green) with model ${VERSION} (--model; was 0123456789ab)`);
    expect(lines.join("\n")).toContain(`wrangler.toml: [env.green] would be pinned to ${VERSION} (was 0123456789ab)`);
    expect(lines.join("\n")).toContain("over the free plan's 3 MB, within the paid plan's 10 MB");
    expect(lines.join("\n")).toContain("PASS validation case: p=0.03");
  });
});

describe("deployArgs", () => {
  const model = { version: "0123456789ab", entry: "models/0123456789ab/entry.ts", dir: "models/0123456789ab", chosen_by: "--model", previous_pin: null } as const;
  it("deploys a colour from its pin in wrangler.toml, and staging from the named entry", () => {
    expect(deployArgs({ env: "green", worker_name: "flash-api-green" }, model)).toEqual(["deploy", "--env", "green"]);
    expect(deployArgs({ env: "staging", worker_name: "flash-api-staging" }, model)).toEqual([
      "deploy",
      "models/0123456789ab/entry.ts",
      "--env",
      "staging",
      "--var",
      "FLASH_MODEL_VERSION:0123456789ab",
    ]);
  });
});
