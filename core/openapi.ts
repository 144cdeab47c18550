/**
 * The API's OpenAPI 3.1 document, generated from the same definitions that validate requests
 * (core/schema.ts for the features, core/requests.ts for limits, core/verdict.ts for bands), so
 * the published contract cannot drift from what the Worker accepts.
 */

import { UNCERTAINTY_LEVELS } from "./confidence.js";
import { FLAG_RULES } from "./flags.js";
import { MAX_BATCH_ITEMS, MAX_SCENARIOS, MAX_SCENARIO_NAME_LENGTH } from "./requests.js";
import { FEATURES, PILLARS, type Feature } from "./schema.js";
import { VERDICT_BANDS } from "./verdict.js";

type Schema = Record<string, unknown>;

/** JSON Schema of one feature as clients may send it (before normalisation). */
export function describeFeatureSchema(feature: Feature): Schema {
  const description = `${feature.description} [${feature.pillar}]`;
  switch (feature.type) {
    case "number":
    case "integer":
      return {
        type: [feature.type, "null"],
        minimum: feature.min,
        maximum: feature.max,
        description: `${description} Unit: ${feature.unit}.`,
        "x-pillar": feature.pillar,
      };
    case "boolean":
      return {
        description: `${description} true/false, 1/0 or "yes"/"no".`,
        oneOf: [{ type: "boolean" }, { type: "integer", enum: [0, 1] }, { type: "string", enum: ["true", "false", "yes", "no", "1", "0"] }, { type: "null" }],
        "x-pillar": feature.pillar,
      };
    case "category":
      return {
        type: ["string", "null"],
        enum: [...feature.categories, null],
        description: `${description} Case, spaces and dashes are ignored ("Series A" is series_a).`,
        "x-pillar": feature.pillar,
      };
  }
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema, description: string) => ({ description, content: { "application/json": { schema } } });

function buildFeaturesSchema(): Schema {
  return {
    type: "object",
    description:
      "Any of the 45 FLASH features; all optional (missing values are normal). Fields that are not features are ignored with a warning, or refused with ?strict=true.",
    properties: Object.fromEntries(FEATURES.map((f) => [f.name, describeFeatureSchema(f)])),
    additionalProperties: true,
  };
}

const probability = { type: "number", minimum: 0, maximum: 1 };

function buildSchemas(): Record<string, Schema> {
  const pillars = Object.fromEntries(PILLARS.map((p) => [p, probability]));
  return {
    Features: buildFeaturesSchema(),
    PredictRequest: {
      allOf: [ref("Features"), { type: "object", properties: { startup_name: { type: "string", description: "Accepted and ignored." } } }],
    },
    Issue: {
      type: "object",
      required: ["field", "rule", "message"],
      properties: { field: { type: "string" }, rule: { type: "string" }, message: { type: "string" } },
    },
    ErrorDetail: {
      type: "object",
      required: ["status", "code", "message", "issues"],
      properties: {
        status: { type: "integer" },
        code: { type: "string" },
        message: { type: "string" },
        issues: { type: "array", items: ref("Issue"), description: "every problem found, each naming its field and rule; empty when no field is at fault" },
      },
    },
    Error: { type: "object", required: ["error"], properties: { error: ref("ErrorDetail") } },
    Warning: {
      type: "object",
      required: ["code", "message"],
      properties: { code: { type: "string" }, field: { type: "string" }, message: { type: "string" }, suggestion: { type: "string" } },
    },
    Factor: {
      type: "object",
      properties: {
        feature: { type: "string" },
        pillar: { type: "string", enum: [...PILLARS] },
        value: {},
        impact: { type: "number", description: "Change in success probability from knowing this value." },
        direction: { type: "string", enum: ["positive", "negative"] },
        size: { type: "string", enum: ["small", "moderate", "large"] },
        explanation: { type: "string" },
      },
    },
    Flag: {
      type: "object",
      properties: {
        type: { type: "string", enum: ["red", "green"] },
        code: { type: "string", enum: FLAG_RULES.map((r) => r.code) },
        feature: { type: "string" },
        value: {},
        message: { type: "string" },
      },
    },
    ModelRef: {
      type: "object",
      properties: { name: { type: "string" }, version: { type: "string" }, sha256: { type: "string" } },
    },
    Prediction: {
      type: "object",
      required: ["prediction_id", "success_probability", "confidence_interval", "verdict", "pillar_scores", "model"],
      properties: {
        prediction_id: { type: "string", format: "uuid" },
        success_probability: { ...probability, description: "Calibrated probability of success." },
        confidence_interval: {
          type: "object",
          description: "lower <= success_probability <= upper; see the README for the method.",
          properties: { lower: probability, upper: probability, width: probability },
        },
        confidence_score: { ...probability, description: "1 - interval width." },
        uncertainty_level: {
          type: "string",
          enum: [...UNCERTAINTY_LEVELS.map((l) => l.level), "very_high"],
          description: UNCERTAINTY_LEVELS.map((l) => `${l.level}: width < ${l.maxWidth}`).join("; ") + "; very_high otherwise.",
        },
        verdict: {
          type: "string",
          enum: VERDICT_BANDS.map((b) => b.label),
          description: VERDICT_BANDS.map((b) => `${b.label} >= ${b.min}`).join(", "),
        },
        verdict_code: { type: "string", enum: VERDICT_BANDS.map((b) => b.id) },
        verdict_confidence: { ...probability, description: "Share of the interval inside the verdict's band." },
        pillar_scores: {
          type: "object",
          properties: pillars,
          description: "Calibrated probability given only that pillar's features.",
        },
        factors: { type: "array", items: ref("Factor") },
        flags: { type: "array", items: ref("Flag") },
        warnings: { type: "array", items: ref("Warning") },
        data_completeness: probability,
        model: ref("ModelRef"),
        cache: { type: "string", enum: ["HIT", "MISS", "BYPASS"] },
        processing_time_ms: { type: "number" },
        timestamp: { type: "string", format: "date-time" },
      },
    },
    BatchRequest: {
      oneOf: [
        {
          type: "object",
          required: ["startups"],
          properties: { startups: { type: "array", minItems: 1, maxItems: MAX_BATCH_ITEMS, items: ref("PredictRequest") } },
        },
        { type: "array", minItems: 1, maxItems: MAX_BATCH_ITEMS, items: ref("PredictRequest") },
      ],
    },
    BatchResponse: {
      type: "object",
      properties: {
        count: { type: "integer" },
        succeeded: { type: "integer" },
        failed: { type: "integer" },
        results: {
          type: "array",
          items: {
            type: "object",
            required: ["index", "status"],
            properties: {
              index: { type: "integer" },
              status: { type: "integer", enum: [200, 422] },
              prediction: ref("Prediction"),
              error: ref("ErrorDetail"),
            },
          },
        },
        model: ref("ModelRef"),
        cache: { type: "string", enum: ["HIT", "MISS", "BYPASS"], description: "All items HIT, all BYPASS, else MISS; each prediction has its own." },
        processing_time_ms: { type: "number" },
        timestamp: { type: "string", format: "date-time" },
      },
    },
    ScenarioRequest: {
      type: "object",
      required: ["base"],
      properties: {
        base: ref("PredictRequest"),
        scenarios: {
          type: "array",
          minItems: 1,
          maxItems: MAX_SCENARIOS,
          description: "Leave out for FLASH's standard what-ifs.",
          items: {
            type: "object",
            required: ["name", "changes"],
            properties: {
              name: { type: "string", maxLength: MAX_SCENARIO_NAME_LENGTH },
              changes: {
                type: "object",
                description: "New feature values; null removes a value. Unknown fields are refused here.",
                minProperties: 1,
              },
            },
          },
        },
      },
    },
    ScenarioResponse: {
      type: "object",
      properties: {
        base: { type: "object", properties: { success_probability: probability, verdict: { type: "string" }, verdict_code: { type: "string" } } },
        scenarios: {
          type: "array",
          items: {
            type: "object",
            properties: {
              name: { type: "string" },
              changes: { type: "object" },
              success_probability: probability,
              impact: { type: "number" },
              verdict: { type: "string" },
              verdict_code: { type: "string" },
              verdict_changed: { type: "boolean" },
            },
          },
        },
        recommendations: {
          type: "array",
          description: "At most 3 changes that raise the probability by a point or more; empty when none does.",
          items: { type: "object", required: ["scenario", "impact", "message"], properties: { scenario: { type: "string", minLength: 1 }, impact: { type: "number" }, message: { type: "string" } } },
        },
        note: { type: ["string", "null"], description: "Why there are no recommendations; null when there are." },
        warnings: { type: "array", items: ref("Warning") },
        model: ref("ModelRef"),
        cache: { type: "string", enum: ["BYPASS"], description: "What-ifs are not cached." },
        processing_time_ms: { type: "number" },
        timestamp: { type: "string", format: "date-time" },
      },
    },
    Health: {
      type: "object",
      properties: {
        status: { type: "string", enum: ["ok", "unavailable"] },
        model_loaded: { type: "boolean" },
        checksum_verified: { type: "boolean" },
        engine: {
          type: ["string", "null"],
          enum: ["onnxruntime", "trees", null],
          description: "What scores now: onnxruntime, or the model's trees while onnxruntime starts (null before the first load).",
        },
        color: { type: "string" },
        environment: { type: "string" },
        model: ref("ModelRef"),
        faults: { type: ["object", "null"], description: "Active fault injection (never in production)." },
        cache: {
          type: "object",
          properties: {
            backend: { type: "string", enum: ["redis", "memory"] },
            ttl_seconds: { type: "integer" },
            breaker: { type: "string", enum: ["closed", "open", "half_open"], description: "Redis only: open means Redis is skipped for a while after failures." },
          },
        },
        reason: { type: "string" },
      },
    },
  };
}

/** Answers of every route that needs an API key. */
const keyErrors = {
  "401": json(ref("Error"), "Missing, malformed, unknown, expired or revoked API key; WWW-Authenticate says which."),
  "429": {
    ...json(ref("Error"), "Over this key's rate limit (default 100 requests per 10 s)."),
    headers: { "Retry-After": { schema: { type: "integer" }, description: "Seconds until the window ends." } },
  },
};

/** For /health, /openapi.json and /docs: no API key needed. */
const noKey = { security: [] as unknown[] };

const errors = {
  ...keyErrors,
  "400": json(ref("Error"), "Malformed JSON, empty body, or not an object."),
  "413": json(ref("Error"), "Body over 64 KB (256 KB for /predict/batch)."),
  "415": json(ref("Error"), "Content-Type is not application/json."),
  "422": json(ref("Error"), "Invalid features; every problem is listed with its field and rule."),
  "503": json(ref("Error"), "The model is not available (failed to load or checksum mismatch), or a production deployment has no API keys configured."),
};

const strictParameter = {
  name: "strict",
  in: "query",
  required: false,
  schema: { type: "boolean", default: false },
  description: "Refuse fields that are not features (422) instead of warning about them.",
};

const predictionHeaders = {
  "X-Cache": { schema: { type: "string", enum: ["HIT", "MISS", "BYPASS"] } },
  "X-Flash-Probability": { schema: { type: "string" } },
  "X-Flash-Verdict": { schema: { type: "string", enum: VERDICT_BANDS.map((b) => b.id) } },
  "X-Flash-Model-Version": { schema: { type: "string" } },
  "X-Flash-Engine": {
    description: "onnxruntime, or trees while onnxruntime starts in a fresh isolate (same model file, same probabilities).",
    schema: { type: "string", enum: ["onnxruntime", "trees"] },
  },
};

/** The whole document; `serverUrl` is the origin the document is served from. */
export function buildOpenApiDocument(options: { version: string; serverUrl?: string }): Schema {
  const example = { total_capital_raised_usd: 1000000, funding_stage: "seed" };
  return {
    openapi: "3.1.0",
    info: {
      title: "FLASH Edge prediction API",
      version: options.version,
      description:
        "Scores a startup's chance of success from 45 CAMP features (capital, advantage, market, people, product) with a calibrated gradient-boosted tree model running in onnxruntime-web on Cloudflare Workers.",
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    paths: {
      "/predict": {
        post: {
          summary: "Score one startup",
          parameters: [strictParameter],
          requestBody: { required: true, content: { "application/json": { schema: ref("PredictRequest"), example } } },
          responses: { "200": { ...json(ref("Prediction"), "The prediction."), headers: predictionHeaders }, ...errors },
        },
      },
      "/predict/batch": {
        post: {
          summary: `Score up to ${MAX_BATCH_ITEMS} startups in one model run`,
          parameters: [strictParameter],
          requestBody: { required: true, content: { "application/json": { schema: ref("BatchRequest") } } },
          responses: { "200": json(ref("BatchResponse"), "One result per item; a bad item has its own error."), ...errors },
        },
      },
      "/scenarios": {
        post: {
          summary: "What-if analysis",
          parameters: [strictParameter],
          requestBody: { required: true, content: { "application/json": { schema: ref("ScenarioRequest") } } },
          responses: { "200": json(ref("ScenarioResponse"), "Scenarios sorted by impact, with recommendations."), ...errors },
        },
      },
      "/features": {
        get: { summary: "The 45 features: names, types, ranges, units, categories, descriptions", responses: { "200": { description: "The schema." }, ...keyErrors } },
      },
      "/model": { get: { summary: "The model card as JSON: manifest and test metrics", responses: { "200": { description: "The manifest." }, ...keyErrors } } },
      "/health": {
        get: {
          ...noKey,
          summary: "Liveness, model and cache status",
          responses: { "200": json(ref("Health"), "Ready."), "503": json(ref("Health"), "The model cannot serve.") },
        },
      },
      "/openapi.json": { get: { ...noKey, summary: "The OpenAPI 3.1 document of this API (what /docs is rendered from)", responses: { "200": { description: "OpenAPI 3.1." } } } },
      "/docs": { get: { ...noKey, summary: "Human-readable API docs", responses: { "200": { description: "HTML." } } } },
    },
    security: [{ apiKey: [] }],
    components: {
      schemas: buildSchemas(),
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "An API key (`npm run keys -- create`); locally FLASH_DEV_API_KEY from .dev.vars.example." },
      },
    },
  };
}
