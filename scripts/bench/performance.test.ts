import { execFile } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeDistinctBodies, repeatBodies, BodySupply } from "./bodies.js";

const ROOT = join(import.meta.dirname, "..", "..");
const TSX = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");

function bench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSX, join(ROOT, "scripts", "bench", "performance.ts"), ...args], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe("npm run bench (the command line; the run itself is the benchmark, not a test)", () => {
  it("prints --help and exits 0; a bad option exits 2 and points to --help", async () => {
    const [help, unknown, bad] = await Promise.all([bench(["--help"]), bench(["--no-such-flag"]), bench(["--runs", "0"])]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: npm run bench");
    expect(help.stdout).toContain("--quick");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("npm run bench -- --help");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--runs must be a positive integer");
  });
});

describe("benchmark bodies", () => {
  it("are realistic and never repeat on the miss paths; the hit path repeats its pool", () => {
    const bodies = makeDistinctBodies(500, 1);
    expect(new Set(bodies).size).toBe(500);
    const parsed = bodies.map((b) => JSON.parse(b) as Record<string, unknown>);
    expect(parsed.some((p) => "startup_name" in p)).toBe(true);
    expect(parsed.every((p) => Object.keys(p).length > 5)).toBe(true);
    const supply = new BodySupply(bodies);
    expect(supply.take(200)).toEqual(bodies.slice(0, 200));
    expect(supply.take(300)).toEqual(bodies.slice(200));
    expect(() => supply.take(1)).toThrow(/more distinct bodies/);
    expect(repeatBodies(["a", "b"], 5)).toEqual(["a", "b", "a", "b", "a"]);
  });
});
