/**
 * `npm run deploy -- --color green --dry-run` for real: wrangler builds the API as it would for
 * `wrangler deploy --env green`, the built bundle runs on workerd with green's production vars and
 * a throwaway key, and the report says what would be deployed. Nothing reaches Cloudflare.
 */

import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { modelDir, modelEntryPath } from "../model-build/src/registry.js";
import { runModelBuild } from "../model-build/src/run-build.js";
import type { DeployReport } from "./lib/deploy.js";
import { runDeploy } from "./lib/deploy-runner.js";

const ROOT = join(import.meta.dirname, "..");
const TSX = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");

function deploy(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [TSX, join(ROOT, "scripts", "deploy.ts"), ...args],
      { cwd: ROOT, timeout: 240_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, CLOUDFLARE_API_TOKEN: "" } },
      (error, out, err) => resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout: out, stderr: err }),
    );
  });
}

describe("npm run deploy -- --dry-run", () => {
  it("builds green, checks the model and runs the v1 validation case on the built Worker, deploys nothing", async () => {
    const config = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
    const { code, stdout, stderr } = await deploy(["--color", "green", "--dry-run", "--json"]);
    const report = JSON.parse(stdout) as DeployReport;
    // Without --model, green redeploys what wrangler.toml pins it to; a dry run changes no file.
    const pinned = /\[env\.green\][^[]*?main = "models\/([^/]+)\/entry\.ts"/.exec(config)![1]!;
    expect(report.selected).toMatchObject({ version: pinned, entry: `models/${pinned}/entry.ts`, chosen_by: "pin", previous_pin: pinned });
    expect(report.pinned).toBe(false);
    expect(readFileSync(join(ROOT, "wrangler.toml"), "utf8")).toBe(config);
    expect(report.model.version).toBe(pinned);
    expect(report.target).toEqual({ env: "green", worker_name: "flash-api-green" });
    expect(report.dry_run).toBe(true);
    expect(report.deployed).toBe(false);
    expect(report.command).toBe("npx wrangler deploy --env green");
    expect(report.model.ok).toBe(true);
    expect(report.bundle!.files.some((f) => f.name.endsWith(".wasm"))).toBe(true);
    expect(report.bundle!.files.some((f) => f.name.endsWith(".onnx"))).toBe(true);
    expect(report.bundle!.gzip).toBeLessThan(10 * 1024 * 1024);
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(Object.keys(byName)).toEqual(["health", "validation case", "response contract", "bad input", "missing key"]);
    expect(byName.health!.detail).toContain("colour green");
    expect(byName.health!.detail).toContain(`model ${pinned}`);
    expect(byName["validation case"]!.status, byName["validation case"]!.detail).toBe("PASS");
    // The exit code follows the checks: 0 when every one passed, 1 (nothing deployed) otherwise.
    const allPassed = report.checks.every((c) => c.status === "PASS");
    expect(code, stderr).toBe(allPassed ? 0 : 1);
    if (!allPassed) expect(stderr).toContain("the built Worker failed its checks: nothing was deployed");
  }, 240_000);

  it("refuses a model that is not in the registry before building anything, naming the known ones", async () => {
    const { code, stderr } = await deploy(["--color", "green", "--model", "nope", "--dry-run"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/model nope is not in the registry \(known: [0-9a-z]/);
  });

  it("bundles the chosen model, not the colour's pin, and the built Worker serves it under that version", async () => {
    const registry = mkdtempSync(join(tmpdir(), "deploy-models-"));
    try {
      const built = await runModelBuild({ data: { kind: "synthetic", rows: 2_000 }, seed: 11, modelsDir: registry, gbdt: { maxIterations: 20 } });
      const version = built.manifest.version;
      const config = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
      const report = await runDeploy({
        target: { env: "green", worker_name: "flash-api-green" },
        model: { version, entry: modelEntryPath(version, registry), dir: modelDir(version, registry), chosen_by: "--model", previous_pin: null },
        dryRun: true,
        outDir: join("dist", "deploy-test-model"),
      });
      expect(report.model.ok, report.model.problems.join("; ")).toBe(true);
      const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
      expect(byName.health, byName.health?.detail).toMatchObject({ status: "PASS" });
      expect(byName.health!.detail).toContain(`model ${version}`);
      expect(byName["validation case"]!.status).toBe("PASS");
      expect(report.pinned).toBe(false);
      expect(readFileSync(join(ROOT, "wrangler.toml"), "utf8")).toBe(config);
    } finally {
      rmSync(registry, { recursive: true, force: true });
    }
  }, 240_000);
});
