/**
 * Who may do what: admin and tester tokens compared in constant time, and the /metrics
 * allow-list of scraper addresses.
 */
import { sha256 } from "../../../core/sha256";

/**
 * Compares a presented secret with the expected one in time that depends on neither: both are
 * hashed to 32 bytes first, so neither the length nor the first differing byte leaks.
 */
export function constantTimeEqual(presented: string, expected: string): boolean {
  const a = sha256(presented);
  const b = sha256(expected);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0 && expected.length > 0;
}

/** Whether `presented` equals any of the configured tokens (every token is compared). */
export function matchesAnyToken(presented: string | null, tokens: readonly string[]): boolean {
  if (!presented) return false;
  let match = false;
  for (const token of tokens) if (constantTimeEqual(presented, token)) match = true;
  return match;
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerOf(authorization: string | null | undefined): string | null {
  if (!authorization) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return m ? m[1]! : null;
}

/** Splits a comma-separated list of secrets or addresses, dropping blanks. */
export function splitList(value: string | undefined | null): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function ipv4ToInt(ip: string): number | null {
  const parts = ip.split(".");
  if (parts.length !== 4) return null;
  let out = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    out = out * 256 + n;
  }
  return out;
}

/** An allow-list entry: an exact IPv4/IPv6 address or an IPv4 CIDR range (10.0.0.0/8). */
export function ipAllowed(ip: string | null, allowList: readonly string[]): boolean {
  if (!ip) return false;
  const addr = ip.trim().toLowerCase();
  const addrInt = ipv4ToInt(addr);
  for (const entry of allowList) {
    const [base, bitsText] = entry.toLowerCase().split("/");
    if (bitsText === undefined) {
      if (base === addr) return true;
      continue;
    }
    const bits = Number(bitsText);
    const baseInt = ipv4ToInt(base ?? "");
    if (addrInt === null || baseInt === null || !Number.isInteger(bits) || bits < 0 || bits > 32) continue;
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if (((addrInt & mask) >>> 0) === ((baseInt & mask) >>> 0)) return true;
  }
  return false;
}
