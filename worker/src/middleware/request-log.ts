/**
 * One JSON log line per request (core/request-log.ts), outermost in the app so it sees every
 * answer: refusals by the other middleware, 404s, and 5xx with the error onError handled (Hono
 * leaves it in `c.error`). The line is the only log of a 5xx: handleError answers, this logs.
 *
 * Built from the method, the route, the answer's status and headers (X-Cache,
 * X-Flash-Prediction-Id, X-Flash-Model-Version) and the key's id; never the key, never the body.
 * In production Workers the clock only moves on I/O, so latency_ms there is the time spent
 * waiting (cache, rate limiter), not CPU; `wrangler tail` shows the CPU time beside each request.
 *
 * REQUEST_LOGS=false (as in the router) keeps only the 5xx lines: a line costs the Worker some
 * CPU per request, which a busy deployment whose platform logs already record every request
 * may prefer to save.
 */

import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { formatRequestLog } from "../../../core/request-log.js";
import type { AppEnv } from "../app-env.js";
import { logRouteOf } from "../../../core/api-routes.js";
import { FaultInjectedError, ModelUnavailableError, ROUTE_METHODS } from "../errors.js";

/** Errors that explain themselves: their message is enough, no stack. */
function isExpected(error: unknown): boolean {
  return error instanceof HTTPException || error instanceof ModelUnavailableError || error instanceof FaultInjectedError;
}

export function logRequests(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const headers = c.res.headers;
    const status = c.res.status;
    if (status < 500 && c.env?.REQUEST_LOGS === "false") return;
    const error = status >= 500 ? c.error : undefined;
    const { level, line } = formatRequestLog({
      component: "api",
      version: c.env?.FLASH_COLOR ?? null,
      method: c.req.method,
      // The API's paths are all static: the path is the route; anything else is one value.
      route: logRouteOf(c.req.path, ROUTE_METHODS),
      status,
      latency_ms: performance.now() - started,
      cache: headers.get("x-cache"),
      key_id: c.get("apiKey")?.id ?? null,
      prediction_id: headers.get("x-flash-prediction-id"),
      extra: { model_version: headers.get("x-flash-model-version") },
      ...(error !== undefined ? { error, errorStack: !isExpected(error) } : {}),
    });
    if (level === "error") console.error(line);
    else console.log(line);
  };
}
