/**
 * The model this Worker was built with: models/default, bundled at build time (the ONNX bytes
 * as a Data module, the manifest as JSON, the card as text), so a deployed version can never
 * change its model. To serve another model, put it in models/default and deploy again.
 *
 * Module-level state, documented on purpose: `bundledModelService` holds the isolate's one ONNX
 * session, created lazily right after the first prediction's answer (or by /health) and reused by
 * every request; until it is up, the same file's trees answer (model-service.ts).
 */

import onnx from "../../../models/default/model.onnx";
import manifest from "../../../models/default/manifest.json";
import card from "../../../models/default/MODEL_CARD.md";
import { ModelService } from "./model-service.js";
import { OrtModel, createOrtSession } from "./ort-model.js";

export const bundledModel = { onnx, manifest: manifest as unknown, card };

export async function createOrtModel(bytes: Uint8Array): Promise<OrtModel> {
  return new OrtModel(await createOrtSession(bytes));
}

export const bundledModelService = new ModelService(bundledModel, { createModel: createOrtModel, start: "deferred" });
