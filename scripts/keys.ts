/**
 * `npm run keys -- create|list|revoke|export`: manage the API's keys.
 *
 * A new key is printed once and never stored: the local key file (default .flash/api-keys.json,
 * git-ignored) keeps only its SHA-256 hash with id, name, dates and rate-limit tier. `export`
 * prints the records the Worker needs (hashes only) for its FLASH_API_KEYS secret. Several keys are
 * valid at once, so rotation is: create the new key, hand it out, deploy the secret, revoke the
 * old key once the client has switched, deploy the secret again.
 */

import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { generateApiKey, generateKeyId, hashApiKey, parseApiKeys, type ApiKeyFile, type ApiKeyRecord } from "../worker/src/auth/api-keys.js";
import { DEFAULT_RATE_LIMIT_TIERS, UNLIMITED } from "../worker/src/middleware/rate-limit.js";
import { CliError, flag, parseNumber, runCli, stringValue, UsageError, type CommandSpec, type ParsedValues } from "./lib/cli.js";

export const DEFAULT_KEYS_FILE = ".flash/api-keys.json";
export const DEFAULT_EXPIRY_DAYS = 90;
/** Cloudflare's limit for one secret or variable. */
export const SECRET_LIMIT_BYTES = 5 * 1024;
const DAY_MS = 24 * 3600 * 1000;

export const KEYS_SPEC: CommandSpec = {
  name: "keys",
  summary: "create, list, revoke and export the prediction API's keys (only hashes are stored)",
  usage: "npm run keys -- <create|list|revoke|export> [options]",
  description: [
    "Commands:",
    "  create --name <client>   make a key, print it ONCE, store its SHA-256 hash in the key file",
    "  list                     show the keys (id, name, dates, rate limit, status)",
    "  revoke <id>              mark a key revoked (it stays in the file, is no longer exported)",
    "  export                   print the FLASH_API_KEYS secret (hashes only) for wrangler",
    "",
    "Rotation (the v1 guide rotates every 90 days): create the new key, give it to the client, export",
    "to the Worker's secret; once the client uses it, revoke the old key and export again.",
  ].join("\n"),
  options: [
    { name: "name", short: "n", type: "string", placeholder: "<client>", description: "create: who the key is for (shown in list and logs' key names)" },
    { name: "expires-in-days", type: "string", placeholder: "<days>", description: "create: days until the key expires", defaultText: String(DEFAULT_EXPIRY_DAYS) },
    { name: "no-expiry", type: "boolean", description: "create: a key that does not expire" },
    {
      name: "rate-limit",
      type: "string",
      placeholder: "<tier>",
      description: `create: rate-limit tier: ${[...Object.keys(DEFAULT_RATE_LIMIT_TIERS), UNLIMITED].join(", ")}`,
      defaultText: "default, i.e. 100 requests per 10 s",
    },
    { name: "all", type: "boolean", description: "list: include revoked keys" },
    { name: "dotenv", type: "boolean", description: "export: print a FLASH_API_KEYS='...' line for .dev.vars" },
    { name: "file", short: "f", type: "string", placeholder: "<path>", description: "the key file", defaultText: `$FLASH_KEYS_FILE or ${DEFAULT_KEYS_FILE}` },
    { name: "dry-run", type: "boolean", description: "create/revoke: show the result, write nothing" },
    { name: "json", type: "boolean", description: "print JSON instead of text" },
  ],
  env: [["FLASH_KEYS_FILE", `the key file (default ${DEFAULT_KEYS_FILE})`]],
  exitCodes: [
    [0, "done"],
    [1, "the key file could not be read or written, or no such key"],
    [2, "usage error"],
  ],
  examples: [
    'npm run keys -- create --name "acme-partner" --rate-limit partner',
    "npm run keys -- list",
    "npm run keys -- revoke key_3fa9c1d2e4b5",
    "npm run -s keys -- export | npx wrangler secret put FLASH_API_KEYS --env blue",
  ],
};

// ---------------------------------------------------------------------------------------------
// Pure functions

export interface CreateKeyOptions {
  readonly name: string;
  /** Days until expiry; null for a key that does not expire. */
  readonly expiresInDays: number | null;
  readonly rateLimit?: string;
  readonly now: Date;
}

export interface CreateKeyResult {
  /** The key itself: show it once, never store it. */
  readonly key: string;
  readonly record: ApiKeyRecord;
}

export function validateKeyName(name: string | undefined): string {
  const trimmed = name?.trim() ?? "";
  if (trimmed === "") throw new UsageError('create needs --name "<who the key is for>"');
  if (trimmed.length > 100 || /[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new UsageError("--name must be at most 100 printable characters");
  }
  return trimmed;
}

export function validateRateLimit(tier: string | undefined): string | undefined {
  if (tier === undefined || tier === "default") return undefined;
  const known = [...Object.keys(DEFAULT_RATE_LIMIT_TIERS), UNLIMITED];
  if (!known.includes(tier)) throw new UsageError(`--rate-limit ${JSON.stringify(tier)} is not a tier; use one of ${known.join(", ")}`);
  return tier;
}

export async function createKey(options: CreateKeyOptions): Promise<CreateKeyResult> {
  const key = generateApiKey();
  const record: ApiKeyRecord = {
    id: generateKeyId(),
    name: options.name,
    sha256: await hashApiKey(key),
    created_at: options.now.toISOString(),
    expires_at: options.expiresInDays === null ? null : new Date(options.now.getTime() + options.expiresInDays * DAY_MS).toISOString(),
    ...(options.rateLimit ? { rate_limit: options.rateLimit } : {}),
  };
  return { key, record };
}

export function addKey(file: ApiKeyFile, record: ApiKeyRecord): ApiKeyFile {
  return { version: 1, keys: [...file.keys, record] };
}

export function revokeKey(file: ApiKeyFile, id: string, now: Date): { file: ApiKeyFile; record: ApiKeyRecord } {
  const record = file.keys.find((k) => k.id === id);
  if (!record) {
    const known = file.keys.map((k) => k.id).join(", ") || "none";
    throw new CliError(`no key with id ${id} (known: ${known}); see \`npm run keys -- list --all\``, 1);
  }
  if (record.revoked_at) return { file, record };
  const revoked = { ...record, revoked_at: now.toISOString() };
  return { file: { version: 1, keys: file.keys.map((k) => (k.id === id ? revoked : k)) }, record: revoked };
}

/** The FLASH_API_KEYS secret: every key not revoked (expired ones too, so clients hear "expired"). */
export function exportSecret(file: ApiKeyFile): string {
  const keys = file.keys
    .filter((k) => !k.revoked_at)
    .map(({ id, name, sha256, created_at, expires_at, rate_limit }) => ({ id, name, sha256, created_at, expires_at, ...(rate_limit ? { rate_limit } : {}) }));
  return JSON.stringify({ version: 1, keys });
}

export type KeyStatus = "active" | "expired" | "revoked";

export interface KeyRow {
  readonly id: string;
  readonly name: string;
  readonly created_at: string;
  readonly expires_at: string | null;
  readonly rate_limit: string;
  readonly status: KeyStatus;
  /** Whole days until expiry (negative once expired), null when it does not expire. */
  readonly days_left: number | null;
}

export function describeKeys(file: ApiKeyFile, now: Date, includeRevoked = false): KeyRow[] {
  return file.keys
    .filter((k) => includeRevoked || !k.revoked_at)
    .map((k) => {
      const expiresAt = k.expires_at === null ? null : Date.parse(k.expires_at);
      const status: KeyStatus = k.revoked_at ? "revoked" : expiresAt !== null && expiresAt <= now.getTime() ? "expired" : "active";
      return {
        id: k.id,
        name: k.name,
        created_at: k.created_at,
        expires_at: k.expires_at,
        rate_limit: k.rate_limit ?? "default",
        status,
        days_left: expiresAt === null ? null : Math.floor((expiresAt - now.getTime()) / DAY_MS),
      };
    });
}

export function formatKeyTable(rows: readonly KeyRow[]): string[] {
  if (rows.length === 0) return ["No keys yet: npm run keys -- create --name <client>"];
  const table = [
    ["ID", "NAME", "CREATED", "EXPIRES", "RATE LIMIT", "STATUS"],
    ...rows.map((r) => [
      r.id,
      r.name,
      r.created_at.slice(0, 10),
      r.expires_at === null ? "never" : `${r.expires_at.slice(0, 10)}${r.status === "active" ? ` (${r.days_left} d)` : ""}`,
      r.rate_limit,
      r.status === "active" && r.days_left !== null && r.days_left < 14 ? "active, rotate soon" : r.status,
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd());
}

export function secretInstructions(): string[] {
  return [
    "Put the keys (hashes only) into each deployment's FLASH_API_KEYS secret:",
    "  npm run -s keys -- export | npx wrangler secret put FLASH_API_KEYS --env blue",
    "  npm run -s keys -- export | npx wrangler secret put FLASH_API_KEYS --env green",
    "Locally (wrangler dev / npm start): npm run -s keys -- export --dotenv >> .dev.vars",
  ];
}

// ---------------------------------------------------------------------------------------------
// The key file

export function readKeyFile(file: string): ApiKeyFile {
  if (!fs.existsSync(file)) return { version: 1, keys: [] };
  const text = fs.readFileSync(file, "utf8");
  const { keys, errors } = parseApiKeys(text);
  if (errors.length > 0) throw new CliError(`${file} is damaged: ${errors.join("; ")}. Fix or move it aside.`, 1);
  return { version: 1, keys };
}

export function writeKeyFile(file: string, data: ApiKeyFile): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

// ---------------------------------------------------------------------------------------------
// main

export interface KeysIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly now: () => Date;
  readonly env: NodeJS.ProcessEnv;
}

const defaultIo: KeysIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  now: () => new Date(),
  env: process.env,
};

export async function main(values: ParsedValues, positionals: readonly string[], io: KeysIo = defaultIo): Promise<number> {
  const [command, ...rest] = positionals;
  const file = stringValue(values, "file") ?? io.env.FLASH_KEYS_FILE ?? DEFAULT_KEYS_FILE;
  const json = flag(values, "json");
  const dryRun = flag(values, "dry-run");
  const now = io.now();

  switch (command) {
    case "create": {
      const name = validateKeyName(stringValue(values, "name"));
      const rateLimit = validateRateLimit(stringValue(values, "rate-limit"));
      const days = stringValue(values, "expires-in-days");
      if (days !== undefined && flag(values, "no-expiry")) throw new UsageError("use either --expires-in-days or --no-expiry");
      const expiresInDays = flag(values, "no-expiry") ? null : days === undefined ? DEFAULT_EXPIRY_DAYS : parseNumber(days, "expires-in-days", { min: 1, max: 3650, integer: true });
      const data = readKeyFile(file);
      const { key, record } = await createKey({ name, expiresInDays, rateLimit, now });
      const next = addKey(data, record);
      if (!dryRun) writeKeyFile(file, next);
      if (json) {
        io.out(JSON.stringify({ ...record, key, file, dry_run: dryRun, next_steps: secretInstructions() }));
        return 0;
      }
      io.out(`${dryRun ? "[dry run, nothing written] " : ""}Created API key ${record.id} "${name}" (expires ${record.expires_at?.slice(0, 10) ?? "never"}, rate limit ${rateLimit ?? "default"})`);
      io.out("");
      io.out(`  ${key}`);
      io.out("");
      io.out(`This is the only time the key is shown: give it to the client now. Only its SHA-256 hash is kept, in ${file}.`);
      for (const line of secretInstructions()) io.out(line);
      return 0;
    }
    case "list": {
      const rows = describeKeys(readKeyFile(file), now, flag(values, "all"));
      if (json) io.out(JSON.stringify(rows));
      else for (const line of formatKeyTable(rows)) io.out(line);
      return 0;
    }
    case "revoke": {
      const id = rest[0];
      if (!id) throw new UsageError("revoke needs the key's id: npm run keys -- revoke <id> (see `npm run keys -- list`)");
      const { file: next, record } = revokeKey(readKeyFile(file), id, now);
      if (!dryRun) writeKeyFile(file, next);
      if (json) io.out(JSON.stringify({ ...record, dry_run: dryRun }));
      else {
        io.out(`${dryRun ? "[dry run, nothing written] " : ""}Revoked ${record.id} "${record.name}". Deploy the secret again so the Worker refuses it:`);
        for (const line of secretInstructions().slice(1)) io.out(line);
      }
      return 0;
    }
    case "export": {
      const secret = exportSecret(readKeyFile(file));
      if (Buffer.byteLength(secret) > SECRET_LIMIT_BYTES) {
        io.err(`warning: the secret is ${Buffer.byteLength(secret)} bytes, over Cloudflare's ${SECRET_LIMIT_BYTES} byte limit: revoke keys no longer used`);
      }
      io.out(flag(values, "dotenv") ? `FLASH_API_KEYS='${secret}'` : secret);
      return 0;
    }
    case undefined:
      throw new UsageError("say what to do: create, list, revoke or export");
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}; use create, list, revoke or export`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await runCli(KEYS_SPEC, (cmd) => main(cmd.values, cmd.positionals));
}
