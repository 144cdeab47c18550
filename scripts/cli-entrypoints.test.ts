/**
 * Each operator script, run as the operator runs it (tsx, as `npm run <name>` does): `--help`
 * prints its usage and exits 0, an unknown flag exits 2 with a pointer to --help, and missing
 * configuration is an error that says how to fix it.
 */

import { execFile } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const TSX = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
const SCRIPTS = ["promote", "rollback", "status", "smoke", "loadtest", "deploy", "models"];

function run(script: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSX, join(ROOT, "scripts", `${script}.ts`), ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe("operator scripts", () => {
  it("print --help and exit 0", async () => {
    const results = await Promise.all(SCRIPTS.map((s) => run(s, ["--help"])));
    results.forEach((r, i) => {
      expect(r.code, `${SCRIPTS[i]} --help: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(`Usage: `);
      expect(r.stdout).toContain(`npm run ${SCRIPTS[i]}`);
      expect(r.stdout).toContain("Exit codes:");
    });
  });

  it("exit 2 on an unknown flag and point to --help", async () => {
    // The same runCli handles every script (its parsing is unit-tested in lib/cli.test.ts).
    const r = await run("status", ["--no-such-flag"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--no-such-flag'");
    expect(r.stderr).toContain("npm run status -- --help");
  });

  it("say how to fix missing configuration", async () => {
    const noToken = { ADMIN_TOKEN: "", FLASH_ROUTER_URL: "https://router.example.invalid" };
    const [promote, smoke, noReason] = await Promise.all([
      run("promote", [], noToken),
      run("smoke", [], { FLASH_API_URL: "https://api.example.invalid", FLASH_API_KEY: "" }),
      run("rollback", []),
    ]);
    expect(promote.code).toBe(2);
    expect(promote.stderr).toMatch(/no admin token .*set ADMIN_TOKEN/);
    expect(smoke.code).toBe(2);
    expect(smoke.stderr).toMatch(/no API key .*FLASH_API_KEY/);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('say why: --reason');
  });

  it("exit 2 (nothing changed) when the router cannot be reached", async () => {
    const r = await run("promote", ["--router", "http://127.0.0.1:9", "--admin-token", "t"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot reach the router at http:\/\/127\.0\.0\.1:9.*npm start.*\(nothing was changed\)/s);
  });
});
