/**
 * The acceptance point of the calibration choice, on 20,000 synthetic startups (the size where
 * the old always-isotonic step made the test ECE worse than the raw model's): the calibration
 * chosen on the calibration split is not worse than the raw probabilities on the test split, in
 * ECE and in log loss. Two builds: the default trainer settings (a model that is calibrated
 * already) and an over-fitted one (depth 8, learning rate 0.5: over-confident), where a
 * calibration is needed and must help. Prints the figures, with what isotonic would have given.
 */

import { describe, expect, it } from "vitest";
import { calibrateProbability } from "../../core/calibration.js";
import type { EvaluationMetrics } from "../../core/manifest.js";
import { buildModel, type BuildModelResult } from "./build-model.js";
import { encodeLabelled, selectRows } from "./dataset.js";
import type { TrainGbdtOptions } from "./gbdt.js";
import { fitIsotonic } from "./isotonic.js";
import { evaluatePredictions } from "./metrics.js";
import { generateSynthetic } from "./synthetic.js";
import { predictProbabilities } from "./tree-model.js";

const ROWS = 20_000;
const SEED = 42;

async function build(gbdt: Omit<TrainGbdtOptions, "onIteration">): Promise<{ built: BuildModelResult; isotonic: EvaluationMetrics }> {
  const data = encodeLabelled(generateSynthetic({ rows: ROWS, seed: SEED }).rows);
  const built = await buildModel({ data, seed: SEED, source: { kind: "synthetic", description: `synthetic (seed ${SEED})`, badRows: 0 }, gbdt });
  // What the old build served: isotonic fitted on the whole calibration split.
  const calibration = selectRows(data, built.split.calibration);
  const test = selectRows(data, built.split.test);
  const table = fitIsotonic(predictProbabilities(built.model, calibration.features, calibration.rows), calibration.labels);
  const rawTest = predictProbabilities(built.model, test.features, test.rows);
  const isotonic = evaluatePredictions(rawTest.map((p) => calibrateProbability(table, p)), test.labels);
  return { built, isotonic };
}

function report(label: string, built: BuildModelResult, isotonic: EvaluationMetrics): void {
  const m = built.manifest;
  const choice = m.calibration_choice!;
  const row = (name: string, e: EvaluationMetrics) => `    ${name.padEnd(22)} ECE ${e.ece.toFixed(4)}  log loss ${e.log_loss.toFixed(4)}  Brier ${e.brier.toFixed(4)}`;
  console.log(
    [
      `[calibration] ${label}: ${ROWS} rows, seed ${SEED}, ${m.data.splits.calibration} calibration rows, ${m.data.splits.test} test rows`,
      ...choice.candidates.map((c) => `    CV ${c.method.padEnd(9)} log loss ${c.cv_log_loss.toFixed(5)}  ECE ${c.cv_ece.toFixed(4)}${c.method === choice.method ? "  <- chosen" : ""}`),
      `    why: ${choice.reason}`,
      row("test raw", m.metrics.test_uncalibrated),
      row(`test chosen (${choice.method})`, m.metrics.test),
      row("test isotonic (old)", isotonic),
    ].join("\n"),
  );
}

describe(`the chosen calibration on ${ROWS} synthetic rows`, () => {
  it("default trainer settings: not worse than raw on the test split", async () => {
    const { built, isotonic } = await build({});
    report("default settings", built, isotonic);
    const { test, test_uncalibrated: raw } = built.manifest.metrics;
    expect(test.ece).toBeLessThanOrEqual(raw.ece);
    expect(test.log_loss).toBeLessThanOrEqual(raw.log_loss);
  });

  it("an over-confident model: a calibration is chosen and improves the test split", async () => {
    const { built, isotonic } = await build({ maxDepth: 8, learningRate: 0.5 });
    report("depth 8, learning rate 0.5", built, isotonic);
    const { test, test_uncalibrated: raw } = built.manifest.metrics;
    expect(built.manifest.calibration.method).not.toBe("none");
    expect(test.ece).toBeLessThan(raw.ece);
    expect(test.log_loss).toBeLessThan(raw.log_loss);
  });
});
