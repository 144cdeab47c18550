/**
 * POST /scenarios: FLASH's what-if analysis. The base and every scenario are scored in one model
 * run; scenarios come back sorted by impact with recommendations. Without `scenarios` the
 * standard what-ifs that would improve this base are used.
 *
 * Not cached (always `X-Cache: BYPASS`, and `cache: "BYPASS"` in the body): what-ifs are
 * exploratory and a key would have to cover the base and every change, so repeats are rare and
 * entries would mostly spend Redis memory. The base alone is what /predict caches.
 */

import { Hono } from "hono";
import { scoreStartups } from "../../../core/predict.js";
import { parseScenarioRequest } from "../../../core/requests.js";
import { analyzeScenarios, applyScenario, listStandardScenarios } from "../../../core/scenarios.js";
import type { AppDeps, AppEnv } from "../app-env.js";
import { elapsedMs, prepareServing, readValidBody } from "../serving.js";

export function createScenarioRoutes(deps: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.post("/scenarios", async (c) => {
    const startedAt = performance.now();
    const request = await readValidBody(c, parseScenarioRequest);
    const serving = await prepareServing(c, deps);
    const base = request.base.values;
    const scenarios = request.scenarios ?? listStandardScenarios(base);
    const [baseProbability, ...probabilities] = await scoreStartups(serving.loaded.model, serving.context, [
      base,
      ...scenarios.map((s) => applyScenario(base, s.changes)),
    ]);
    const analysis = analyzeScenarios(baseProbability!, scenarios, probabilities);
    return c.json(
      {
        ...analysis,
        standard_scenarios: request.scenarios === undefined,
        warnings: request.base.warnings,
        model: serving.context.model,
        cache: "BYPASS",
        processing_time_ms: elapsedMs(startedAt),
        timestamp: new Date().toISOString(),
      },
      200,
      { "X-Cache": "BYPASS", "X-Flash-Model-Version": serving.context.model.version },
    );
  });

  return routes;
}
