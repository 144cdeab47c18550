/**
 * npm run model:import -- --onnx <file> --map <feature-map.json> --csv <labelled.csv> [options]
 * Thin: parses arguments, runs the import (run-import.ts), prints a summary.
 */

import { relative } from "node:path";
import { parseArgs } from "node:util";
import type { EvaluationMetrics } from "../../core/manifest.js";
import { FeatureMapError } from "../../core/feature-map.js";
import { CsvError } from "./csv-loader.js";
import { ImportError } from "./import-model.js";
import { OnnxRunError } from "./onnx-check.js";
import { RegistryError } from "./registry.js";
import { runModelImport, type RunModelImportOptions, type RunModelImportResult } from "./run-import.js";

const USAGE = `Import a binary classifier trained elsewhere (an ONNX file) as a model version the Worker serves.

Usage: npm run model:import -- --onnx <model.onnx> --map <feature-map.json> --csv <labelled.csv> [options]

Required:
  --onnx <file>           the model: a tree ensemble as skl2onnx or onnxmltools write it
                          (TreeEnsembleClassifier/Regressor, opset-5 TreeEnsemble), or any other
                          binary classifier onnxruntime-web runs (e.g. a logistic regression, an MLP)
  --map <file>            the feature map (JSON, docs/models.md#importing-a-model): which of the
                          45 features each input column is, category codes or one-hot columns,
                          the missing-value encoding (NaN or a sentinel)
  --csv <file>            labelled rows in model:build's CSV format (feature names + "success"):
                          half choose the calibration, half are the test rows every figure is on

Options:
  --name <name>           model name in the manifest (default: the file name without .onnx)
  --model-version <v>     version (default: the first 12 hex digits of the served file's sha256)
  --out <dir>             write the model here instead of the registry (default: models/<version>,
                          which \`npm run deploy -- --model <version>\` can deploy)
  --models-dir <dir>      the registry folder (default: the repository's models/)
  --set-default           point models/default.ts at the new version
  --seed <S>              seed of the calibration/test split and the calibration's folds (default: 42)
  --max-bad-share <x>     fail when more than this share of CSV rows is bad (default: 0.01)
  --onnxruntime-only      do not walk the model's trees in TypeScript even when they can be read
                          (onnxruntime answers everything; explanations score occlusion rows)
  --dry-run               check and evaluate everything, write nothing
  --json                  print the manifest as JSON at the end (progress goes to stderr)
  -h, --help              show this help

Examples:
  npm run model:import -- --onnx v1.onnx --map v1.map.json --csv startups.csv
  npm run model:import -- --onnx model-build/fixtures/import/skl2onnx-gradient-boosting.onnx \\
      --map model-build/fixtures/import/skl2onnx-gradient-boosting.map.json \\
      --csv model-build/fixtures/import/startups.csv --dry-run
`;

class UsageError extends Error {}

export function parseImportArgs(argv: readonly string[]): (RunModelImportOptions & { json: boolean }) | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        onnx: { type: "string" },
        map: { type: "string" },
        csv: { type: "string" },
        name: { type: "string" },
        "model-version": { type: "string" },
        out: { type: "string" },
        "models-dir": { type: "string" },
        "set-default": { type: "boolean" },
        seed: { type: "string" },
        "max-bad-share": { type: "string" },
        "onnxruntime-only": { type: "boolean" },
        "dry-run": { type: "boolean" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values;
  if (v.help) return "help";
  for (const required of ["onnx", "map", "csv"] as const) {
    if (v[required] === undefined || v[required] === "") throw new UsageError(`--${required} is required (see --help)`);
  }
  if (v.out !== undefined && v["models-dir"] !== undefined) throw new UsageError("give --out or --models-dir, not both");
  if (v["dry-run"] && (v.out !== undefined || v["set-default"])) throw new UsageError("--dry-run writes nothing: leave out --out and --set-default");
  const number = (name: string, raw: string | undefined, check: (x: number) => boolean, rule: string): number | undefined => {
    if (raw === undefined) return undefined;
    const x = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(x) || !check(x)) throw new UsageError(`--${name} must be ${rule}, got ${JSON.stringify(raw)}`);
    return x;
  };
  const seed = number("seed", v.seed, (x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff, "an integer from 0 to 4294967295");
  const maxBadShare = number("max-bad-share", v["max-bad-share"], (x) => x >= 0 && x <= 1, "a number from 0 to 1");
  return {
    onnxPath: v.onnx!,
    mapPath: v.map!,
    csvPath: v.csv!,
    ...(v.name !== undefined ? { name: v.name } : {}),
    ...(v["model-version"] !== undefined ? { version: v["model-version"] } : {}),
    ...(v["dry-run"] ? { outDir: null } : v.out !== undefined ? { outDir: v.out } : {}),
    ...(v["models-dir"] !== undefined ? { modelsDir: v["models-dir"] } : {}),
    ...(v["set-default"] ? { setDefault: true } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(maxBadShare !== undefined ? { maxBadShare } : {}),
    ...(v["onnxruntime-only"] ? { evaluator: "onnxruntime" as const } : {}),
    json: v.json ?? false,
  };
}

const f4 = (x: number): string => (Number.isNaN(x) ? "-" : x.toFixed(4));
const sci = (x: number | null): string => (x === null ? "-" : x === 0 ? "0" : x.toExponential(2));

export function formatImportSummary(result: RunModelImportResult): string {
  const { manifest: m, files } = result;
  const p = m.import.parity;
  const row = (label: string, get: (e: EvaluationMetrics) => number): string =>
    `  ${label.padEnd(22)}${f4(get(m.metrics.test)).padStart(12)}${f4(get(m.metrics.test_uncalibrated)).padStart(14)}`;
  return [
    "",
    `model ${m.name}, version ${m.version}: imported from ${m.import.original.file} (sha256 ${m.import.original.sha256.slice(0, 16)}…), ${m.import.layout.tree_operator ?? m.import.layout.operators.join("/")}`,
    `  served by onnxruntime-web${m.import.evaluator === "trees" ? " and the TypeScript tree walk" : " alone"}: ${m.import.evaluator_reason}`,
    files ? `written to ${relative(process.cwd(), files.dir) || "."}` : "no model written (--dry-run)",
    "",
    `  test rows: ${m.metrics.test.n} of the CSV (base rate ${(m.metrics.test.base_rate * 100).toFixed(1)}%); calibration: ${m.calibration.method}`,
    `  ${"metric".padEnd(22)}${"served".padStart(12)}${"uncalibrated".padStart(14)}`,
    row("AUC", (e) => e.auc),
    row("Brier", (e) => e.brier),
    row("log loss", (e) => e.log_loss),
    row("ECE (10 bins)", (e) => e.ece),
    row("prediction min", (e) => e.prediction.min),
    row("prediction max", (e) => e.prediction.max),
    "",
    `  parity with onnxruntime-node on the original file (${p.rows} rows, max |diff|): served onnxruntime-node ${sci(p.served_onnxruntime_node)}, onnxruntime-web ${sci(p.served_onnxruntime_web)}, tree walk ${sci(p.trees)}, explanations ${sci(p.explanations)}`,
    ...(result.notices.length > 0 ? ["", ...result.notices.map((n) => `  note: ${n}`)] : []),
    "",
    ...(files?.inRegistry
      ? [`next: deploy it to the candidate colour with \`npm run deploy -- --color green --model ${m.version}\` (see \`npm run models -- show ${m.version}\`)`, ""]
      : []),
  ].join("\n");
}

async function main(argv: readonly string[]): Promise<number> {
  let options;
  try {
    options = parseImportArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`model:import: ${error.message}\nRun with --help for usage.\n`);
      return 2;
    }
    throw error;
  }
  if (options === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const { json, ...importOptions } = options;
  const log = (line: string): void => {
    (json ? process.stderr : process.stdout).write(`${line}\n`);
  };
  try {
    const result = await runModelImport({ ...importOptions, log });
    if (json) process.stdout.write(`${JSON.stringify(result.manifest, null, 2)}\n`);
    else process.stdout.write(formatImportSummary(result));
    return 0;
  } catch (error) {
    if (error instanceof ImportError || error instanceof FeatureMapError || error instanceof CsvError || error instanceof OnnxRunError || error instanceof RegistryError) {
      process.stderr.write(`model:import failed: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`model:import crashed: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
