import { execFile } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseImportArgs } from "./import-cli.js";

const ROOT = join(import.meta.dirname, "..", "..");
const TSX = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSX, join(ROOT, "model-build", "src", "import-cli.ts"), ...args], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe("npm run model:import", () => {
  it("parses its options", () => {
    const base = ["--onnx", "m.onnx", "--map", "m.json", "--csv", "d.csv"];
    expect(parseImportArgs(base)).toEqual({ onnxPath: "m.onnx", mapPath: "m.json", csvPath: "d.csv", json: false });
    expect(parseImportArgs([...base, "--dry-run", "--onnxruntime-only", "--seed", "7", "--name", "v1"])).toMatchObject({ outDir: null, evaluator: "onnxruntime", seed: 7, name: "v1" });
    expect(parseImportArgs([...base, "--models-dir", "/tmp/r", "--set-default"])).toMatchObject({ modelsDir: "/tmp/r", setDefault: true });
    expect(parseImportArgs(["-h"])).toBe("help");
    expect(() => parseImportArgs(base.slice(2))).toThrow(/--onnx is required/);
    expect(() => parseImportArgs([...base, "--out", "a", "--models-dir", "b"])).toThrow(/--out or --models-dir/);
    expect(() => parseImportArgs([...base, "--dry-run", "--set-default"])).toThrow(/--dry-run writes nothing/);
    expect(() => parseImportArgs([...base, "--seed", "x"])).toThrow(/--seed must be an integer/);
  });

  it("prints --help, exits 2 on a usage error and 1 on a file it cannot import, saying why", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: npm run model:import -- --onnx <model.onnx> --map <feature-map.json> --csv <labelled.csv>");
    const usage = await run(["--onnx", "x.onnx"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("--map is required");
    const missing = await run(["--onnx", "no-such.onnx", "--map", "m.json", "--csv", "d.csv", "--dry-run"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("model:import failed: no such ONNX file: no-such.onnx");
  });
});
