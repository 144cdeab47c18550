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
