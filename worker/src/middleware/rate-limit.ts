/**
 * `rateLimitByKey()`: a per-API-key rate limit on the Workers rate-limiting binding.
 *
 * The binding counts per key within a fixed window of 10 or 60 s (Cloudflare's only periods),
 * per Cloudflare location, and its limit is fixed in wrangler.toml. So "10 requests/s with a
 * burst" is a budget of 100 requests per 10 s window: a client may burst up to 100 at once, then
 * waits for the window to roll over. A key's own limit is a tier: one binding per tier
 * (wrangler.toml `[[ratelimits]]`), chosen by the key record's `rate_limit`; "unlimited" skips the
 * check (the local development key, so benchmarks measure the Worker, not the limiter).
 *
 * Over the limit: 429 with Retry-After (seconds to the end of the window). A missing binding or a
 * failing limiter lets the request through (fail open) and warns once per isolate.
 */

import type { Context, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import type { AuthVariables } from "../auth/require-api-key.js";

/** The Workers rate-limiting binding, structurally (matches `RateLimit` from workers types). */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

export interface RateLimitTier {
  /** Name of the binding in env (wrangler.toml `[[ratelimits]] name`). */
  readonly binding: string;
  /** The binding's `simple.limit`, repeated here for headers and messages. */
  readonly limit: number;
  /** The binding's `simple.period` in seconds. */
  readonly periodSeconds: 10 | 60;
}

/** Must match wrangler.toml's [[ratelimits]] (a worker test checks the default tier's numbers). */
export const DEFAULT_RATE_LIMIT_TIERS: Readonly<Record<string, RateLimitTier>> = {
  default: { binding: "RATE_LIMIT_DEFAULT", limit: 100, periodSeconds: 10 },
  partner: { binding: "RATE_LIMIT_PARTNER", limit: 1_000, periodSeconds: 10 },
  bulk: { binding: "RATE_LIMIT_BULK", limit: 10_000, periodSeconds: 10 },
};

export const UNLIMITED = "unlimited";

export interface RateLimitEvent {
  readonly keyId: string;
  readonly tier: string;
  readonly outcome: "allowed" | "limited" | "unlimited" | "skipped";
  readonly reason?: string;
}

export interface RateLimitOptions {
  readonly tiers?: Readonly<Record<string, RateLimitTier>>;
  readonly defaultTier?: string;
  /** Who is counted; default the API key id set by requireApiKey. No id: not limited here. */
  readonly keyOf?: (c: Context) => string | undefined;
  /** Which tier; default the key record's rate_limit. */
  readonly tierOf?: (c: Context) => string | undefined;
  readonly log?: (event: RateLimitEvent) => void;
  readonly warn?: (message: string) => void;
  /** How to answer 429; default `{"error": "rate_limited", message, retry_after_seconds}` as JSON. */
  readonly errorResponse?: (c: Context, init: RateLimitedInit) => Response | Promise<Response>;
  readonly now?: () => number;
}

export interface RateLimitedInit {
  readonly status: 429;
  readonly code: "rate_limited";
  readonly message: string;
  readonly retryAfterSeconds: number;
  /** Retry-After and RateLimit-Policy. */
  readonly headers: Record<string, string>;
}

function defaultErrorResponse(c: Context, init: RateLimitedInit): Response {
  return c.json({ error: init.code, message: init.message, retry_after_seconds: init.retryAfterSeconds }, init.status, init.headers);
}

/** Seconds until the current fixed window ends (at least 1). */
export function secondsUntilWindowEnds(nowMs: number, periodSeconds: number): number {
  const periodMs = periodSeconds * 1000;
  return Math.max(1, Math.ceil((periodMs - (nowMs % periodMs)) / 1000));
}

const warnedOnce = new Set<string>();

export function rateLimitByKey(
  options: RateLimitOptions = {},
): MiddlewareHandler<{ Bindings: Record<string, unknown>; Variables: Partial<AuthVariables> }> {
  const tiers = options.tiers ?? DEFAULT_RATE_LIMIT_TIERS;
  const defaultTier = options.defaultTier ?? "default";
  if (!tiers[defaultTier]) throw new Error(`rateLimitByKey: default tier ${defaultTier} is not among the tiers`);
  const keyOf = options.keyOf ?? ((c: Context) => (c.get("apiKey") as AuthVariables["apiKey"] | undefined)?.id);
  const tierOf = options.tierOf ?? ((c: Context) => (c.get("apiKey") as AuthVariables["apiKey"] | undefined)?.rateLimit);
  const log = options.log ?? (() => {});
  const now = options.now ?? Date.now;
  const respond = options.errorResponse ?? defaultErrorResponse;
  const warn = (message: string) => {
    if (warnedOnce.has(message)) return;
    warnedOnce.add(message);
    (options.warn ?? ((m: string) => console.warn(`rate-limit: ${m}`)))(message);
  };

  return createMiddleware(async (c, next) => {
    if (c.req.method === "OPTIONS") return next();
    const keyId = keyOf(c);
    if (!keyId) return next();
    let tierName = tierOf(c) ?? defaultTier;
    if (tierName === UNLIMITED) {
      log({ keyId, tier: tierName, outcome: "unlimited" });
      return next();
    }
    if (!tiers[tierName]) {
      warn(`key ${keyId} asks for unknown rate-limit tier "${tierName}"; using "${defaultTier}"`);
      tierName = defaultTier;
    }
    const tier = tiers[tierName]!;
    const binding = (c.env as Record<string, unknown> | undefined)?.[tier.binding] as RateLimiter | undefined;
    if (!binding || typeof binding.limit !== "function") {
      warn(`binding ${tier.binding} (tier ${tierName}) is missing: requests are not rate limited; add it to wrangler.toml [[ratelimits]]`);
      log({ keyId, tier: tierName, outcome: "skipped", reason: "missing binding" });
      return next();
    }
    let success: boolean;
    try {
      ({ success } = await binding.limit({ key: keyId }));
    } catch (error) {
      warn(`binding ${tier.binding} failed (${error instanceof Error ? error.message : String(error)}): failing open`);
      log({ keyId, tier: tierName, outcome: "skipped", reason: "limiter error" });
      return next();
    }
    const policy = `${tier.limit};w=${tier.periodSeconds}`;
    if (!success) {
      const retryAfter = secondsUntilWindowEnds(now(), tier.periodSeconds);
      log({ keyId, tier: tierName, outcome: "limited" });
      return respond(c, {
        status: 429,
        code: "rate_limited",
        message: `Too many requests for this API key: the limit is ${tier.limit} requests per ${tier.periodSeconds} s (tier ${tierName}). Retry after ${retryAfter} s.`,
        retryAfterSeconds: retryAfter,
        headers: { "retry-after": String(retryAfter), "ratelimit-policy": policy },
      });
    }
    log({ keyId, tier: tierName, outcome: "allowed" });
    await next();
    c.header("ratelimit-policy", policy);
  });
}
