/**
 * Runs an exported ONNX model in onnxruntime (Node) and compares it with the TypeScript model,
 * so a file that would score differently in production never leaves the build.
 */

import * as ort from "onnxruntime-node";
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from "./onnx-export.js";

export async function runOnnx(onnx: Uint8Array, features: Float32Array, rows: number, featureCount: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(onnx);
  try {
    const input = new ort.Tensor("float32", features.subarray(0, rows * featureCount), [rows, featureCount]);
    const output = await session.run({ [ONNX_INPUT_NAME]: input });
    const probability = output[ONNX_OUTPUT_NAME];
    if (!probability) throw new Error(`the ONNX model has no output named "${ONNX_OUTPUT_NAME}"`);
    const dims = probability.dims.join("x");
    if (dims !== `${rows}x1`) throw new Error(`the ONNX output has shape ${dims}, expected ${rows}x1`);
    return probability.data as Float32Array;
  } finally {
    await session.release();
  }
}

export interface CompareOnnxResult {
  readonly maxAbsDiff: number;
  readonly worstRow: number;
}

export async function compareOnnxWithModel(
  onnx: Uint8Array,
  features: Float32Array,
  rows: number,
  featureCount: number,
  expected: ArrayLike<number>,
): Promise<CompareOnnxResult> {
  const actual = await runOnnx(onnx, features, rows, featureCount);
  let maxAbsDiff = 0;
  let worstRow = -1;
  for (let i = 0; i < rows; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    // NaN must count as a failure, not slip through a > comparison.
    if (!(d <= maxAbsDiff)) {
      maxAbsDiff = Number.isNaN(d) ? Infinity : d;
      worstRow = i;
    }
  }
  return { maxAbsDiff, worstRow };
}

export interface TensorInput {
  readonly name: string;
  readonly data: Float32Array | Float64Array;
  readonly dims: readonly number[];
}

export interface TensorOutput {
  readonly data: Float32Array | Float64Array;
  readonly dims: readonly number[];
}

/**
 * One run of any model with one float input, in onnxruntime-node ("node") or in onnxruntime-web's
 * WASM build in Node ("web": the engine the Worker runs, one thread, no proxy), fetching `output`.
 * An error from the runtime is rethrown with the engine named, since its message names the node.
 */
export async function runOnnxOnce(engine: "node" | "web", onnx: Uint8Array, input: TensorInput, output: string): Promise<TensorOutput> {
  const runtime = engine === "node" ? ort : await loadOrtWeb();
  const type = input.data instanceof Float64Array ? "float64" : "float32";
  let session: ort.InferenceSession;
  try {
    session = await runtime.InferenceSession.create(onnx, engine === "web" ? { executionProviders: ["wasm"], graphOptimizationLevel: "all" } : {});
  } catch (error) {
    throw new OnnxRunError(engine, "load", error);
  }
  try {
    const tensor = new runtime.Tensor(type, input.data, [...input.dims]);
    const result = await session.run({ [input.name]: tensor } as never, [output]);
    const out = result[output];
    if (!out) throw new Error(`no output ${JSON.stringify(output)}`);
    if (out.type !== "float32" && out.type !== "float64") throw new Error(`output ${JSON.stringify(output)} is ${out.type}, not float`);
    return { data: out.data as Float32Array | Float64Array, dims: out.dims };
  } catch (error) {
    throw error instanceof OnnxRunError ? error : new OnnxRunError(engine, "run", error);
  } finally {
    await session.release();
  }
}

export class OnnxRunError extends Error {
  override readonly name = "OnnxRunError";
  constructor(
    readonly engine: "node" | "web",
    readonly stage: "load" | "run",
    cause: unknown,
  ) {
    super(`onnxruntime-${engine} cannot ${stage === "load" ? "load" : "run"} the model: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

let ortWeb: Promise<typeof ort> | undefined;

/** onnxruntime-web as the Worker configures it: WASM, one thread, no proxy worker. */
function loadOrtWeb(): Promise<typeof ort> {
  ortWeb ??= import("onnxruntime-web").then((web) => {
    web.env.wasm.numThreads = 1;
    web.env.wasm.proxy = false;
    web.env.logLevel = "error";
    return web as unknown as typeof ort;
  });
  return ortWeb;
}
