/**
 * API keys: generated here, stored only as SHA-256 hashes, checked in constant time.
 *
 * A key looks like `flash_sk_<40 base62 chars>` (about 238 random bits). What the Worker holds is
 * the FLASH_API_KEYS secret: JSON with one record per key (id, name, sha256, created_at,
 * expires_at, optional rate-limit tier), written by `npm run keys`. Several keys are valid at once,
 * so keys rotate without downtime: create the new one, hand it out, revoke the old one later.
 *
 * Pure apart from Web Crypto (in workerd and in Node 20 alike), so the keys CLI shares it.
 */

import { toHex } from "../../../core/sha256.js";

export const API_KEY_PREFIX = "flash_sk_";
const KEY_BODY_LENGTH = 40;
const BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export interface ApiKeyRecord {
  /** Public identifier: safe to log, shown by `keys list`, used as the rate-limit key. */
  readonly id: string;
  readonly name: string;
  /** Hex SHA-256 of the key; the key itself is never stored. */
  readonly sha256: string;
  readonly created_at: string;
  /** ISO date after which the key is refused; null for a key that does not expire. */
  readonly expires_at: string | null;
  /** Rate-limit tier ("default", "partner", "bulk", ...) or "unlimited"; the default tier when absent. */
  readonly rate_limit?: string;
  /** Set by `keys revoke`; a revoked record is never accepted (and is not exported). */
  readonly revoked_at?: string | null;
}

export interface ApiKeyFile {
  readonly version: 1;
  readonly keys: readonly ApiKeyRecord[];
}

function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    const bytes = crypto.getRandomValues(new Uint8Array(length * 2));
    for (const byte of bytes) {
      // 248 = 62 * 4: dropping bytes above it keeps every character equally likely.
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBase62(KEY_BODY_LENGTH);
}

export function generateKeyId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return `key_${toHex(bytes)}`;
}

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export async function hashApiKey(key: string): Promise<string> {
  return toHex(await digestApiKey(key));
}

const encoder = new TextEncoder();

/** The SHA-256 of a key as bytes (what every comparison uses). */
export async function digestApiKey(key: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(key)));
}

/** Constant-time equality of two equal-length byte strings (no early exit on the first difference). */
export function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const HEX64 = /^[0-9a-f]{64}$/;

export interface ParseApiKeysResult {
  readonly keys: readonly ApiKeyRecord[];
  /** Problems with the secret, without any key material (safe to log). */
  readonly errors: readonly string[];
}

/** Read the FLASH_API_KEYS secret: `{"version":1,"keys":[...]}` or a bare array of records. */
export function parseApiKeys(text: string | undefined): ParseApiKeysResult {
  if (text === undefined || text.trim() === "") return { keys: [], errors: [] };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { keys: [], errors: ["FLASH_API_KEYS is not valid JSON"] };
  }
  const list = Array.isArray(json) ? json : (json as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) return { keys: [], errors: ['FLASH_API_KEYS must be {"version":1,"keys":[...]} or an array'] };
  const keys: ApiKeyRecord[] = [];
  const errors: string[] = [];
  list.forEach((item: unknown, index) => {
    const r = item as Partial<Record<keyof ApiKeyRecord, unknown>> | null;
    const where = `FLASH_API_KEYS entry ${index}`;
    if (!r || typeof r !== "object") return errors.push(`${where} is not an object`);
    if (typeof r.id !== "string" || r.id === "") return errors.push(`${where} has no id`);
    if (typeof r.sha256 !== "string" || !HEX64.test(r.sha256.toLowerCase())) return errors.push(`${where} (${r.id}) has no valid sha256`);
    const expires = r.expires_at ?? null;
    if (expires !== null && (typeof expires !== "string" || Number.isNaN(Date.parse(expires)))) {
      return errors.push(`${where} (${r.id}) has an invalid expires_at`);
    }
    keys.push({
      id: r.id,
      name: typeof r.name === "string" ? r.name : r.id,
      sha256: r.sha256.toLowerCase(),
      created_at: typeof r.created_at === "string" ? r.created_at : "",
      expires_at: expires as string | null,
      rate_limit: typeof r.rate_limit === "string" && r.rate_limit !== "" ? r.rate_limit : undefined,
      revoked_at: typeof r.revoked_at === "string" ? r.revoked_at : null,
    });
    return undefined;
  });
  return { keys, errors };
}

export type KeyCheck =
  | { readonly status: "valid"; readonly record: ApiKeyRecord }
  | { readonly status: "expired"; readonly record: ApiKeyRecord }
  | { readonly status: "revoked"; readonly record: ApiKeyRecord }
  | { readonly status: "unknown" };

/**
 * Find the record for a presented key. The presented key is hashed and compared with EVERY
 * record in constant time, so neither the position of a match nor a near-miss shows in timing.
 */
export async function checkApiKey(presented: string, records: readonly ApiKeyRecord[], now: number = Date.now()): Promise<KeyCheck> {
  return matchApiKey(await digestApiKey(presented), records, records.map((r) => fromHex(r.sha256)), now);
}

/** checkApiKey for a digest already computed, against the records' decoded digests (same order). */
export function matchApiKey(digest: Uint8Array, records: readonly ApiKeyRecord[], digests: readonly Uint8Array[], now: number): KeyCheck {
  let match: ApiKeyRecord | undefined;
  records.forEach((record, i) => {
    if (timingSafeEqualBytes(digest, digests[i]!) && !match) match = record;
  });
  if (!match) return { status: "unknown" };
  if (match.revoked_at) return { status: "revoked", record: match };
  if (match.expires_at !== null && Date.parse(match.expires_at) <= now) return { status: "expired", record: match };
  return { status: "valid", record: match };
}

/**
 * The keys a deployment accepts, prepared once: the FLASH_API_KEYS secret parsed and its digests
 * decoded, the development key's digest computed. Every request then costs one SHA-256 of the
 * presented key and constant-time comparisons.
 */
export interface KeyRing {
  readonly keys: readonly ApiKeyRecord[];
  readonly errors: readonly string[];
  readonly digests: readonly Uint8Array[];
  /** Digest of the development key, when one is accepted here. */
  readonly devDigest: Promise<Uint8Array> | undefined;
}

export function createKeyRing(secret: string | undefined, devKey: string | undefined): KeyRing {
  const { keys, errors } = parseApiKeys(secret);
  return { keys, errors, digests: keys.map((k) => fromHex(k.sha256)), devDigest: devKey ? digestApiKey(devKey) : undefined };
}
