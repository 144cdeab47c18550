/**
 * npm run model:build -- [--data file.csv | --synthetic N] [--seed S] [--out dir]
 * Thin: parses arguments, runs the build, prints a summary. The work is in run-build.ts.
 */

import { basename, relative } from "node:path";
import { parseArgs } from "node:util";
import type { EvaluationMetrics, ModelManifest } from "../../core/manifest.js";
import { BuildError } from "./build-model.js";
import { describeCalibration } from "./calibration-choice.js";
import { CsvError } from "./csv-loader.js";
import { DEFAULT_GBDT_OPTIONS } from "./gbdt.js";
import { runModelBuild, type DataSpec, type RunModelBuildOptions } from "./run-build.js";

const USAGE = `Train, calibrate, evaluate and export the FLASH model (ONNX + manifest + model card).
The calibration (isotonic, Platt or none) is chosen by 5-fold cross-validation on the
calibration split; the summary and the model card say which and why (docs/models.md).

Usage: npm run model:build -- [--data file.csv | --synthetic N] [options]

Data (one of):
  --data <file.csv>       real data: a header with feature names (core/schema.ts) and "success"
                          (0/1 or true/false); other columns are ignored with a notice
  --synthetic <N>         N synthetic startups from the seeded generator (default: 100000)

Options:
  --seed <S>              seed for the data generator, splits and training (default: 42)
  --out <dir>             write the model here instead of the registry (default: models/<version>,
                          which \`npm run deploy -- --model <version>\` can deploy)
  --shuffle-labels        train on the labels in a random order: a model with no signal (it predicts
                          about the base rate for everyone), to rehearse a canary's rollback
  --set-default           point models/default.ts (what \`npm start\` and the tests serve) at it
  --max-bad-share <x>     with --data, fail when more than this share of rows is bad (default: 0.01)
  --name <name>           model name in the manifest (default: flash-default)
  --model-version <v>     version string (default: the first 12 hex digits of the ONNX sha256)
  --max-trees <n>         most trees in the model (serving cost grows with each); early
                          stopping may end sooner (default: ${DEFAULT_GBDT_OPTIONS.maxIterations})
  --learning-rate <x>     shrinkage per tree (default: ${DEFAULT_GBDT_OPTIONS.learningRate})
  --max-depth <n>         tree depth (default: ${DEFAULT_GBDT_OPTIONS.maxDepth})
  --write-csv <file>      also write the rows trained on as a training CSV (e.g. the synthetic
                          rows, to train another tool on exactly the same data)
  --dry-run               build and check everything, write no model
  --json                  print the manifest as JSON at the end instead of the summary table
  -h, --help              show this help

Examples:
  npm run model:build                                  # a new version in models/ (the default model's settings)
  npm run model:build -- --set-default                 # ... and make it the default
  npm run model:build -- --data startups.csv --out models/real
  npm run model:build -- --synthetic 5000 --seed 7 --dry-run
`;

class UsageError extends Error {}

function parseNumber(name: string, raw: string | undefined, check: (v: number) => boolean, rule: string): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || !check(value)) throw new UsageError(`--${name} must be ${rule}, got ${JSON.stringify(raw)}`);
  return value;
}

export function parseCliArgs(argv: readonly string[]): (RunModelBuildOptions & { json: boolean }) | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        data: { type: "string" },
        synthetic: { type: "string" },
        seed: { type: "string" },
        out: { type: "string" },
        "max-bad-share": { type: "string" },
        name: { type: "string" },
        "model-version": { type: "string" },
        "max-trees": { type: "string" },
        "learning-rate": { type: "string" },
        "max-depth": { type: "string" },
        "write-csv": { type: "string" },
        "set-default": { type: "boolean" },
        "shuffle-labels": { type: "boolean" },
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
  if (v.data !== undefined && v.synthetic !== undefined) throw new UsageError("give either --data or --synthetic, not both");
  const isInt = (x: number): boolean => Number.isInteger(x);
  const seed = parseNumber("seed", v.seed, (x) => isInt(x) && x >= 0 && x <= 0xffffffff, "an integer from 0 to 4294967295") ?? 42;
  const maxBadShare = parseNumber("max-bad-share", v["max-bad-share"], (x) => x >= 0 && x <= 1, "a number from 0 to 1") ?? 0.01;
  if (v["max-bad-share"] !== undefined && v.data === undefined) throw new UsageError("--max-bad-share only applies with --data");
  const data: DataSpec =
    v.data !== undefined
      ? { kind: "csv", path: v.data, maxBadShare }
      : { kind: "synthetic", rows: parseNumber("synthetic", v.synthetic, (x) => isInt(x) && x >= 200 && x <= 5_000_000, "an integer from 200 to 5000000") ?? 100_000 };
  const maxIterations = parseNumber("max-trees", v["max-trees"], (x) => isInt(x) && x >= 1 && x <= 5000, "an integer from 1 to 5000");
  const learningRate = parseNumber("learning-rate", v["learning-rate"], (x) => x > 0 && x <= 1, "a number in (0, 1]");
  const maxDepth = parseNumber("max-depth", v["max-depth"], (x) => isInt(x) && x >= 1 && x <= 12, "an integer from 1 to 12");
  const gbdt = {
    ...(maxIterations !== undefined ? { maxIterations } : {}),
    ...(learningRate !== undefined ? { learningRate } : {}),
    ...(maxDepth !== undefined ? { maxDepth } : {}),
  };
  return {
    data,
    seed,
    ...(v["dry-run"] ? { outDir: null } : v.out !== undefined ? { outDir: v.out } : {}),
    ...(v["set-default"] ? { setDefault: true } : {}),
    ...(v["shuffle-labels"] ? { shuffleLabels: true } : {}),
    ...(v.name !== undefined ? { name: v.name } : {}),
    ...(v["model-version"] !== undefined ? { version: v["model-version"] } : {}),
    ...(v["write-csv"] !== undefined ? { csvOut: v["write-csv"] } : {}),
    gbdt,
    json: v.json ?? false,
  };
}

const f4 = (x: number): string => (Number.isNaN(x) ? "-" : x.toFixed(4));

/** The calibration served, the CV figures it was chosen on, and why. */
export function formatCalibrationChoice(m: ModelManifest): string[] {
  const choice = m.calibration_choice;
  const lines = [`  calibration: ${describeCalibration(m.calibration)}`];
  if (choice === undefined) return [...lines, ""];
  lines.push(`    ${"method".padEnd(10)}${"CV log loss".padStart(12)}${"CV ECE".padStart(9)}`);
  for (const c of choice.candidates) {
    lines.push(`    ${c.method.padEnd(10)}${c.cv_log_loss.toFixed(5).padStart(12)}${c.cv_ece.toFixed(4).padStart(9)}${c.method === choice.method ? "  <- chosen" : ""}`);
  }
  lines.push(`    why: ${choice.reason}`, "");
  return lines;
}

export function formatSummary(result: Awaited<ReturnType<typeof runModelBuild>>): string {
  const { manifest: m, files, timings } = result;
  const row = (label: string, get: (e: EvaluationMetrics) => number): string =>
    `  ${label.padEnd(22)}${f4(get(m.metrics.test)).padStart(12)}${f4(get(m.metrics.test_uncalibrated)).padStart(14)}`;
  return [
    "",
    `model ${m.name}, version ${m.version}: ${m.training.trees} trees, ${m.onnx.bytes} bytes of ONNX`,
    files ? `written to ${relative(process.cwd(), files.dir) || "."}: ${files.files.map((f) => basename(f)).join(", ")}` : "no model written (--dry-run)",
    "",
    `  test split: ${m.metrics.test.n} rows, base rate ${(m.metrics.test.base_rate * 100).toFixed(1)}%`,
    `  ${"metric".padEnd(22)}${"served".padStart(12)}${"uncalibrated".padStart(14)}`,
    row("AUC", (e) => e.auc),
    row("Brier", (e) => e.brier),
    row("log loss", (e) => e.log_loss),
    row("ECE (10 bins)", (e) => e.ece),
    row("prediction min", (e) => e.prediction.min),
    row("prediction max", (e) => e.prediction.max),
    row("prediction std", (e) => e.prediction.std),
    "",
    ...formatCalibrationChoice(m),
    `  onnxruntime vs TypeScript: max |diff| ${m.training.onnx_max_abs_diff.toExponential(2)} on the test split`,
    `  time: data ${(timings.data / 1000).toFixed(1)} s, build ${(timings.build / 1000).toFixed(1)} s, write ${(timings.write / 1000).toFixed(1)} s, total ${(timings.total / 1000).toFixed(1)} s`,
    "",
    ...(files?.inRegistry
      ? [`next: deploy it to the candidate colour with \`npm run deploy -- --color green --model ${m.version}\` (see \`npm run models -- diff ${m.version} default\`)`, ""]
      : []),
  ].join("\n");
}

async function main(argv: readonly string[]): Promise<number> {
  let options;
  try {
    options = parseCliArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`model:build: ${error.message}\nRun with --help for usage.\n`);
      return 2;
    }
    throw error;
  }
  if (options === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const { json, ...buildOptions } = options;
  // Progress goes to stderr when stdout carries JSON, so `--json > manifest.json` stays clean.
  const log = (line: string): void => {
    (json ? process.stderr : process.stdout).write(`${line}\n`);
  };
  try {
    const result = await runModelBuild({ ...buildOptions, log });
    if (json) process.stdout.write(`${JSON.stringify(result.manifest, null, 2)}\n`);
    else process.stdout.write(formatSummary(result));
    return 0;
  } catch (error) {
    if (error instanceof CsvError || error instanceof BuildError) {
      process.stderr.write(`model:build failed: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

// Run only when executed directly, so tests can import parseCliArgs.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`model:build crashed: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
