/**
 * What every prediction route does before it predicts: apply injected faults (outside
 * production), make sure the model is loaded and is the one this deployment must serve, and
 * pick the prediction context (the constant-probability fault swaps the calibration).
 */

import type { Context } from "hono";
import { createPredictionContext, type PredictionContext } from "../../core/predict.js";
import type { ParseOptions, ParseResult } from "../../core/requests.js";
import type { AppDeps, AppEnv } from "./app-env.js";
import { createClientError, createValidationError } from "./errors.js";
import { applyFaults, readFaultConfig } from "./faults.js";
import { MAX_BODY_BYTES, readJsonBody } from "./http/read-json.js";
import type { LoadedModel } from "./model/model-service.js";

export interface Serving {
  readonly loaded: LoadedModel;
  readonly context: PredictionContext;
  /** False when faults change the answers (they must never reach a cache). */
  readonly cacheable: boolean;
}

export async function prepareServing(c: Context<AppEnv>, deps: AppDeps): Promise<Serving> {
  const faults = readFaultConfig(c.env);
  await applyFaults(faults);
  const loaded = await deps.models.load(c.env.FLASH_MODEL_VERSION ?? "");
  const constant = faults?.constantProbability;
  if (constant === undefined) return { loaded, context: loaded.context, cacheable: true };
  return { loaded, context: createPredictionContext(loaded.manifest, { constantProbability: constant }), cacheable: false };
}

/** The request's JSON body checked by `parse` (honouring ?strict), or the 4xx that says why not. */
export async function readValidBody<T>(
  c: Context<AppEnv>,
  parse: (input: unknown, options: ParseOptions) => ParseResult<T>,
  limit = MAX_BODY_BYTES,
): Promise<T> {
  const strict = readStrictParameter(c);
  const parsed = parse(await readJsonBody(c.req.raw, limit), { strict });
  if (!parsed.ok) throw createValidationError(parsed.issues);
  return parsed.value;
}

/** `?strict=true|false|1|0` (absent = false); anything else is a 400 naming the parameter. */
export function readStrictParameter(c: Context<AppEnv>): boolean {
  const raw = c.req.query("strict");
  if (raw === undefined || raw === "" || raw === "false" || raw === "0") return false;
  if (raw === "true" || raw === "1") return true;
  throw createClientError(400, "invalid_parameter", `strict must be true or false, got ${JSON.stringify(raw.slice(0, 40))}`, [
    { field: "strict", rule: "boolean", message: "must be true or false" },
  ]);
}

export function elapsedMs(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 1000) / 1000;
}
