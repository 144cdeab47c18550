/**
 * A data set as the trainer sees it: encoded float32 rows (FEATURES order, NaN = missing) and
 * 0/1 labels. Row-major so one row is one contiguous slice, as in the ONNX input tensor.
 */

import { createHash } from "node:crypto";
import { encodeFeaturesInto, type FeatureValues } from "../../core/encoding.js";
import { FEATURE_COUNT } from "../../core/schema.js";

export interface Dataset {
  readonly rows: number;
  readonly featureCount: number;
  /** rows * featureCount values, row-major. */
  readonly features: Float32Array;
  readonly labels: Uint8Array;
}

/** The rows at `indices`, in that order. */
export function selectRows(data: Dataset, indices: ArrayLike<number>): Dataset {
  const f = data.featureCount;
  const features = new Float32Array(indices.length * f);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!;
    features.set(data.features.subarray(r * f, (r + 1) * f), i * f);
    labels[i] = data.labels[r]!;
  }
  return { rows: indices.length, featureCount: f, features, labels };
}

export function baseRate(labels: ArrayLike<number>): number {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i]!;
  return labels.length === 0 ? 0 : positives / labels.length;
}

/**
 * sha256 over the exact bytes trained on (float32 features, then labels), so a manifest says
 * precisely which data made the model, whatever file or generator produced it.
 */
export function fingerprintDataset(data: Dataset): string {
  const shape = new DataView(new ArrayBuffer(8));
  shape.setUint32(0, data.rows);
  shape.setUint32(4, data.featureCount);
  return createHash("sha256")
    .update(new Uint8Array(data.features.buffer, data.features.byteOffset, data.features.byteLength))
    .update(data.labels)
    .update(new Uint8Array(shape.buffer))
    .digest("hex");
}

export interface LabelledFeatures {
  readonly features: FeatureValues;
  readonly success: boolean;
}

/** Encode validated feature objects with the shared core encoding (the Worker's exact input). */
export function encodeLabelled(rows: readonly LabelledFeatures[]): Dataset {
  const features = new Float32Array(rows.length * FEATURE_COUNT);
  const labels = new Uint8Array(rows.length);
  rows.forEach((row, i) => {
    encodeFeaturesInto(row.features, features, i);
    labels[i] = row.success ? 1 : 0;
  });
  return { rows: rows.length, featureCount: FEATURE_COUNT, features, labels };
}
