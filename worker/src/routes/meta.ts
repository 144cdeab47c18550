/**
 * The read-only endpoints: /health, /features, /model, /openapi.json, /docs and the index.
 * /health loads the model (so a health check warms a fresh isolate) and never applies faults.
 */

import { Hono } from "hono";
import { buildOpenApiDocument } from "../../../core/openapi.js";
import { IGNORED_FIELDS } from "../../../core/requests.js";
import { FEATURES, PILLARS } from "../../../core/schema.js";
import type { AppDeps, AppEnv } from "../app-env.js";
import { renderDocsPage } from "../docs-page.js";
import { ModelUnavailableError } from "../errors.js";
import { readFaultConfig } from "../faults.js";
import { describeCache, selectCache } from "../serving.js";

/** The API's own version (the contract), distinct from the model's version. */
export const API_VERSION = "1.0.0";

export function describeFeatures() {
  return {
    count: FEATURES.length,
    pillars: PILLARS,
    ignored_fields: [...IGNORED_FIELDS],
    missing_values: "Every feature is optional; leave it out or send null when unknown.",
    features: FEATURES.map((f, index) => ({
      name: f.name,
      index,
      pillar: f.pillar,
      type: f.type,
      unit: f.unit,
      description: f.description,
      ...(f.type === "number" || f.type === "integer" ? { min: f.min, max: f.max } : {}),
      ...(f.type === "category" ? { categories: f.categories } : {}),
      ...(f.type === "boolean" ? { accepts: [true, false, 1, 0, "yes", "no"] } : {}),
    })),
  };
}

export function createMetaRoutes(deps: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get("/", (c) =>
    c.json({
      name: "FLASH Edge prediction API",
      version: API_VERSION,
      docs: "/docs",
      openapi: "/openapi.json",
      endpoints: ["POST /predict", "POST /predict/batch", "POST /scenarios", "GET /features", "GET /model", "GET /health"],
    }),
  );

  routes.get("/health", async (c) => {
    const manifest = deps.models.manifest;
    const identity = {
      color: c.env.FLASH_COLOR,
      environment: c.env.FLASH_ENVIRONMENT,
      model: { name: manifest.name, version: manifest.version, sha256: manifest.onnx?.sha256 },
      faults: readFaultConfig(c.env) ?? null,
      cache: describeCache(selectCache(c, deps)),
    };
    try {
      // Ready means onnxruntime is up: a health check warms an isolate completely.
      await deps.models.load(c.env.FLASH_MODEL_VERSION ?? "", { waitForOnnx: true });
    } catch (error) {
      if (!(error instanceof ModelUnavailableError)) throw error;
      const status = deps.models.status();
      return c.json(
        {
          status: "unavailable",
          model_loaded: status.loaded,
          checksum_verified: status.checksumVerified,
          engine: status.engine,
          ...identity,
          reason: error.message,
        },
        503,
        { "retry-after": "5" },
      );
    }
    const status = deps.models.status();
    return c.json({
      status: "ok",
      model_loaded: status.loaded,
      checksum_verified: status.checksumVerified,
      engine: status.engine,
      ...identity,
      load_ms: status.loadMs ?? null,
    });
  });

  routes.get("/features", (c) => c.json(describeFeatures()));

  routes.get("/model", (c) => c.json({ ...deps.models.manifest, model_card_markdown: deps.models.bundle.card }));

  routes.get("/openapi.json", (c) =>
    c.json(buildOpenApiDocument({ version: API_VERSION, serverUrl: new URL(c.req.url).origin })),
  );

  routes.get("/docs", (c) => {
    const doc = buildOpenApiDocument({ version: API_VERSION, serverUrl: new URL(c.req.url).origin });
    return c.html(renderDocsPage(doc, describeFeatures(), deps.models.manifest, { production: c.env.FLASH_ENVIRONMENT === "production" }));
  });

  return routes;
}
