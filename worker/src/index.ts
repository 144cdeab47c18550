/**
 * The API Worker around one model. Each model version in the registry (models/<version>/) has
 * an `entry.ts`, written by model-build, that bundles its files and calls `createModelWorker`;
 * wrangler.toml's `main` names that entry per colour (models/default.ts for local runs), so a
 * deployment can never change its model. The wiring of middleware and routes is in app.ts.
 *
 * Module-level state, documented on purpose: the entry module creates the isolate's one
 * ModelService, which holds the lazily created ONNX session (started right after the first
 * prediction's answer, or by /health) and reuses it for every request; until it is up, the same
 * file's trees answer (model/model-service.ts).
 */

import type { Hono } from "hono";
import type { AppEnv } from "./app-env.js";
import { createApp } from "./app.js";
import { ModelService, type ModelBundle } from "./model/model-service.js";
import { createOrtModel } from "./model/ort-model.js";

export type { ModelBundle } from "./model/model-service.js";

export function createModelWorker(bundle: ModelBundle): Hono<AppEnv> {
  return createApp({ models: new ModelService(bundle, { createModel: createOrtModel, start: "deferred" }) });
}
