/** Small data sets for tests (not used by the build). */

import type { Dataset } from "./dataset.js";

export function makeDataset(rows: readonly (readonly number[])[], labels: readonly number[]): Dataset {
  const featureCount = rows[0]?.length ?? 0;
  const features = new Float32Array(rows.length * featureCount);
  rows.forEach((row, r) => features.set(row, r * featureCount));
  return { rows: rows.length, featureCount, features, labels: Uint8Array.from(labels) };
}
