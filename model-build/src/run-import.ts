/**
 * One model:import from files to a registry version: read the ONNX file, the feature map and the
 * labelled CSV, import (import-model.ts), write models/<version>/ (or --out). Shared by the CLI
 * and the tests; reports each stage through `log`.
 */

import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import type { ImportedModelManifest } from "../../core/manifest.js";
import { loadTrainingCsv } from "./csv-loader.js";
import { renderImportedModelCard } from "./import-model-card.js";
import { ImportError, importModel } from "./import-model.js";
import { setDefaultModelVersion, writeModelVersion, type WriteModelVersionResult } from "./registry.js";

export interface RunModelImportOptions {
  readonly onnxPath: string;
  readonly mapPath: string;
  readonly csvPath: string;
  readonly name?: string;
  readonly version?: string;
  readonly seed?: number;
  /** Largest share of bad CSV rows before the load fails (default 0.01). */
  readonly maxBadShare?: number;
  readonly evaluator?: "auto" | "onnxruntime";
  /** undefined: the registry; a directory; null: check everything, write nothing (--dry-run). */
  readonly outDir?: string | null;
  readonly modelsDir?: string;
  readonly setDefault?: boolean;
  readonly createdAt?: Date;
  readonly log?: (line: string) => void;
}

export interface RunModelImportResult {
  readonly manifest: ImportedModelManifest;
  readonly onnx: Uint8Array;
  readonly card: string;
  readonly files: WriteModelVersionResult | null;
  readonly notices: readonly string[];
  readonly reference: Float64Array;
}

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ImportError(code === "ENOENT" ? `no such ${what}: ${path}` : `cannot read the ${what} ${path}: ${(error as Error).message}`);
  }
}

export async function runModelImport(options: RunModelImportOptions): Promise<RunModelImportResult> {
  const log = options.log ?? (() => {});
  const original = new Uint8Array(await readInput(options.onnxPath, "ONNX file"));
  const mapText = (await readInput(options.mapPath, "feature map")).toString("utf8");
  let map: unknown;
  try {
    map = JSON.parse(mapText);
  } catch (error) {
    throw new ImportError(`the feature map ${options.mapPath} is not JSON: ${(error as Error).message}`);
  }
  log(`reading ${options.csvPath}`);
  const csv = await loadTrainingCsv(options.csvPath, { maxBadShare: options.maxBadShare ?? 0.01 });
  for (const notice of csv.notices) log(`      note: ${notice}`);
  for (const bad of csv.badRows.slice(0, 10)) log(`      bad row, line ${bad.line}: ${bad.reasons.join("; ")}`);
  log(`      ${csv.rows.length} good rows, ${csv.badRows.length} bad rows left out (of ${csv.totalRows})`);

  const imported = await importModel({
    original,
    originalFile: basename(options.onnxPath),
    map,
    rows: csv.rows,
    data: { description: `CSV file ${options.csvPath}`, badRows: csv.badRows.length },
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.version !== undefined ? { version: options.version } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.evaluator !== undefined ? { evaluator: options.evaluator } : {}),
    ...(options.createdAt !== undefined ? { createdAt: options.createdAt } : {}),
    log,
  });
  const card = renderImportedModelCard(imported.manifest);
  let files: WriteModelVersionResult | null = null;
  if (options.outDir !== null) {
    files = writeModelVersion({
      manifest: imported.manifest,
      onnx: imported.onnx,
      card,
      overwrite: true,
      ...(options.outDir !== undefined ? { outDir: options.outDir } : {}),
      ...(options.modelsDir !== undefined ? { modelsDir: options.modelsDir } : {}),
    });
    log(`wrote ${files.dir}`);
    if (options.setDefault) {
      if (!files.inRegistry) throw new ImportError("--set-default needs the model in the registry (leave out --out)");
      setDefaultModelVersion(imported.manifest.version, options.modelsDir);
      log(`models/default.ts now points at ${imported.manifest.version}`);
    }
  }
  return { manifest: imported.manifest, onnx: imported.onnx, card, files, notices: imported.notices, reference: imported.reference };
}
