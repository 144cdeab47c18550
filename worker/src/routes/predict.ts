/**
 * POST /predict and POST /predict/batch. Both validate every field, look every valid startup up
 * in the prediction cache (one round trip for a whole batch), predict the misses in one model
 * run (resolvePredictions) and answer with the headers the router reads. `X-Cache` and the
 * body's `cache` say HIT, MISS or BYPASS; id, timestamp and timing are fresh on every answer.
 *
 * The answers are written around each prediction's JSON as the cache holds it (spliced, not
 * parsed and serialised again): a HIT's body is mostly the stored text, and a MISS is serialised
 * once for both the cache and the answer.
 */

import { Hono } from "hono";
import type { PredictionCore } from "../../../core/predict.js";
import { parseBatch, parseStartup, type ParsedStartup } from "../../../core/requests.js";
import type { Warning } from "../../../core/warnings.js";
import type { AppDeps, AppEnv } from "../app-env.js";
import { buildErrorBody } from "../errors.js";
import { MAX_BATCH_BODY_BYTES } from "../http/read-json.js";
import { resolvePredictions, type CacheStatus, type ResolvedPrediction } from "../prediction-flow.js";
import { elapsedMs, prepareServing, readValidBody } from "../serving.js";

export interface PredictionBody extends Omit<PredictionCore, "warnings"> {
  readonly prediction_id: string;
  readonly warnings: readonly Warning[];
  readonly cache: CacheStatus;
  readonly processing_time_ms: number;
  readonly timestamp: string;
}

function buildPredictionBody(
  core: PredictionCore,
  requestWarnings: readonly Warning[],
  cache: CacheStatus,
  startedAt: number,
): PredictionBody {
  return {
    prediction_id: crypto.randomUUID(),
    ...core,
    warnings: requestWarnings.length > 0 ? [...requestWarnings, ...core.warnings] : core.warnings,
    cache,
    processing_time_ms: elapsedMs(startedAt),
    timestamp: new Date().toISOString(),
  };
}

const JSON_HEADERS = { "Content-Type": "application/json" } as const;

/** A JSON object's text with at least one member, as JSON.stringify writes it (so it can be spliced). */
function isSpliceable(json: string): boolean {
  return json.length > 2 && json.charCodeAt(0) === 0x7b && json.charCodeAt(json.length - 1) === 0x7d;
}

/**
 * The members of the core's JSON (its text without the braces), with the unknown-field
 * warnings put first in its `warnings` array; undefined when the text is not the one
 * JSON.stringify writes for this core (then the caller builds the answer as an object). The
 * `"warnings":[...]` searched for cannot occur inside a string value, where quotes are escaped,
 * and no nested member of a prediction is called warnings.
 */
function spliceMembers(json: string, core: PredictionCore, requestWarnings: readonly Warning[]): string | undefined {
  if (!isSpliceable(json)) return undefined;
  if (requestWarnings.length === 0) return json.slice(1, -1);
  const own = JSON.stringify(core.warnings);
  const needle = `"warnings":${own}`;
  const at = json.indexOf(needle);
  if (at < 1 || (json[at - 1] !== "," && json[at - 1] !== "{")) return undefined;
  const first = JSON.stringify(requestWarnings).slice(1, -1);
  const merged = `"warnings":[${first}${own.length > 2 ? `,${own.slice(1)}` : "]"}`;
  return json.slice(1, at) + merged + json.slice(at + needle.length, -1);
}

/**
 * The JSON text of buildPredictionBody(...), same members in the same order, written around
 * the core's own JSON (unknown-field warnings first in `warnings`). A stored text that is not
 * exactly what JSON.stringify writes for its core is answered through the object instead.
 */
export function renderPredictionBody(
  resolved: ResolvedPrediction,
  requestWarnings: readonly Warning[],
  startedAt: number,
): { readonly id: string; readonly json: string } {
  const members = spliceMembers(resolved.json, resolved.core, requestWarnings);
  if (members === undefined) {
    const body = buildPredictionBody(resolved.core, requestWarnings, resolved.cache, startedAt);
    return { id: body.prediction_id, json: JSON.stringify(body) };
  }
  const id = crypto.randomUUID();
  const json =
    `{"prediction_id":"${id}",${members},"cache":"${resolved.cache}",` +
    `"processing_time_ms":${elapsedMs(startedAt)},"timestamp":"${new Date().toISOString()}"}`;
  return { id, json };
}

/** All HIT, all MISS or all BYPASS says so; a mix is MISS (something was computed). */
function summariseCache(statuses: readonly CacheStatus[]): CacheStatus {
  const first = statuses[0] ?? "BYPASS";
  return statuses.every((s) => s === first) ? first : "MISS";
}

export function createPredictRoutes(deps: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.post("/predict", async (c) => {
    const startedAt = performance.now();
    const startup = await readValidBody(c, parseStartup);
    const serving = await prepareServing(c, deps);
    const [resolved] = await resolvePredictions(c, [startup.values], {
      engine: serving.loaded,
      context: serving.context,
      cache: serving.cache,
      cacheable: serving.cacheable,
    });
    const { core, cache } = resolved!;
    const body = renderPredictionBody(resolved!, startup.warnings, startedAt);
    return c.body(body.json, 200, {
      ...JSON_HEADERS,
      "X-Cache": cache,
      "X-Flash-Probability": String(Math.round(core.success_probability * 1e6) / 1e6),
      "X-Flash-Verdict": core.verdict_code,
      "X-Flash-Model-Version": core.model.version,
      "X-Flash-Prediction-Id": body.id,
      // "trees" while onnxruntime starts in a fresh isolate (same file, same probabilities).
      "X-Flash-Engine": serving.loaded.engine(),
    });
  });

  routes.post("/predict/batch", async (c) => {
    const startedAt = performance.now();
    const items = await readValidBody(c, parseBatch, MAX_BATCH_BODY_BYTES);
    const serving = await prepareServing(c, deps);
    const valid = items.flatMap((item, index) => (item.ok ? [{ index, startup: item.value as ParsedStartup }] : []));
    const resolved = await resolvePredictions(
      c,
      valid.map((v) => v.startup.values),
      { engine: serving.loaded, context: serving.context, cache: serving.cache, cacheable: serving.cacheable },
    );
    const byIndex = new Map(valid.map((v, k) => [v.index, { startup: v.startup, resolved: resolved[k]! }]));
    // Each result as JSON text: {index, status: 422, error} or {index, status: 200, prediction}.
    const results = items.map((item, index) => {
      if (!item.ok) {
        const message = `${item.issues.length} problem${item.issues.length === 1 ? "" : "s"} with startups[${index}]`;
        return JSON.stringify({ index, status: 422, error: buildErrorBody(422, "invalid_request", message, item.issues).error });
      }
      const { startup, resolved: r } = byIndex.get(index)!;
      return `{"index":${index},"status":200,"prediction":${renderPredictionBody(r, startup.warnings, startedAt).json}}`;
    });
    const model = serving.context.model;
    const cache = summariseCache(resolved.map((r) => r.cache));
    const json =
      `{"count":${results.length},"succeeded":${valid.length},"failed":${results.length - valid.length},` +
      `"results":[${results.join(",")}],"model":${JSON.stringify(model)},"cache":"${cache}",` +
      `"processing_time_ms":${elapsedMs(startedAt)},"timestamp":"${new Date().toISOString()}"}`;
    return c.body(json, 200, { ...JSON_HEADERS, "X-Cache": cache, "X-Flash-Model-Version": model.version, "X-Flash-Engine": serving.loaded.engine() });
  });

  return routes;
}
