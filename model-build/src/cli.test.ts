import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parseCliArgs } from "./cli.js";
import { DEFAULT_GBDT_OPTIONS } from "./gbdt.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const tsx = join(root, "node_modules/.bin/tsx");

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(tsx, ["model-build/src/cli.ts", ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("parseCliArgs", () => {
  it("defaults to 100,000 synthetic rows, seed 42, a new version in the registry", () => {
    const parsed = parseCliArgs([]);
    expect(parsed).toMatchObject({ data: { kind: "synthetic", rows: 100_000 }, seed: 42, json: false });
    expect(parsed).not.toHaveProperty("outDir");
    expect(parsed).not.toHaveProperty("setDefault");
    expect(parseCliArgs(["--set-default"])).toMatchObject({ setDefault: true });
  });

  it("reads every option", () => {
    expect(
      parseCliArgs(["--data", "x.csv", "--max-bad-share", "0.05", "--seed", "7", "--out", "o", "--max-trees", "50", "--learning-rate", "0.2", "--max-depth", "4", "--name", "n", "--model-version", "v1", "--write-csv", "d.csv", "--json"]),
    ).toEqual({
      data: { kind: "csv", path: "x.csv", maxBadShare: 0.05 },
      seed: 7,
      outDir: "o",
      name: "n",
      version: "v1",
      csvOut: "d.csv",
      gbdt: { maxIterations: 50, learningRate: 0.2, maxDepth: 4 },
      json: true,
    });
    expect(parseCliArgs(["--synthetic", "500", "--dry-run"])).toMatchObject({ data: { kind: "synthetic", rows: 500 }, outDir: null });
    expect(parseCliArgs(["--help"])).toBe("help");
  });

  it("explains what is wrong with bad arguments", () => {
    expect(() => parseCliArgs(["--data", "a.csv", "--synthetic", "10"])).toThrow("give either --data or --synthetic, not both");
    expect(() => parseCliArgs(["--synthetic", "ten"])).toThrow('--synthetic must be an integer from 200 to 5000000, got "ten"');
    expect(() => parseCliArgs(["--seed", "1.5"])).toThrow(/--seed must be an integer/);
    expect(() => parseCliArgs(["--max-bad-share", "0.1"])).toThrow("--max-bad-share only applies with --data");
    expect(() => parseCliArgs(["--bogus"])).toThrow(/bogus/);
  });
});

describe("model:build command line", () => {
  it("prints help, and exits 2 on a usage error", async () => {
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: npm run model:build");
    expect(help.stdout).toMatch(new RegExp(`--max-trees[^]*\\(default: ${DEFAULT_GBDT_OPTIONS.maxIterations}\\)`));
    expect(help.stdout).toMatch(new RegExp(`--learning-rate .*\\(default: ${DEFAULT_GBDT_OPTIONS.learningRate}\\)`));
    expect(help.stdout).toMatch(new RegExp(`--max-depth .*\\(default: ${DEFAULT_GBDT_OPTIONS.maxDepth}\\)`));
    const dir = mkdtempSync(join(tmpdir(), "flash-cli-"));
    const dry = await cli(["--synthetic", "600", "--max-trees", "5", "--dry-run", "--write-csv", join(dir, "rows.csv")]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("no model written (--dry-run)");
    expect(readFileSync(join(dir, "rows.csv"), "utf8").split("\n")[0]).toMatch(/^total_capital_raised_usd,.*,funding_stage,success$/);
    const bad = await cli(["--synthetic", "x"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--synthetic must be an integer");
  });

  it("builds from a CSV with progress and a summary, and fails clearly on bad data", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flash-cli-"));
    const csv = join(dir, "data.csv");
    const lines = ["id,funding_stage,runway_months,product_retention_90d,success"];
    for (let i = 0; i < 1500; i++) {
      const runway = (i * 7) % 30;
      const retention = ((i * 13) % 100) / 100;
      lines.push(`s${i},${["seed", "series_a"][i % 2]},${runway},${i % 9 === 0 ? "" : retention},${runway + 20 * retention + ((i * 31) % 11) > 25 ? 1 : 0}`);
    }
    writeFileSync(csv, `${lines.join("\n")}\n`);
    const out = join(dir, "model");
    const ok = await cli(["--data", csv, "--out", out, "--max-trees", "30"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("[1/4] data: reading");
    expect(ok.stdout).toContain("note: ignored 1 column(s) that are not features: id");
    expect(ok.stdout).toMatch(/tree\s+1\s+train loss/);
    expect(ok.stdout).toMatch(/AUC\s+0\.\d{4}/);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(manifest.data).toMatchObject({ source: "csv", rows: 1500, bad_rows: 0 });
    expect(readFileSync(join(out, "MODEL_CARD.md"), "utf8")).not.toContain("trained on synthetic data");

    writeFileSync(csv, `${lines.join("\n")}\ns9,seed,500,0.1,1\n`);
    const failed = await cli(["--data", csv, "--out", out, "--max-bad-share", "0"]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("line 1502: runway_months must be between 0 and 120");
  }, 60_000);
});
