/**
 * `npm run keys`: keys are printed once, only hashes are stored, and what `export` prints is a
 * FLASH_API_KEYS secret the Worker's own parser and checker accept.
 */

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkApiKey, parseApiKeys } from "../../worker/src/auth/api-keys.js";
import { main, describeKeys, exportSecret, readKeyFile, type KeysIo } from "../../scripts/keys.js";
import { UsageError, CliError } from "../../scripts/lib/cli.js";

let dir: string;
let file: string;
let clock: Date;

function io(): KeysIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), now: () => clock, env: { FLASH_KEYS_FILE: file } };
}

async function run(args: string[], values: Record<string, string | boolean> = {}) {
  const sink = io();
  const merged = { json: true, ...values };
  const code = await main(merged, args, sink);
  const json = merged.json && sink.lines.length ? (JSON.parse(sink.lines.join("\n")) as Record<string, unknown>) : undefined;
  return { code, sink, json };
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "flash-keys-"));
  file = path.join(dir, "nested", "api-keys.json");
  clock = new Date("2026-03-01T12:00:00Z");
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("keys create", () => {
  it("prints the key once and stores only its hash, with a 90-day expiry by default", async () => {
    const { json } = await run(["create"], { name: "acme" });
    const key = json!.key as string;
    expect(key).toMatch(/^flash_sk_[A-Za-z0-9]{40}$/);
    const stored = fs.readFileSync(file, "utf8");
    expect(stored).not.toContain(key);
    expect(stored).not.toContain(key.slice(9));
    const [record] = readKeyFile(file).keys;
    expect(record).toMatchObject({ id: json!.id, name: "acme", created_at: "2026-03-01T12:00:00.000Z", expires_at: "2026-05-30T12:00:00.000Z" });
    expect(record!.rate_limit).toBeUndefined();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect((json!.next_steps as string[]).join("\n")).toMatch(/wrangler secret put FLASH_API_KEYS --env blue/);
  });

  it("takes a rate-limit tier and an expiry, and refuses unknown tiers and missing names", async () => {
    const { json } = await run(["create"], { name: "loadtest", "rate-limit": "bulk", "no-expiry": true });
    expect(json).toMatchObject({ rate_limit: "bulk", expires_at: null });
    await expect(run(["create"], { name: "x", "rate-limit": "gold" })).rejects.toThrow(UsageError);
    await expect(run(["create"], {})).rejects.toThrow(/--name/);
    await expect(run(["create"], { name: "x", "expires-in-days": "0" })).rejects.toThrow(UsageError);
    await expect(run(["nonsense"])).rejects.toThrow(/unknown command/);
  });

  it("writes nothing with --dry-run", async () => {
    await run(["create"], { name: "acme", "dry-run": true });
    expect(fs.existsSync(file)).toBe(false);
  });
});

describe("keys export, revoke and list", () => {
  it("exports a secret the Worker accepts for the created key, and refuses it once revoked", async () => {
    const a = (await run(["create"], { name: "a" })).json!;
    const b = (await run(["create"], { name: "b", "rate-limit": "partner" })).json!;
    const secret = (await run(["export"], { json: false })).sink.lines[0]!;
    expect(secret).not.toContain(a.key as string);
    const parsed = parseApiKeys(secret);
    expect(parsed.errors).toEqual([]);
    expect(await checkApiKey(a.key as string, parsed.keys, clock.getTime())).toMatchObject({ status: "valid", record: { id: a.id } });
    expect(await checkApiKey(b.key as string, parsed.keys, clock.getTime())).toMatchObject({ status: "valid", record: { rate_limit: "partner" } });

    const revoked = await run(["revoke", a.id as string]);
    expect(revoked.json).toMatchObject({ id: a.id, revoked_at: clock.toISOString() });
    const after = parseApiKeys(exportSecret(readKeyFile(file)));
    expect(after.keys.map((k) => k.id)).toEqual([b.id]);
    expect(await checkApiKey(a.key as string, after.keys, clock.getTime())).toEqual({ status: "unknown" });
    await expect(run(["revoke", "key_nope"])).rejects.toThrow(CliError);
    await expect(run(["revoke"])).rejects.toThrow(/needs the key's id/);
  });

  it("lists status and days left, revoked keys only with --all", async () => {
    const a = (await run(["create"], { name: "a", "expires-in-days": "10" })).json!;
    await run(["create"], { name: "b" });
    await run(["revoke", (await run(["create"], { name: "c" })).json!.id as string]);
    clock = new Date(clock.getTime() + 11 * 24 * 3600 * 1000);
    const rows = describeKeys(readKeyFile(file), clock);
    expect(rows.map((r) => [r.name, r.status])).toEqual([
      ["a", "expired"],
      ["b", "active"],
    ]);
    expect(rows[0]!.id).toBe(a.id);
    expect(rows[1]!.days_left).toBe(79);
    const all = (await run(["list"], { all: true })).json as unknown as { status: string }[];
    expect(all.map((r) => r.status)).toEqual(["expired", "active", "revoked"]);
    const text = (await run(["list"], { json: false })).sink.lines.join("\n");
    expect(text).toMatch(/^ID\s+NAME/);
    expect(text).toMatch(/\bb\s+2026-03-01\s+2026-05-30 \(79 d\)/);
  });

  it("prints a .dev.vars line with --dotenv", async () => {
    await run(["create"], { name: "local" });
    const line = (await run(["export"], { json: false, dotenv: true })).sink.lines[0]!;
    expect(line).toMatch(/^FLASH_API_KEYS='\{"version":1,"keys":\[.*\]\}'$/);
  });

  it("refuses a damaged key file with a message that names it", async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "{ not json");
    await expect(run(["list"])).rejects.toThrow(/damaged.*not valid JSON/);
  });
});

describe("the CLI", () => {
  it("answers --help and exits 2 with a hint on a usage error", () => {
    const tsx = path.resolve("node_modules/.bin/tsx");
    const help = execFileSync(tsx, ["scripts/keys.ts", "--help"], { encoding: "utf8" });
    expect(help).toMatch(/Usage: npm run keys -- <create\|list\|revoke\|export>/);
    let status = 0;
    let stderr = "";
    try {
      execFileSync(tsx, ["scripts/keys.ts", "create"], { encoding: "utf8", stdio: "pipe", env: { ...process.env, FLASH_KEYS_FILE: file } });
    } catch (error) {
      status = (error as { status: number }).status;
      stderr = String((error as { stderr: string }).stderr);
    }
    expect(status).toBe(2);
    expect(stderr).toMatch(/create needs --name/);
  });
});
