/**
 * The Worker's entry point: the API (app.ts) around the model bundled with this deployment
 * (model/bundled.ts, which holds the isolate's one lazily created ONNX session).
 */

import { createApp } from "./app.js";
import { bundledModelService } from "./model/bundled.js";

export default createApp({ models: bundledModelService });
