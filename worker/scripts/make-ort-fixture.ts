/**
 * Writes test/worker/fixtures/ort-parity.json: startups with the probabilities onnxruntime-node
 * gives for the committed model, so the Worker's tests (inside workerd, with onnxruntime-web)
 * can prove the API answers exactly the same, and that its predictions over the test split
 * span the range the model card reports.
 *
 * The rows: the test split's lowest and highest predictions, up to 20 rows from every
 * reliability bin of the test split, and hand-made edge cases (nothing known, the v1 guide's
 * case, every value at its minimum or maximum). The test split is regenerated exactly as
 * model-build made it (same generator, seed and split), and the data fingerprint is checked
 * against the manifest, so the rows are the model card's test rows and not look-alikes.
 *
 * Usage: npm run worker:fixture [-- --model-dir models/<version>] [--out <file>] [--per-bin 20]
 */

import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { calibrateProbability } from "../../core/calibration.js";
import { encodeFeaturesInto, type FeatureValue, type FeatureValues } from "../../core/encoding.js";
import type { ModelManifest } from "../../core/manifest.js";
import { FEATURES, FEATURE_COUNT } from "../../core/schema.js";
import { encodeLabelled, fingerprintDataset } from "../../model-build/src/dataset.js";
import { evaluatePredictions } from "../../model-build/src/metrics.js";
import { deriveSeed } from "../../model-build/src/random.js";
import { defaultModelDir } from "../../model-build/src/registry.js";
import { splitStratified } from "../../model-build/src/split.js";
import { generateSynthetic } from "../../model-build/src/synthetic.js";

export interface FixtureRow {
  readonly source: "test_split" | "edge";
  readonly label: string;
  readonly features: Readonly<Record<string, FeatureValue>>;
  /** onnxruntime-node's raw (uncalibrated) output. */
  readonly raw: number;
  /** `raw` through the manifest's calibration: what /predict must answer. */
  readonly calibrated: number;
}

export interface OrtFixture {
  readonly generated_by: string;
  readonly model: { readonly name: string; readonly version: string; readonly sha256: string };
  readonly test_split: { readonly rows: number; readonly min: number; readonly max: number; readonly bins_with_rows: number };
  readonly rows: readonly FixtureRow[];
}

export async function runOrtNode(onnx: Uint8Array, items: readonly FeatureValues[]): Promise<Float32Array> {
  const features = new Float32Array(items.length * FEATURE_COUNT);
  items.forEach((values, i) => encodeFeaturesInto(values, features, i));
  const session = await ort.InferenceSession.create(onnx);
  try {
    const output = await session.run({ features: new ort.Tensor("float32", features, [items.length, FEATURE_COUNT]) });
    return output.probability!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Hand-made rows that exercise the edges of the schema. */
export function listEdgeCases(): { label: string; features: Record<string, FeatureValue> }[] {
  const at = (pick: "min" | "max") =>
    Object.fromEntries(
      FEATURES.map((f) => {
        if (f.type === "boolean") return [f.name, pick === "max"];
        if (f.type === "category") return [f.name, pick === "max" ? f.categories[f.categories.length - 1]! : f.categories[0]!];
        return [f.name, f[pick]];
      }),
    );
  return [
    { label: "nothing known", features: {} },
    { label: "the v1 guide's validation case", features: { total_capital_raised_usd: 1000000, funding_stage: "seed" } },
    { label: "every feature at its minimum", features: at("min") },
    { label: "every feature at its maximum", features: at("max") },
    {
      label: "a strong series A SaaS",
      features: {
        sector: "saas",
        funding_stage: "series_a",
        annual_revenue_run_rate: 4_000_000,
        revenue_growth_rate_percent: 220,
        net_dollar_retention_percent: 135,
        burn_multiple: 1.2,
        runway_months: 26,
        product_retention_90d: 0.6,
        prior_successful_exits_count: 1,
        investor_tier_primary: "tier_1",
      },
    },
  ];
}

export interface BuildFixtureOptions {
  readonly modelDir: string;
  readonly perBin: number;
  readonly log: (line: string) => void;
}

export async function buildOrtFixture(options: BuildFixtureOptions): Promise<OrtFixture> {
  const { log } = options;
  const manifest = JSON.parse(await readFile(resolve(options.modelDir, "manifest.json"), "utf8")) as ModelManifest;
  const onnx = new Uint8Array(await readFile(resolve(options.modelDir, manifest.onnx.file)));
  if (manifest.data.source !== "synthetic") {
    throw new Error(`the model was trained on ${manifest.data.source} data; this script can only regenerate synthetic data`);
  }
  log(`[1/4] regenerating ${manifest.data.rows} synthetic startups (seed ${manifest.seed}); this takes a few seconds`);
  const generated = generateSynthetic({ rows: manifest.data.rows, seed: manifest.seed });
  const data = encodeLabelled(generated.rows);
  // The fingerprint hashes float32 bytes, so it also changes when only the sign of a zero does;
  // the test metrics below are the decisive check that these are the card's test rows.
  const fingerprint = fingerprintDataset(data);
  log(`      data fingerprint ${fingerprint === manifest.data.fingerprint ? "matches the manifest" : `differs from the manifest (${fingerprint.slice(0, 12)} vs ${manifest.data.fingerprint.slice(0, 12)}); checking the test metrics instead`}`);
  const split = splitStratified(data.labels, deriveSeed(manifest.seed, 1));
  if (split.test.length !== manifest.data.splits.test) {
    throw new Error(`the regenerated test split has ${split.test.length} rows, the manifest says ${manifest.data.splits.test}`);
  }
  const testRows = Array.from(split.test, (i) => generated.rows[i]!.features);

  log(`[2/4] scoring the ${testRows.length} test rows with onnxruntime-node`);
  const raw = await runOrtNode(onnx, testRows);
  const calibrated = Array.from(raw, (r) => calibrateProbability(manifest.calibration, r));
  const labels = Array.from(split.test, (i) => data.labels[i]!);
  const metrics = evaluatePredictions(calibrated, labels);
  const expected = manifest.metrics.test;
  // The manifest's metrics come from model-build's float64 trees, these from onnxruntime's
  // float32 (they differ by ~1e-7 per row); one different row would move them by ~1e-5.
  for (const key of ["n", "base_rate", "auc", "brier", "log_loss", "ece"] as const) {
    if (!(Math.abs(metrics[key] - expected[key]) <= 1e-6)) {
      throw new Error(`the regenerated test split gives ${key} ${metrics[key]}, the manifest reports ${expected[key]}: these are not the model card's test rows (rebuild the model with the current generator)`);
    }
  }
  log(`      test metrics reproduced (within 1e-6) (AUC ${metrics.auc.toFixed(4)}, Brier ${metrics.brier.toFixed(4)})`);
  let lo = 0;
  let hi = 0;
  calibrated.forEach((p, i) => {
    if (p < calibrated[lo]!) lo = i;
    if (p > calibrated[hi]!) hi = i;
  });
  const reported = manifest.metrics.test.prediction;
  if (Math.abs(calibrated[lo]! - reported.min) > 1e-6 || Math.abs(calibrated[hi]! - reported.max) > 1e-6) {
    throw new Error(`onnxruntime-node gives the test split a range of [${calibrated[lo]}, ${calibrated[hi]}], the manifest reports [${reported.min}, ${reported.max}]`);
  }

  log(`[3/4] picking the extremes and up to ${options.perBin} rows per reliability bin`);
  const chosen = new Map<number, string>([
    [lo, "test split minimum"],
    [hi, "test split maximum"],
  ]);
  const bins = manifest.metrics.test.reliability;
  bins.forEach((bin, b) => {
    const last = b === bins.length - 1;
    const members = calibrated.flatMap((p, i) => (p >= bin.lower && (p < bin.upper || (last && p <= bin.upper)) ? [i] : []));
    members.sort((x, y) => calibrated[x]! - calibrated[y]!);
    const take = Math.min(options.perBin, members.length);
    for (let k = 0; k < take; k++) {
      const i = members[Math.floor((k * (members.length - 1)) / Math.max(1, take - 1))]!;
      if (!chosen.has(i)) chosen.set(i, `test split, bin ${bin.lower.toFixed(1)}-${bin.upper.toFixed(1)}`);
    }
  });
  const rows: FixtureRow[] = [...chosen].map(([i, label]) => ({
    source: "test_split",
    label,
    features: testRows[i]!,
    raw: raw[i]!,
    calibrated: calibrated[i]!,
  }));

  log("[4/4] scoring the edge cases");
  const edges = listEdgeCases();
  const edgeRaw = await runOrtNode(onnx, edges.map((e) => e.features));
  edges.forEach((e, k) => {
    rows.push({ source: "edge", label: e.label, features: e.features, raw: edgeRaw[k]!, calibrated: calibrateProbability(manifest.calibration, edgeRaw[k]!) });
  });
  return {
    generated_by: "npm run worker:fixture (worker/scripts/make-ort-fixture.ts)",
    model: { name: manifest.name, version: manifest.version, sha256: manifest.onnx.sha256 },
    test_split: { rows: testRows.length, min: calibrated[lo]!, max: calibrated[hi]!, bins_with_rows: bins.filter((b) => b.count > 0).length },
    rows,
  };
}

/** Compact but diff-friendly: one row per line. */
export function formatFixture(fixture: OrtFixture): string {
  const { rows, ...head } = fixture;
  const header = Object.entries(head).map(([k, v]) => ` ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  return `{\n${header.join("\n")}\n "rows": [\n${rows.map((r) => `  ${JSON.stringify(r)}`).join(",\n")}\n ]\n}\n`;
}

export const DEFAULT_FIXTURE_PATH = "test/worker/fixtures/ort-parity.json";

const HELP = `Usage: npm run worker:fixture [-- options]

Writes ${DEFAULT_FIXTURE_PATH}: startups with onnxruntime-node's probabilities for the
committed model. Run it after every model change (a node test fails while the fixture is stale).

Options:
  --model-dir <dir>  the model to use (default: the default model, models/default.ts)
  --out <file>       where to write (default: ${DEFAULT_FIXTURE_PATH})
  --per-bin <n>      test rows per reliability bin (default: 20)
  --dry-run          build and check, but do not write
  --help             this text
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "model-dir": { type: "string" },
      out: { type: "string", default: DEFAULT_FIXTURE_PATH },
      "per-bin": { type: "string", default: "20" },
      "dry-run": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const perBin = Number(values["per-bin"]);
  if (!Number.isInteger(perBin) || perBin < 1) throw new Error(`--per-bin must be a positive integer, got ${values["per-bin"]}`);
  const fixture = await buildOrtFixture({ modelDir: values["model-dir"] ?? defaultModelDir(), perBin, log: (line) => console.log(line) });
  if (values["dry-run"]) {
    console.log(`dry run: ${fixture.rows.length} rows, not written`);
    return;
  }
  await writeFile(values.out!, formatFixture(fixture));
  console.log(`wrote ${values.out}: ${fixture.rows.length} rows for model ${fixture.model.version}`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.dirname ?? "", "make-ort-fixture.ts")) {
  main().catch((error: unknown) => {
    console.error(`worker:fixture: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
