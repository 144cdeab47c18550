/**
 * Sticky bucketing: every client key maps to one of 10,000 buckets, always the same one, so a
 * client stays on the same version while the weights stay, and raising the candidate's weight
 * only moves buckets from stable to candidate (see split.ts).
 *
 * The hash is SHA-256 (first 32 bits), not a cheaper hash, so that keys which differ in one
 * character (client-1, client-2, ...) still spread evenly; it costs a couple of microseconds.
 */
import { sha256, toHex } from "../../../core/sha256";
import { bearerOf } from "./access";

export const BUCKET_COUNT = 10_000;

/** Where the client key came from; "none" means the request is spread at random. */
export type ClientKeySource = "client-id" | "api-key" | "none";

export interface ClientKey {
  readonly key: string | null;
  readonly source: ClientKeySource;
  /** The API key's id (for logs) whenever the request carries a key, whatever it is bucketed by. */
  readonly apiKeyId: string | null;
}

export interface ClientKeyInput {
  /** The `X-Client-Id` header. */
  readonly clientId?: string | null;
  /** The `Authorization` header (`Bearer <api key>`). */
  readonly authorization?: string | null;
  /** The `X-API-Key` header, the API's other way to pass a key. */
  readonly apiKey?: string | null;
}

const MAX_CLIENT_ID_LENGTH = 256;

/** The id an API key is known by in logs and routing: the first 16 hex digits of its SHA-256. */
export function apiKeyId(apiKey: string): string {
  return toHex(sha256(apiKey).subarray(0, 8));
}

/**
 * The key a request is bucketed by: `X-Client-Id` when present, else the API key's id (never
 * the key itself), else none.
 */
export function clientKeyOf(input: ClientKeyInput): ClientKey {
  const apiKey = bearerOf(input.authorization) ?? (input.apiKey?.trim() || null);
  const keyId = apiKey ? apiKeyId(apiKey) : null;
  const clientId = input.clientId?.trim();
  if (clientId) return { key: `client:${clientId.slice(0, MAX_CLIENT_ID_LENGTH)}`, source: "client-id", apiKeyId: keyId };
  if (keyId) return { key: `key:${keyId}`, source: "api-key", apiKeyId: keyId };
  return { key: null, source: "none", apiKeyId: null };
}

/** The bucket (0..9999) of a client key. */
export function bucketOf(key: string): number {
  const digest = sha256(key);
  const word = ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0;
  return word % BUCKET_COUNT;
}

/** The bucket of a request: its key's bucket, or a random one (`random` in [0, 1)) without a key. */
export function bucketForRequest(key: ClientKey, random: () => number): number {
  if (key.key !== null) return bucketOf(key.key);
  return Math.min(BUCKET_COUNT - 1, Math.floor(random() * BUCKET_COUNT));
}
