import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatHelp, parseCommandLine, parseDuration, parseNumber, parseNumberList, UsageError, type CommandSpec } from "./cli.js";
import { isLocalUrl, parseDevVars, readDevVar, resolveAdminToken, resolveApiKey, resolveApiUrl, resolveRouterUrl } from "./config.js";
import { policyFromFlags } from "./promote-options.js";

const SPEC: CommandSpec = {
  name: "demo",
  summary: "a demo",
  usage: "npm run demo -- [options]",
  options: [
    { name: "steps", type: "string", placeholder: "<list>", description: "steps", defaultText: "5,100" },
    { name: "dry-run", type: "boolean", description: "change nothing" },
    { name: "count", short: "n", type: "string", description: "how many" },
  ],
  env: [["DEMO_URL", "where"]],
  exitCodes: [[0, "ok"]],
  examples: ["npm run demo"],
};

describe("parseCommandLine", () => {
  it("parses long, short and boolean flags", () => {
    const cmd = parseCommandLine(SPEC, ["--steps", "5,50,100", "-n", "3", "--dry-run"]);
    expect(cmd.values).toMatchObject({ steps: "5,50,100", count: "3", "dry-run": true });
    expect(cmd.help).toBe(false);
    expect(parseCommandLine(SPEC, ["-h"]).help).toBe(true);
  });

  it("turns unknown flags and missing values into usage errors", () => {
    expect(() => parseCommandLine(SPEC, ["--nope"])).toThrow(UsageError);
    expect(() => parseCommandLine(SPEC, ["--steps"])).toThrow(UsageError);
  });

  it("generates --help from the options", () => {
    const help = formatHelp(SPEC);
    expect(help).toContain("Usage: npm run demo -- [options]");
    expect(help).toMatch(/--steps <list>\s+steps \(default: 5,100\)/);
    expect(help).toMatch(/-n, --count\s+how many/);
    expect(help).toContain("-h, --help");
    expect(help).toContain("DEMO_URL");
    expect(help).toContain("Exit codes:");
  });
});

describe("values", () => {
  it("parses durations", () => {
    expect(parseDuration("90")).toBe(90);
    expect(parseDuration("30s")).toBe(30);
    expect(parseDuration("10m")).toBe(600);
    expect(parseDuration("1h")).toBe(3600);
    expect(parseDuration("1m30s")).toBe(90);
    expect(parseDuration("500ms")).toBe(0.5);
    for (const bad of ["", "10 minutes", "m", "5x", "1m3"]) expect(() => parseDuration(bad, "bake")).toThrow(/--bake .* is not a duration/);
  });

  it("parses numbers and lists with ranges", () => {
    expect(parseNumber("3", "n", { min: 1, integer: true })).toBe(3);
    expect(() => parseNumber("0", "n", { min: 1 })).toThrow(/--n "0" must be a number in 1\.\.inf/);
    expect(() => parseNumber("1.5", "n", { integer: true })).toThrow(/an integer/);
    expect(() => parseNumber("", "n")).toThrow(UsageError);
    expect(parseNumberList("5, 25,100", "steps")).toEqual([5, 25, 100]);
    expect(() => parseNumberList(",", "steps")).toThrow(/comma-separated/);
  });
});

describe("promote's policy flags", () => {
  it("layer defaults, a policy file and flags", () => {
    const dir = mkdtempSync(join(tmpdir(), "policy-"));
    const file = join(dir, "p.json");
    writeFileSync(file, JSON.stringify({ bake_seconds: 120, error_rate: { max: 0.02 } }));
    const p = policyFromFlags({ policy: file, steps: "10,100", interval: "5s", "on-no-data": "hold", "min-samples": "50" });
    expect(p).toMatchObject({ steps: [10, 100], bake_seconds: 120, check_interval_seconds: 5, on_no_data: "hold", min_samples: 50 });
    expect(p.error_rate).toEqual({ max: 0.02, confidence: 0.95 });
  });

  it("report a bad policy as a usage error naming the field", () => {
    expect(() => policyFromFlags({ steps: "5,50" })).toThrow(/policy: the last step must be 100/);
    expect(() => policyFromFlags({ "on-no-data": "pause" })).toThrow(/--on-no-data must be hold or rollback/);
    expect(() => policyFromFlags({ policy: "/nonexistent/p.json" })).toThrow(/cannot read policy file/);
    expect(() => policyFromFlags({ policy: "x.json" }, () => '{"bake": 5}')).toThrow(/x\.json\.bake: unknown setting/);
  });
});

describe("config", () => {
  it("parses .dev.vars files", () => {
    expect(parseDevVars('# c\nA=1\nexport B="two words"\nC=\'3\'\n  bad line\n')).toEqual({ A: "1", B: "two words", C: "3" });
  });

  it("reads .dev.vars before .dev.vars.example", () => {
    const dir = mkdtempSync(join(tmpdir(), "devvars-"));
    writeFileSync(join(dir, ".dev.vars.example"), "ADMIN_TOKEN=example\nFLASH_DEV_API_KEY=dev-example\n");
    expect(readDevVar("ADMIN_TOKEN", dir)).toBe("example");
    writeFileSync(join(dir, ".dev.vars"), "ADMIN_TOKEN=mine\n");
    expect(readDevVar("ADMIN_TOKEN", dir)).toBe("mine");
    expect(readDevVar("FLASH_DEV_API_KEY", dir)).toBe("dev-example");
    expect(readDevVar("MISSING", dir)).toBeUndefined();
  });

  it("resolves the router URL and says how to fix a bad one", () => {
    expect(resolveRouterUrl(undefined, {})).toBe("http://localhost:8787");
    expect(resolveRouterUrl(undefined, { FLASH_ROUTER_URL: "https://r.example.com/" })).toBe("https://r.example.com");
    expect(resolveRouterUrl("http://x:1", { FLASH_ROUTER_URL: "https://r" })).toBe("http://x:1");
    expect(() => resolveRouterUrl("not a url", {})).toThrow(/FLASH_ROUTER_URL/);
  });

  it("resolves the API URL the same way", () => {
    expect(resolveApiUrl(undefined, {})).toBe("http://localhost:8787");
    expect(resolveApiUrl(undefined, { FLASH_API_URL: "https://staging.example.com/" })).toBe("https://staging.example.com");
    expect(() => resolveApiUrl("staging", {})).toThrow(/set FLASH_API_URL=https:\/\/\.\.\. or pass --url/);
  });

  it("uses development credentials only for local URLs", () => {
    expect(isLocalUrl("http://localhost:8787")).toBe(true);
    expect(isLocalUrl("http://127.0.0.1:1")).toBe(true);
    expect(isLocalUrl("https://flash.example.com")).toBe(false);
    expect(resolveAdminToken("flag", "https://x", {})).toBe("flag");
    expect(resolveAdminToken(undefined, "https://x", { ADMIN_TOKEN: "env" })).toBe("env");
    expect(() => resolveAdminToken(undefined, "https://flash.example.com", {})).toThrow(/set ADMIN_TOKEN/);
    expect(resolveApiKey(undefined, "https://flash.example.com", {})).toBeUndefined();
    expect(resolveApiKey(undefined, "https://flash.example.com", { FLASH_API_KEY: "k" })).toBe("k");
    expect(resolveApiKey(undefined, "http://localhost:8787", { FLASH_DEV_API_KEY: "dev" })).toBe("dev");
  });
});
