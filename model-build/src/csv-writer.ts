/**
 * Writes labelled startups as a training CSV that csv-loader.ts reads back unchanged: the 45
 * features in schema order plus `success`. Used to hand the exact synthetic rows to other tools
 * (a scikit-learn baseline, say) so they can be compared on the same data.
 */

import type { FeatureValue } from "../../core/encoding.js";
import { FEATURE_NAMES } from "../../core/schema.js";
import { LABEL_COLUMN } from "./csv-loader.js";
import type { LabelledFeatures } from "./dataset.js";

function formatCell(value: FeatureValue | undefined): string {
  if (value === undefined) return "";
  const text = typeof value === "number" ? String(value) : typeof value === "boolean" ? (value ? "true" : "false") : value;
  // RFC 4180: quote a cell that holds a comma, a quote or a line break.
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function formatTrainingCsv(rows: readonly LabelledFeatures[]): string {
  const lines = [[...FEATURE_NAMES, LABEL_COLUMN].join(",")];
  for (const row of rows) {
    const cells = FEATURE_NAMES.map((name) => formatCell(row.features[name]));
    cells.push(row.success ? "1" : "0");
    lines.push(cells.join(","));
  }
  return `${lines.join("\n")}\n`;
}
