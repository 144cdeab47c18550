/**
 * The FLASH prediction API's wiring: middleware in order, routes, the 404/405 handler and the
 * one onError. Routes live in routes/, the prediction logic in core/, the model in model/.
 * Dependencies come in as arguments, so tests build the same app around another model or cache.
 *
 * Order, outermost first: the request log (one JSON line per request, a 5xx with its error),
 * the after-response queue (work that must not delay the answer, e.g. onnxruntime's start),
 * security headers (so every answer has them, errors included), CORS (preflights answered
 * before authentication), the API key (401/503), the per-key rate limit (429). Their refusals
 * are HTTPExceptions in the API's one JSON error shape, answered by onError.
 */

import { Hono } from "hono";
import type { AppDeps, AppEnv } from "./app-env.js";
import { requireApiKey, type AuthEvent } from "./auth/index.js";
import { createClientError, handleError, handleNotFound } from "./errors.js";
import { runAfterResponse } from "./middleware/after-response.js";
import { rateLimitByKey } from "./middleware/rate-limit.js";
import { logRequests } from "./middleware/request-log.js";
import { corsFromAllowList, securityHeaders } from "./middleware/security.js";
import { createMetaRoutes } from "./routes/meta.js";
import { createPredictRoutes } from "./routes/predict.js";
import { createScenarioRoutes } from "./routes/scenarios.js";

const reportedKeyProblems = new Set<string>();

/** A broken FLASH_API_KEYS secret is an operator's problem: say so in the logs, once per isolate. */
function logAuthEvent(event: AuthEvent): void {
  for (const problem of event.configErrors ?? []) {
    if (reportedKeyProblems.has(problem)) continue;
    reportedKeyProblems.add(problem);
    console.warn(`auth: ${problem}`);
  }
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(logRequests());
  app.use(runAfterResponse());
  app.use(securityHeaders());
  app.use(corsFromAllowList());
  app.use(
    requireApiKey({
      log: logAuthEvent,
      errorResponse: (_c, init) => {
        const issues = init.status === 401 ? [{ field: "authorization", rule: "api_key", message: init.message }] : undefined;
        throw createClientError(init.status, init.code, init.message, issues, init.headers);
      },
    }),
  );
  app.use(
    rateLimitByKey({
      errorResponse: (_c, init) => {
        throw createClientError(init.status, init.code, init.message, [{ field: "authorization", rule: "rate_limit", message: init.message }], init.headers);
      },
    }),
  );
  app.route("/", createMetaRoutes(deps));
  app.route("/", createPredictRoutes(deps));
  app.route("/", createScenarioRoutes(deps));
  app.notFound(handleNotFound);
  app.onError(handleError);
  return app;
}
