/**
 * npm run bench:model-build [-- --rows N] : times a full model build (generate, train with early
 * stopping, refit, calibrate, evaluate, export, check ONNX) on N synthetic rows (default
 * 100,000) without writing files, and prints the figures. Target: under 2 minutes here.
 */

import { parseArgs } from "node:util";
import { availableParallelism, loadavg } from "node:os";
import { runModelBuild } from "../src/run-build.js";

const USAGE = `Time a full model build on synthetic data (nothing is written).

Usage: npm run bench:model-build [-- --rows N] [--seed S] [--json]

  --rows <N>    synthetic rows (default: 100000)
  --seed <S>    seed (default: 42)
  --json        print the figures as JSON
  -h, --help    show this help
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { rows: { type: "string" }, seed: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const rows = Number(values.rows ?? 100_000);
  const seed = Number(values.seed ?? 42);
  if (!Number.isInteger(rows) || rows < 200) {
    process.stderr.write(`--rows must be an integer >= 200, got ${values.rows}\n`);
    return 2;
  }
  const load = loadavg()[0]!;
  const result = await runModelBuild({
    data: { kind: "synthetic", rows },
    seed,
    outDir: null,
    log: values.json ? () => {} : (line) => process.stdout.write(`${line}\n`),
  });
  const m = result.manifest;
  const figures = {
    rows,
    seconds: { total: result.timings.total / 1000, data: result.timings.data / 1000, build: result.timings.build / 1000 },
    trees: m.training.trees,
    onnx_bytes: m.onnx.bytes,
    test_auc: m.metrics.test.auc,
    target_seconds: 120,
    within_target: result.timings.total < 120_000,
    machine: { cores: availableParallelism(), load_average_at_start: load },
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  } else {
    process.stdout.write(
      [
        "",
        `model build, ${rows} rows: ${figures.seconds.total.toFixed(1)} s total (data ${figures.seconds.data.toFixed(1)} s, build ${figures.seconds.build.toFixed(1)} s)`,
        `${figures.trees} trees, ${figures.onnx_bytes} bytes of ONNX, test AUC ${figures.test_auc.toFixed(4)}`,
        `target: under 120 s -> ${figures.within_target ? "met" : "NOT met"} (load average ${load.toFixed(1)} on ${figures.machine.cores} cores at start)`,
        "",
      ].join("\n"),
    );
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench:model-build failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
