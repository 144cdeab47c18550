/**
 * Everything that is not the router's own (/admin, /metrics, /router/health) goes to blue or
 * green: sticky by client key and weighted by the split, forced with X-Flash-Version by testers,
 * retried once on the other colour when the chosen one fails, and sometimes shadowed.
 */
import { API_ROUTES, logRouteOf } from "../../../core/api-routes";
import { Hono } from "hono";
import { constantTimeEqual, matchesAnyToken } from "../core/access";
import { bucketForRequest, clientKeyOf } from "../core/bucket";
import { chooseVersion, isColor, otherColor, shouldShadow, type Color, type Role, type Split } from "../core/split";
import { readConfig, type RouterConfig } from "../config";
import { RequestError, errorBody } from "../errors";
import { scheduleFlush } from "../metrics/flush";
import { observe } from "../observe";
import { runShadow } from "../shadow";
import type { AppEnv, ProxyLog } from "../types";
import { attemptFailed, callVersion, discard, toOutgoing, type Attempt } from "../upstream";

/** The forced colour of an `X-Flash-Version` request, after checking the caller may force it. */
export function parseOverride(headers: Headers, config: RouterConfig): Color | null {
  const raw = headers.get("x-flash-version");
  if (raw === null) return null;
  const color = raw.trim().toLowerCase();
  if (!isColor(color)) {
    throw new RequestError(400, "invalid_version", `X-Flash-Version must be "blue" or "green", got ${JSON.stringify(raw.slice(0, 40))}`, {
      field: "X-Flash-Version",
    });
  }
  const token = headers.get("x-flash-override-token");
  const allowed =
    token !== null &&
    ((config.adminToken !== null && constantTimeEqual(token, config.adminToken)) || matchesAnyToken(token, config.testerTokens));
  if (!allowed) {
    throw new RequestError(
      403,
      "override_forbidden",
      "X-Flash-Version is for testers: send an admin or tester token in X-Flash-Override-Token, or drop the header to be routed by the split",
      { field: "X-Flash-Override-Token" },
    );
  }
  return color;
}

/** A short, low-cardinality name for the path: its first segment. */
/** A proxied request's route: one of the API's (core/api-routes.ts), else `other`, as the API logs it. */
export function routeOf(pathname: string): string {
  return logRouteOf(pathname, API_ROUTES);
}

function roleOf(split: Split, color: Color): Role {
  return color === split.stable ? "stable" : "candidate";
}

function answer(attempt: Attempt, split: Split, fallbackFrom: Color | null): Response {
  const response = attempt.response
    ? new Response(attempt.response.body, attempt.response)
    : Response.json(
        errorBody(
          attempt.status,
          attempt.timedOut ? "upstream_timeout" : "upstream_unavailable",
          `the ${attempt.color} version did not answer${attempt.error ? `: ${attempt.error}` : ""}; try again shortly`,
        ),
        { status: attempt.status },
      );
  response.headers.set("X-Flash-Version", attempt.color);
  response.headers.set("X-Flash-Role", roleOf(split, attempt.color));
  response.headers.set("X-Flash-Split-Revision", String(split.revision));
  if (fallbackFrom) response.headers.set("X-Flash-Fallback-From", fallbackFrom);
  return response;
}

export const proxyRoutes = new Hono<AppEnv>();

proxyRoutes.all("*", async (c) => {
  const runtime = c.var.runtime;
  const env = c.env;
  const config = readConfig(env);
  const request = c.req.raw;
  const forced = parseOverride(request.headers, config);
  const split = await runtime.split.get(env, config.splitCacheMs);

  const key = clientKeyOf({
    clientId: request.headers.get("x-client-id"),
    authorization: request.headers.get("authorization"),
    apiKey: request.headers.get("x-api-key"),
  });
  const routing = forced
    ? { color: forced, role: roleOf(split, forced) }
    : chooseVersion(split, bucketForRequest(key, runtime.random));
  const url = new URL(request.url);
  const route = routeOf(url.pathname);
  const shadow =
    !forced && routing.role === "stable" && request.method === "POST" && url.pathname === "/predict" && shouldShadow(split, runtime.random);
  // A forced request is never retried elsewhere: a tester must see the version they asked for.
  const fallback = config.fallbackEnabled && !forced;
  const outgoing = await toOutgoing(request, fallback || shadow);

  let final = await callVersion(env, routing.color, outgoing, config.upstreamTimeoutMs, runtime.now);
  let fallbackFrom: Color | null = null;
  let failed: ProxyLog["fallback"] = null;
  if (fallback && attemptFailed(final)) {
    observe(runtime, env, { route, attempt: final, fellBack: true });
    discard(final);
    fallbackFrom = final.color;
    failed = { from: final.color, status: final.status, error: final.error };
    final = await callVersion(env, otherColor(final.color), outgoing, config.upstreamTimeoutMs, runtime.now);
  }
  const sample = observe(runtime, env, { route, attempt: final, fellBack: false });
  c.set("proxyLog", { keyId: key.apiKeyId, upstreamError: final.error, fallback: failed });

  if (shadow && fallbackFrom === null && !attemptFailed(final) && sample.probability !== null) {
    c.executionCtx.waitUntil(runShadow(runtime, env, outgoing, split.candidate, sample, config.upstreamTimeoutMs));
  }
  scheduleFlush(runtime, env, c.executionCtx, config.metricsFlushMs);
  return answer(final, split, fallbackFrom);
});
