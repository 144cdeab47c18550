/**
 * Writes test/worker/fixtures/imported/: model:import's output for a few of the import fixtures
 * (model-build/fixtures/import), with startups and the probabilities onnxruntime-node gives on
 * the *original* files, so the Worker's tests (inside workerd, with onnxruntime-web) can check
 * that an imported model is served with exactly those probabilities, by the tree walk first and
 * by onnxruntime after, or by onnxruntime alone for a model that is not a tree ensemble.
 *
 *   gradient-boosting   skl2onnx GradientBoostingClassifier: one-hot and sentinel columns
 *   lightgbm            onnxmltools LightGBM: shared-subtree category chains, ZipMap
 *   tree-ensemble-v5    ai.onnx.ml opset 5 TreeEnsemble with BRANCH_MEMBER
 *   mlp                 skl2onnx MLP pipeline: onnxruntime alone, explained by occlusion rows
 *
 * A Node test (test/node/worker-imported-fixtures.test.ts) rebuilds them in memory and fails when
 * they are stale. Usage: npm run worker:imported-fixtures [-- --out <dir>]
 */

import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { calibrateProbability } from "../../core/calibration.js";
import type { FeatureValue } from "../../core/encoding.js";
import type { ImportedModelManifest } from "../../core/manifest.js";
import { loadTrainingCsv } from "../../model-build/src/csv-loader.js";
import { renderImportedModelCard } from "../../model-build/src/import-model-card.js";
import { importModel } from "../../model-build/src/import-model.js";

const ROOT = resolve(import.meta.dirname, "..", "..");
const SOURCE = join(ROOT, "model-build", "fixtures", "import");
export const IMPORTED_FIXTURES_DIR = join(ROOT, "test", "worker", "fixtures", "imported");

export const IMPORTED_FIXTURES = {
  "gradient-boosting": "skl2onnx-gradient-boosting",
  lightgbm: "onnxmltools-lightgbm",
  "tree-ensemble-v5": "onnx-ml-5-tree-ensemble",
  mlp: "skl2onnx-mlp",
} as const;

/** Startups per fixture: enough to cover every reliability bin the CSV fills, small enough to read. */
const ROWS = 40;

export interface ImportedParityRow {
  readonly features: Readonly<Record<string, FeatureValue>>;
  /** onnxruntime-node on the original file: the success probability. */
  readonly original: number;
  /** `original` through the manifest's calibration: what /predict must answer. */
  readonly calibrated: number;
}

export interface ImportedFixture {
  readonly source: string;
  readonly manifest: ImportedModelManifest;
  readonly onnx: Uint8Array;
  readonly card: string;
  readonly rows: readonly ImportedParityRow[];
}

/** The fixture as model:import makes it now (a fixed date, so the files only change with the code). */
export async function buildImportedFixture(source: string): Promise<ImportedFixture> {
  const csv = await loadTrainingCsv(join(SOURCE, "startups.csv"));
  const { manifest, onnx, reference } = await importModel({
    original: new Uint8Array(await readFile(join(SOURCE, `${source}.onnx`))),
    originalFile: `${source}.onnx`,
    map: JSON.parse(await readFile(join(SOURCE, `${source}.map.json`), "utf8")),
    rows: csv.rows,
    data: { description: "model-build/fixtures/import/startups.csv", badRows: 0 },
    createdAt: new Date("2026-12-06T00:00:00Z"),
  });
  // Spread over the range: every k-th row by the original's probability.
  const order = Array.from(reference.keys()).sort((a, b) => reference[a]! - reference[b]!);
  const picked = Array.from({ length: ROWS }, (_, k) => order[Math.round((k * (order.length - 1)) / (ROWS - 1))]!);
  const rows = picked.map((i) => ({
    features: csv.rows[i]!.features,
    original: reference[i]!,
    calibrated: calibrateProbability(manifest.calibration, reference[i]!),
  }));
  // The import's own duration is the one field that differs run to run.
  const stable = { ...manifest, import: { ...manifest.import, duration_ms: 0 } };
  return { source, manifest: stable, onnx, card: renderImportedModelCard(stable), rows };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: "string" }, help: { type: "boolean", short: "h" } } });
  if (values.help) {
    process.stdout.write("Usage: npm run worker:imported-fixtures [-- --out <dir>]\nRewrites test/worker/fixtures/imported/ from model-build/fixtures/import.\n");
    return;
  }
  const out = resolve(values.out ?? IMPORTED_FIXTURES_DIR);
  for (const [name, source] of Object.entries(IMPORTED_FIXTURES)) {
    process.stdout.write(`importing ${source} -> ${name}\n`);
    const f = await buildImportedFixture(source);
    const dir = join(out, name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "model.onnx"), f.onnx);
    await writeFile(join(dir, "manifest.json"), `${JSON.stringify(f.manifest, null, 2)}\n`);
    await writeFile(join(dir, "MODEL_CARD.md"), f.card);
    await writeFile(join(dir, "parity.json"), `${JSON.stringify({ source, sha256: f.manifest.onnx.sha256, rows: f.rows }, null, 2)}\n`);
    process.stdout.write(`  ${f.manifest.version}: ${f.manifest.import.evaluator}, ${f.rows.length} parity rows\n`);
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`worker:imported-fixtures failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
