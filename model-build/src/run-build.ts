/**
 * One model build from a data source to files on disk, shared by the CLI and the benchmark:
 * load (CSV or synthetic), build, write. Reports each stage through `log`.
 */

import { writeFile } from "node:fs/promises";
import { validateFeatures } from "../../core/encoding.js";
import type { ModelManifest } from "../../core/manifest.js";
import { buildModel, type DataSource } from "./build-model.js";
import { loadTrainingCsv } from "./csv-loader.js";
import { formatTrainingCsv } from "./csv-writer.js";
import { encodeLabelled, type LabelledFeatures } from "./dataset.js";
import type { TrainGbdtOptions } from "./gbdt.js";
import { renderModelCard } from "./model-card.js";
import { setDefaultModelVersion, writeModelVersion, type WriteModelVersionResult } from "./registry.js";
import { createRandom, deriveSeed, shuffle } from "./random.js";
import { generateSynthetic } from "./synthetic.js";

/** The random stream of --shuffle-labels (deriveSeed keeps it apart from the split's and training's). */
const SHUFFLE_STREAM = 0x5bd1;

export type DataSpec = { readonly kind: "synthetic"; readonly rows: number } | { readonly kind: "csv"; readonly path: string; readonly maxBadShare: number };

export interface RunModelBuildOptions {
  readonly data: DataSpec;
  readonly seed: number;
  /**
   * Where to write the model: undefined, the registry (models/<version>/, deployable); a
   * directory; null builds and checks without writing.
   */
  readonly outDir?: string | null;
  /** The registry's folder (default: the repository's models/; tests use their own). */
  readonly modelsDir?: string;
  /** Point models/default.ts at the new version. */
  readonly setDefault?: boolean;
  /**
   * Train on the labels in a seeded random order: a model with no signal (it predicts about the
   * base rate for everyone), the null model a canary must be able to catch.
   */
  readonly shuffleLabels?: boolean;
  readonly name?: string;
  readonly version?: string;
  readonly gbdt?: Omit<TrainGbdtOptions, "onIteration" | "seed">;
  /** Also write the rows trained on as a training CSV (to compare other tools on the same data). */
  readonly csvOut?: string;
  readonly log?: (line: string) => void;
}

export interface RunModelBuildResult {
  readonly manifest: ModelManifest;
  readonly onnx: Uint8Array;
  readonly files: WriteModelVersionResult | null;
  readonly timings: Readonly<Record<"data" | "build" | "write" | "total", number>>;
}

export async function runModelBuild(options: RunModelBuildOptions): Promise<RunModelBuildResult> {
  const log = options.log ?? (() => {});
  const t0 = Date.now();
  let rows: readonly LabelledFeatures[];
  let source: DataSource;
  if (options.data.kind === "synthetic") {
    const { rows: n } = options.data;
    log(`[1/4] data: generating ${n} synthetic startups (seed ${options.seed})`);
    const generated = generateSynthetic({ rows: n, seed: options.seed });
    // The generator writes canonical values; validating anyway keeps it honest against the schema.
    for (const row of generated.rows.slice(0, 1000)) {
      const { issues } = validateFeatures(row.features);
      if (issues.length > 0) throw new Error(`the synthetic generator produced an invalid value: ${issues[0]!.message}`);
    }
    rows = generated.rows;
    source = { kind: "synthetic", description: `synthetic startups from model-build's generator (seed ${options.seed})`, badRows: 0 };
    log(`      ${n} rows, success rate ${(generated.successRate * 100).toFixed(1)}%`);
  } else {
    const { path, maxBadShare } = options.data;
    log(`[1/4] data: reading ${path}`);
    const loaded = await loadTrainingCsv(path, { maxBadShare });
    for (const notice of loaded.notices) log(`      note: ${notice}`);
    for (const bad of loaded.badRows.slice(0, 20)) log(`      bad row, line ${bad.line}: ${bad.reasons.join("; ")}`);
    if (loaded.badRows.length > 20) log(`      … and ${loaded.badRows.length - 20} more bad rows`);
    log(`      ${loaded.rows.length} good rows, ${loaded.badRows.length} bad rows left out (of ${loaded.totalRows})`);
    rows = loaded.rows;
    source = { kind: "csv", description: `CSV file ${path}`, badRows: loaded.badRows.length };
  }
  if (options.csvOut !== undefined) {
    await writeFile(options.csvOut, formatTrainingCsv(rows));
    log(`      wrote the ${rows.length} rows to ${options.csvOut}`);
  }
  const data = encodeLabelled(rows);
  if (options.shuffleLabels) {
    shuffle(data.labels, createRandom(deriveSeed(options.seed, SHUFFLE_STREAM)));
    source = { ...source, description: `${source.description}, labels shuffled (no signal: a null model)` };
    log("      labels shuffled: the model will have no signal");
  }
  const t1 = Date.now();

  log("[2/4] training, calibrating, evaluating, exporting");
  const built = await buildModel({
    data,
    source,
    seed: options.seed,
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.version !== undefined ? { version: options.version } : {}),
    ...(options.gbdt !== undefined ? { gbdt: options.gbdt } : {}),
    log: (line) => log(`      ${line}`),
  });
  const t2 = Date.now();

  let files: WriteModelVersionResult | null = null;
  if (options.outDir !== null) {
    log(`[3/4] writing ${options.outDir ?? `models/${built.manifest.version}`}`);
    files = writeModelVersion({
      manifest: built.manifest,
      onnx: built.onnx,
      card: renderModelCard(built.manifest),
      overwrite: true,
      ...(options.outDir !== undefined ? { outDir: options.outDir } : {}),
      ...(options.modelsDir !== undefined ? { modelsDir: options.modelsDir } : {}),
    });
    if (options.setDefault) {
      if (!files.inRegistry) throw new Error("--set-default needs the model in the registry (leave out --out)");
      setDefaultModelVersion(built.manifest.version, options.modelsDir);
      log(`      models/default.ts now points at ${built.manifest.version}`);
    }
  } else {
    log("[3/4] not writing (no output directory)");
  }
  const t3 = Date.now();
  log("[4/4] done");
  return {
    manifest: built.manifest,
    onnx: built.onnx,
    files,
    timings: { data: t1 - t0, build: t2 - t1, write: t3 - t2, total: t3 - t0 },
  };
}
