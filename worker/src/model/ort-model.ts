/**
 * onnxruntime-web inside workerd. workerd refuses to compile WebAssembly from bytes at run time,
 * so wrangler compiles ORT's .wasm at build time (a CompiledWasm module) and we hand that module
 * to emscripten when it instantiates: `env.wasm.wasmBinary` is set to a placeholder so ORT takes
 * its embedded-loader path (no fetch of the .wasm), and `WebAssembly.instantiate` is patched only
 * while ORT initialises (the first session), to instantiate the precompiled module instead of the
 * placeholder bytes. One thread, no proxy worker: Workers have neither.
 */

import * as ort from "onnxruntime-web/wasm";
import ortWasm from "onnxruntime-web/ort-wasm-simd-threaded.wasm";
import { FEATURE_COUNT } from "../../../core/schema.js";
import type { Model } from "../../../core/predict.js";

/** Set once ORT's WASM runtime is up; later sessions need no patching. */
let runtimeReady = false;
/** Serialises creations until then, so the instantiate patch never overlaps itself. */
let initialising: Promise<unknown> = Promise.resolve();

/**
 * Create an inference session for ONNX bytes. The first call initialises ORT's WASM runtime; a
 * failed creation leaves nothing behind, so the caller may simply try again.
 */
export async function createOrtSession(onnx: Uint8Array): Promise<ort.InferenceSession> {
  if (runtimeReady) return createSession(onnx);
  const attempt = initialising.then(async () => {
    if (runtimeReady) return createSession(onnx);
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    ort.env.wasm.wasmBinary = PLACEHOLDER;
    ort.env.logLevel = "error";
    const original = WebAssembly.instantiate;
    WebAssembly.instantiate = instantiatePrecompiled(original) as typeof WebAssembly.instantiate;
    try {
      const session = await createSession(onnx);
      runtimeReady = true;
      return session;
    } finally {
      WebAssembly.instantiate = original;
    }
  });
  initialising = attempt.catch(() => undefined);
  return attempt;
}

function createSession(onnx: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(onnx, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
}

/** Any bytes will do: emscripten only passes them back to the patched instantiate. */
const PLACEHOLDER = new Uint8Array(8);

function instantiatePrecompiled(original: typeof WebAssembly.instantiate) {
  return async (source: unknown, imports?: WebAssembly.Imports): Promise<unknown> => {
    if (source instanceof WebAssembly.Module) return original(source, imports);
    const instance = await original(ortWasm, imports);
    return { instance, module: ortWasm };
  };
}

/** A `Model` on a new onnxruntime session for these ONNX bytes. */
export async function createOrtModel(bytes: Uint8Array): Promise<OrtModel> {
  return new OrtModel(await createOrtSession(bytes));
}

/** The `Model` the prediction core uses, backed by one ORT session. */
export class OrtModel implements Model {
  constructor(private readonly session: ort.InferenceSession) {}

  async predict(features: Float32Array, rows: number): Promise<Float32Array> {
    const input = new ort.Tensor("float32", features, [rows, FEATURE_COUNT]);
    const output = await this.session.run({ features: input });
    const probability = output.probability;
    if (!probability || probability.type !== "float32") {
      throw new Error(`the model has no float32 "probability" output (outputs: ${Object.keys(output).join(", ")})`);
    }
    return probability.data as Float32Array;
  }
}
