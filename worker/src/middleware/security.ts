/**
 * Transport-level protections for the API, as small Hono middleware factories:
 *
 * - securityHeaders(): nosniff, HSTS, no framing, no referrer, a locked-down CSP on every answer;
 *   `Cache-Control: no-store` on prediction routes so browsers and proxies keep no copy.
 * - corsFromAllowList(): CORS for the origins in CORS_ALLOWED_ORIGINS (comma-separated; empty
 *   means no cross-origin browser access), preflights answered before authentication.
 *
 * Wired in worker/src/app.ts: securityHeaders, corsFromAllowList, requireApiKey, rateLimitByKey.
 * JSON only (415), the body limit (413) and other methods (405) are not middleware here: the
 * API has one implementation of each, where it reads bodies (worker/src/http/read-json.ts) and
 * where it answers unknown routes (handleNotFound in worker/src/errors.ts).
 */

import type { Context, MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";

export interface SecurityHeadersOptions {
  /** Paths (exact, or ending in "*" for a prefix) whose answers get `Cache-Control: no-store`. */
  readonly noStorePaths?: readonly string[];
  /** Content-Security-Policy for everything but `cspExemptPaths`; false for none. */
  readonly contentSecurityPolicy?: string | false;
  /** Paths that serve HTML needing scripts/styles (the docs page) and so set their own CSP. */
  readonly cspExemptPaths?: readonly string[];
  readonly hstsMaxAgeSeconds?: number;
}

export const DEFAULT_NO_STORE_PATHS: readonly string[] = ["/predict", "/predict/*", "/scenarios", "/scenarios/*"];

function matchesPath(path: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith("*") ? path.startsWith(p.slice(0, -1)) : path === p));
}

export function securityHeaders(options: SecurityHeadersOptions = {}): MiddlewareHandler {
  const noStore = options.noStorePaths ?? DEFAULT_NO_STORE_PATHS;
  const csp = options.contentSecurityPolicy ?? "default-src 'none'; frame-ancestors 'none'";
  const cspExempt = options.cspExemptPaths ?? ["/docs"];
  const hsts = `max-age=${options.hstsMaxAgeSeconds ?? 31_536_000}; includeSubDomains`;
  return createMiddleware(async (c, next) => {
    await next();
    const headers = c.res.headers;
    // Set on the final response, errors and 404s included (after next(), whatever answered).
    const set = (name: string, value: string) => {
      try {
        headers.set(name, value);
      } catch {
        // An immutable Response (e.g. straight from fetch): copy it once and retry.
        c.res = new Response(c.res.body, c.res);
        c.res.headers.set(name, value);
      }
    };
    set("x-content-type-options", "nosniff");
    set("strict-transport-security", hsts);
    set("x-frame-options", "DENY");
    set("referrer-policy", "no-referrer");
    if (csp && !matchesPath(c.req.path, cspExempt)) set("content-security-policy", csp);
    if (matchesPath(c.req.path, noStore)) set("cache-control", "no-store");
  });
}

export interface CorsEnv {
  /** Comma-separated origins allowed to call the API from a browser, e.g. "https://app.example.com". */
  readonly CORS_ALLOWED_ORIGINS?: string;
}

/** Parse CORS_ALLOWED_ORIGINS; "*" allows any origin (the API uses bearer keys, not cookies). */
export function parseAllowedOrigins(value: string | undefined): readonly string[] {
  return (value ?? "")
    .split(",")
    .map((o) => o.trim().replace(/\/+$/, ""))
    .filter((o) => o !== "");
}

export interface CorsFromAllowListOptions {
  readonly exposeHeaders?: readonly string[];
  readonly maxAgeSeconds?: number;
}

export function corsFromAllowList(options: CorsFromAllowListOptions = {}): MiddlewareHandler {
  const handler = cors({
    origin: (origin: string, c: Context) => {
      const allowed = parseAllowedOrigins((c.env as CorsEnv | undefined)?.CORS_ALLOWED_ORIGINS);
      if (allowed.includes("*")) return "*";
      return origin && allowed.includes(origin) ? origin : null;
    },
    allowMethods: ["GET", "POST", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type", "X-Client-Id"],
    exposeHeaders: [
      ...(options.exposeHeaders ?? [
        "X-Cache",
        "X-Flash-Probability",
        "X-Flash-Verdict",
        "X-Flash-Model-Version",
        "Retry-After",
        "RateLimit-Policy",
      ]),
    ],
    maxAge: options.maxAgeSeconds ?? 600,
  });
  // Only browsers send Origin, and CORS headers mean nothing to anyone else: the API's usual
  // clients (servers) skip the middleware, which would otherwise build a placeholder Response
  // for its headers before every request is even handled.
  return async (c, next) => {
    if (c.req.method !== "OPTIONS" && c.req.header("origin") === undefined) {
      // The answer still depends on Origin for any shared cache in between.
      c.header("Vary", "Origin", { append: true });
      return next();
    }
    return handler(c, next);
  };
}
