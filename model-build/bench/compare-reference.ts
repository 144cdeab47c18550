/**
 * Quality check against the bar: model-build vs a scikit-learn-style
 * GradientBoostingClassifier (100 trees, depth 3, lr 0.1; see reference-gbc.ts) on several data
 * sets, sizes and seeds. The reference trains on every non-test row (train + validation +
 * calibration: more rows than model-build's trees see), both are scored on the same test split.
 *
 *   npx tsx model-build/bench/compare-reference.ts [--quick | --cases=name:rows:seed,...]
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { FEATURES } from "../../core/schema.js";
import { buildModel } from "../src/build-model.js";
import { encodeLabelled, selectRows, type Dataset } from "../src/dataset.js";
import { computeAuc, computeEce } from "../src/metrics.js";
import { createRandom, normal } from "../src/random.js";
import { generateSynthetic, solveIntercept } from "../src/synthetic.js";
import { predictReferenceGbc, trainReferenceGbc } from "./reference-gbc.js";

/** Trainer settings to try, as JSON in FLASH_GBDT (for tuning); the defaults otherwise. */
const GBDT_OPTIONS = JSON.parse(process.env.FLASH_GBDT ?? "{}") as Record<string, number>;
const SPLITS = process.env.FLASH_SPLITS ? (JSON.parse(process.env.FLASH_SPLITS) as { train: number; validation: number; calibration: number; test: number }) : null;
const CACHE_DIR = ".bench/reference-gbc";
const diffs: number[] = [];
const eces: number[] = [];

type Relabel = (data: Dataset, seed: number) => Uint8Array;

/** A per-feature transform that makes money and counts comparable: log for wide ranges. */
function standardizedColumns(data: Dataset): Float64Array[] {
  const F = data.featureCount;
  return FEATURES.map((feature, f) => {
    const col = new Float64Array(data.rows);
    let sum = 0;
    let n = 0;
    for (let r = 0; r < data.rows; r++) {
      const x = data.features[r * F + f]!;
      const v = Number.isNaN(x) ? Number.NaN : feature.type !== "category" && "max" in feature && feature.max > 1000 ? Math.log1p(Math.max(x, 0)) : x;
      col[r] = v;
      if (!Number.isNaN(v)) {
        sum += v;
        n++;
      }
    }
    const mean = n ? sum / n : 0;
    let sq = 0;
    for (let r = 0; r < data.rows; r++) if (!Number.isNaN(col[r]!)) sq += (col[r]! - mean) ** 2;
    const sd = Math.sqrt(sq / Math.max(n, 1)) || 1;
    for (let r = 0; r < data.rows; r++) col[r] = Number.isNaN(col[r]!) ? 0 : (col[r]! - mean) / sd;
    return col;
  });
}

function labelsFromLogits(z: Float64Array, rng: ReturnType<typeof createRandom>, rate: number): Uint8Array {
  const b = solveIntercept(z, new Float64Array(z.length), rate);
  return Uint8Array.from(z, (v) => (rng.next() < 1 / (1 + Math.exp(-(v + b))) ? 1 : 0));
}

const linear: Relabel = (data, seed) => {
  const rng = createRandom(seed);
  const cols = standardizedColumns(data);
  const w = cols.map(() => (rng.next() < 0.4 ? normal(rng) * 0.6 : 0));
  const z = new Float64Array(data.rows);
  for (let r = 0; r < data.rows; r++) for (let f = 0; f < cols.length; f++) z[r]! += w[f]! * cols[f]![r]!;
  return labelsFromLogits(z, rng, 0.19);
};

const interactions: Relabel = (data, seed) => {
  const rng = createRandom(seed);
  const cols = standardizedColumns(data);
  const terms = Array.from({ length: 8 }, () => [Math.floor(rng.next() * cols.length), Math.floor(rng.next() * cols.length), normal(rng), normal(rng) * 0.5] as const);
  const z = new Float64Array(data.rows);
  for (let r = 0; r < data.rows; r++) {
    for (const [a, b, w, t] of terms) z[r]! += w * (cols[a]![r]! > t ? 1 : -1) * (cols[b]![r]! > -t ? 1 : -1) + 0.5 * w * Math.tanh(cols[a]![r]! * cols[b]![r]!);
  }
  return labelsFromLogits(z, rng, 0.19);
};

const weak: Relabel = (data, seed) => {
  const rng = createRandom(seed);
  const cols = standardizedColumns(data);
  const z = new Float64Array(data.rows);
  for (let r = 0; r < data.rows; r++) z[r] = 0.5 * cols[3]![r]! + 0.4 * Math.abs(cols[38]![r]!) - 0.3 * cols[20]![r]! * cols[30]![r]! + 1.2 * normal(rng);
  return labelsFromLogits(z, rng, 0.25);
};

async function compare(name: string, rows: number, seed: number, relabel: Relabel | null): Promise<string> {
  const generated = generateSynthetic({ rows, seed });
  let data = encodeLabelled(generated.rows);
  if (relabel) data = { ...data, labels: relabel(data, seed + 1000) };
  const built = await buildModel({ data, seed, source: { kind: "synthetic", description: name, badRows: 0 }, gbdt: GBDT_OPTIONS, refit: process.env.FLASH_REFIT !== "0", ...(SPLITS ? { splits: SPLITS } : {}) });
  const { split } = built;
  const test = selectRows(data, split.test);
  // The reference depends only on the data and split: cache it between tuning runs.
  const key = `${name}-${rows}-${seed}-${split.test.length}-${split.test[0]}-${split.test[split.test.length - 1]}`;
  const cachePath = `${CACHE_DIR}/${key}.json`;
  let refAuc: number;
  let refEce: number;
  if (existsSync(cachePath)) {
    ({ refAuc, refEce } = JSON.parse(readFileSync(cachePath, "utf8")) as { refAuc: number; refEce: number });
  } else {
    const refTrain = selectRows(data, Uint32Array.from([...split.train, ...split.validation, ...split.calibration]));
    const refP = predictReferenceGbc(trainReferenceGbc(refTrain), test.features, test.rows);
    refAuc = computeAuc(refP, test.labels);
    refEce = computeEce(refP, test.labels);
    mkdirSync(CACHE_DIR, { recursive: true });
    writeFileSync(cachePath, JSON.stringify({ refAuc, refEce }));
  }
  diffs.push(built.manifest.metrics.test.auc - refAuc);
  eces.push(built.manifest.metrics.test.ece);
  const m = built.manifest.metrics;
  return [
    name.padEnd(14),
    String(rows).padStart(7),
    String(seed).padStart(5),
    m.test.auc.toFixed(4).padStart(8),
    m.test_uncalibrated.auc.toFixed(4).padStart(8),
    refAuc.toFixed(4).padStart(8),
    (m.test.auc - refAuc).toFixed(4).padStart(8),
    m.test.ece.toFixed(4).padStart(8),
    m.test_uncalibrated.ece.toFixed(4).padStart(8),
    refEce.toFixed(4).padStart(8),
    String(built.manifest.training.trees).padStart(6),
  ].join(" ");
}

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  process.stdout.write(`Compare model-build with a scikit-learn-style GradientBoostingClassifier (100 trees, depth 3).

Usage: npx tsx model-build/bench/compare-reference.ts [--quick | --cases=name:rows:seed,...]

  (no option)   12 data sets: flash, linear, interactions, weak at 3k, 10k and 50k rows
  --quick       four data sets of 10k rows
  --cases=...   e.g. --cases=flash:100000:42,weak:4000:8 (names: flash, linear, interactions, weak)

Environment: FLASH_GBDT='{"learningRate":0.1}' tries other trainer settings, FLASH_REFIT=0 turns the
refit off, FLASH_SPLITS='{"train":0.6,...}' other split fractions. Reference results are cached in
${".bench/reference-gbc"}.
`);
  process.exit(0);
}
const quick = process.argv.includes("--quick");
const relabels: Record<string, Relabel | null> = { flash: null, linear, interactions, weak };
const only = process.argv.find((a) => a.startsWith("--cases="));
const cases: [string, number, number, Relabel | null][] = only
  ? only.slice(8).split(",").map((c) => {
      const [name, rows, seed] = c.split(":");
      return [name!, Number(rows), Number(seed), relabels[name!] ?? null];
    })
  : quick
  ? [["flash", 10_000, 1, null], ["linear", 10_000, 2, linear], ["interactions", 10_000, 3, interactions], ["weak", 10_000, 4, weak]]
  : [
      ["flash", 3_000, 1, null], ["flash", 10_000, 2, null], ["flash", 50_000, 3, null],
      ["linear", 3_000, 4, linear], ["linear", 10_000, 5, linear], ["linear", 50_000, 6, linear],
      ["interactions", 3_000, 7, interactions], ["interactions", 10_000, 8, interactions], ["interactions", 50_000, 9, interactions],
      ["weak", 3_000, 10, weak], ["weak", 10_000, 11, weak], ["weak", 50_000, 12, weak],
    ];
console.log(`${"data".padEnd(14)} ${"rows".padStart(7)} ${"seed".padStart(5)} ${"AUC".padStart(8)} ${"rawAUC".padStart(8)} ${"refAUC".padStart(8)} ${"diff".padStart(8)} ${"ECE".padStart(8)} ${"rawECE".padStart(8)} ${"refECE".padStart(8)} ${"trees".padStart(6)}`);
for (const [name, rows, seed, relabel] of cases) console.log(await compare(name, rows, seed, relabel));
const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
console.log(`mean AUC difference ${mean(diffs).toFixed(4)} (worst ${Math.min(...diffs).toFixed(4)}), mean ECE ${mean(eces).toFixed(4)} (worst ${Math.max(...eces).toFixed(4)})`);
