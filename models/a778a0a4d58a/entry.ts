// The API Worker serving model a778a0a4d58a, written by model-build: wrangler.toml's `main` names
// this file to pin a colour to this model (see model-build/src/registry.ts).
import { createModelWorker } from "../../worker/src/index.js";
import onnx from "./model.onnx";
import manifest from "./manifest.json";
import card from "./MODEL_CARD.md";

export const model = { onnx, manifest: manifest as unknown, card };
export default createModelWorker(model);
