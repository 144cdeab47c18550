/**
 * One JSON log line per request (core/request-log.ts, the same fields as the API's), outermost
 * in the router app so it sees every answer: forwarded ones (which version answered, its cache
 * status and prediction id, a fallback's first failure), the router's own endpoints, and 5xx
 * with the error. With REQUEST_LOGS=false only 5xx are written.
 *
 * Built from the method, the matched route (the router's own, else the API's, else `other`:
 * core/api-routes.ts, the API's rule), the answer's headers and what the proxy
 * route recorded (ProxyLog): the key's id, never the key; never the body.
 */
import type { MiddlewareHandler } from "hono";
import { API_ROUTES, logRouteOf } from "../../../core/api-routes";
import { formatRequestLog } from "../../../core/request-log";
import { readConfig } from "../config";
import { RequestError } from "../errors";
import type { AppEnv } from "../types";

/** `ownRoutes`: the router's own paths, read once the app has all its routes. */
export function logRequests(ownRoutes: () => ReadonlySet<string>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    if (status < 500 && !readConfig(c.env).requestLogs) return;
    const headers = c.res.headers;
    const proxied = c.get("proxyLog");
    const version = headers.get("x-flash-version");
    // A 5xx: the router's own failure (c.error), the version's missing answer, or its 5xx answer.
    const error = status < 500 ? undefined : (c.error ?? proxied?.upstreamError ?? (version ? `the ${version} version answered ${status}` : undefined));
    const fallback = proxied?.fallback;
    const { level, line } = formatRequestLog({
      component: "router",
      version,
      method: c.req.method,
      route: logRouteOf(c.req.path, ownRoutes(), API_ROUTES),
      status,
      latency_ms: performance.now() - started,
      cache: headers.get("x-cache"),
      key_id: proxied?.keyId ?? null,
      prediction_id: headers.get("x-flash-prediction-id"),
      ...(fallback ? { extra: { fallback_from: fallback.from, fallback_status: fallback.status, fallback_error: fallback.error } } : {}),
      ...(error !== undefined ? { error, errorStack: c.error !== undefined && !(c.error instanceof RequestError) } : {}),
    });
    if (level === "error") console.error(line);
    else console.log(line);
  };
}
