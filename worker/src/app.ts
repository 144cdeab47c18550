/**
 * The FLASH prediction API's wiring: routes, the 404/405 handler and the one onError. Routes
 * live in routes/, the prediction logic in core/, the model in model/. Dependencies come in as
 * arguments, so tests build the same app around another model.
 */

import { Hono } from "hono";
import type { AppDeps, AppEnv } from "./app-env.js";
import { handleError, handleNotFound } from "./errors.js";
import { createMetaRoutes } from "./routes/meta.js";
import { createPredictRoutes } from "./routes/predict.js";
import { createScenarioRoutes } from "./routes/scenarios.js";

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.route("/", createMetaRoutes(deps));
  app.route("/", createPredictRoutes(deps));
  app.route("/", createScenarioRoutes(deps));
  app.notFound(handleNotFound);
  app.onError(handleError);
  return app;
}
