/**
 * `requireApiKey()`: Hono middleware that lets a request through only with
 * `Authorization: Bearer <key>` for a valid key, and records which key (by id) in the context.
 *
 * - 401 with `WWW-Authenticate: Bearer ...` when the header is missing, malformed, unknown,
 *   revoked or expired (RFC 6750 error codes).
 * - Exempt: /health, /openapi.json, /docs (configurable) and CORS preflights (OPTIONS).
 * - FLASH_DEV_API_KEY is accepted only when FLASH_ENVIRONMENT is not "production".
 * - In production with no usable key configured, every protected route answers 503 with the
 *   reason: predictions are refused rather than served open.
 * - The key itself is never logged or stored in the context; only its id and name are.
 */

import type { Context, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { createKeyRing, digestApiKey, matchApiKey, timingSafeEqualBytes, type KeyRing } from "./api-keys.js";

export interface AuthEnv {
  /** Secret: JSON of key records (hashes only), written by `npm run keys -- export`. */
  readonly FLASH_API_KEYS?: string;
  /** Development key (see .dev.vars.example); refused when FLASH_ENVIRONMENT is "production". */
  readonly FLASH_DEV_API_KEY?: string;
  /** Rate-limit tier of the development key; "unlimited" by default. */
  readonly FLASH_DEV_KEY_RATE_LIMIT?: string;
  readonly FLASH_ENVIRONMENT?: string;
}

/** What a request knows about its caller after requireApiKey. */
export interface AuthenticatedKey {
  readonly id: string;
  readonly name: string;
  /** Rate-limit tier from the key record, "unlimited", or undefined for the default tier. */
  readonly rateLimit: string | undefined;
  readonly source: "secret" | "dev";
}

export interface AuthVariables {
  apiKey: AuthenticatedKey;
}

export type AuthFailure = "missing" | "malformed" | "unknown" | "revoked" | "expired" | "not_configured";

export interface AuthEvent {
  readonly outcome: "ok" | AuthFailure;
  readonly keyId?: string;
  readonly path: string;
  /** Problems with the FLASH_API_KEYS secret (no key material). */
  readonly configErrors?: readonly string[];
}

export interface ErrorResponseInit {
  readonly status: 401 | 503;
  readonly code: string;
  readonly message: string;
  readonly headers: Record<string, string>;
}

export interface RequireApiKeyOptions {
  /** Paths that need no key; default /health, /openapi.json, /docs. */
  readonly exemptPaths?: readonly string[];
  /** Called once per request with the outcome (key id only, never the key). */
  readonly log?: (event: AuthEvent) => void;
  /** How to answer 401/503; default `{"error": code, "message": ...}` as JSON. */
  readonly errorResponse?: (c: Context, init: ErrorResponseInit) => Response | Promise<Response>;
  readonly now?: () => number;
}

export const DEFAULT_EXEMPT_PATHS: readonly string[] = ["/health", "/openapi.json", "/docs"];
const DEV_KEY_ID = "dev";
/** Far longer than any real key: not worth hashing. */
const MAX_KEY_LENGTH = 256;

const REALM = 'Bearer realm="flash"';

const MESSAGES: Record<Exclude<AuthFailure, "not_configured">, string> = {
  missing: "Send your API key as `Authorization: Bearer <key>`.",
  malformed: "The Authorization header must be `Bearer <key>`.",
  unknown: "The API key is not valid.",
  revoked: "The API key has been revoked; ask for a new one.",
  expired: "The API key has expired; ask for a new one (keys rotate every 90 days).",
};

function defaultErrorResponse(c: Context, init: ErrorResponseInit): Response {
  return c.json({ error: init.code, message: init.message }, init.status, init.headers);
}

function isProduction(env: AuthEnv | undefined): boolean {
  return (env?.FLASH_ENVIRONMENT ?? "").trim().toLowerCase() === "production";
}

/**
 * The key ring for these settings. Module-level on purpose, like the ONNX session: the secret and
 * the development key do not change within an isolate's life, so parsing and hashing them once
 * saves every request that work; other settings (tests, a new secret) get a new ring.
 */
let current: { readonly secret: string | undefined; readonly devKey: string | undefined; readonly ring: KeyRing } | undefined;

function getKeyRing(secret: string | undefined, devKey: string | undefined): KeyRing {
  if (current === undefined || current.secret !== secret || current.devKey !== devKey) current = { secret, devKey, ring: createKeyRing(secret, devKey) };
  return current.ring;
}

export function requireApiKey(options: RequireApiKeyOptions = {}): MiddlewareHandler<{ Bindings: AuthEnv; Variables: AuthVariables }> {
  const exempt = new Set(options.exemptPaths ?? DEFAULT_EXEMPT_PATHS);
  const log = options.log ?? (() => {});
  const respond = options.errorResponse ?? defaultErrorResponse;
  const now = options.now ?? Date.now;

  return createMiddleware<{ Bindings: AuthEnv; Variables: AuthVariables }>(async (c, next) => {
    const path = c.req.path;
    if (c.req.method === "OPTIONS" || exempt.has(path)) return next();

    const env = c.env ?? {};
    const production = isProduction(env);
    const devKey = production ? undefined : env.FLASH_DEV_API_KEY?.trim() || undefined;
    const keyRing = getKeyRing(env.FLASH_API_KEYS, devKey);
    const { keys, errors } = keyRing;
    const usable = keys.some((k) => !k.revoked_at && (k.expires_at === null || Date.parse(k.expires_at) > now()));

    if (production && !usable) {
      log({ outcome: "not_configured", path, configErrors: errors });
      return respond(c, {
        status: 503,
        code: "api_keys_not_configured",
        message:
          "This deployment has no valid API keys configured, so it refuses to serve predictions rather than serve them " +
          "without authentication. Operators: create a key with `npm run keys -- create --name <client>` and set the " +
          "FLASH_API_KEYS secret (`npm run -s keys -- export | npx wrangler secret put FLASH_API_KEYS --env <blue|green>`).",
        headers: { "retry-after": "300" },
      });
    }

    const fail = (reason: Exclude<AuthFailure, "not_configured">, keyId?: string) => {
      log({ outcome: reason, path, keyId, configErrors: errors.length ? errors : undefined });
      const challenge = reason === "missing" ? REALM : `${REALM}, error="${reason === "malformed" ? "invalid_request" : "invalid_token"}", error_description="${MESSAGES[reason]}"`;
      // Outside production with nothing configured, say how to get going locally.
      const hint = !usable && !devKey ? " No API key is configured here: set FLASH_DEV_API_KEY (see .dev.vars.example)." : "";
      return respond(c, { status: 401, code: "unauthorized", message: MESSAGES[reason] + hint, headers: { "www-authenticate": challenge } });
    };

    const header = c.req.header("authorization");
    if (header === undefined || header.trim() === "") return fail("missing");
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    const presented = match?.[1];
    if (!presented || presented.length > MAX_KEY_LENGTH) return fail("malformed");

    const digest = await digestApiKey(presented);
    const checked = matchApiKey(digest, keys, keyRing.digests, now());
    let key: AuthenticatedKey | undefined;
    if (checked.status === "valid") {
      key = { id: checked.record.id, name: checked.record.name, rateLimit: checked.record.rate_limit, source: "secret" };
    } else if (checked.status === "expired" || checked.status === "revoked") {
      return fail(checked.status, checked.record.id);
    } else if (keyRing.devDigest && timingSafeEqualBytes(digest, await keyRing.devDigest)) {
      key = { id: DEV_KEY_ID, name: "development key", rateLimit: env.FLASH_DEV_KEY_RATE_LIMIT?.trim() || "unlimited", source: "dev" };
    }
    if (!key) return fail("unknown");

    c.set("apiKey", key);
    log({ outcome: "ok", path, keyId: key.id });
    return next();
  });
}
