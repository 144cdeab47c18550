import { describe, expect, it } from "vitest";
import type { FeatureValues } from "./encoding.js";
import { createRowExplainer } from "./explain.js";
import type { ModelManifest } from "./manifest.js";
import {
  ModelOutputError,
  computeMissingImportanceShare,
  createPredictionContext,
  findCalibrationCount,
  predictStartups,
  scoreStartups,
  type Model,
  type PredictionEngine,
} from "./predict.js";
import { FEATURE_COUNT, FEATURE_NAMES, PILLARS, getFeatureIndex } from "./schema.js";

const idx = (name: string) => getFeatureIndex(name)!;

/**
 * A stand-in model with a known formula: the log-odds move with runway (+), burn multiple (-)
 * and prior exits (+); missing values (NaN) contribute nothing, like a tree's default branch
 * towards the average.
 */
class FormulaModel implements Model, PredictionEngine {
  calls: number[] = [];
  readonly model: Model = this;
  /** Occlusion variants scored as rows through the same formula (not counted as model calls). */
  readonly explainer = createRowExplainer((features, rows) => this.score(features, rows));

  async predict(features: Float32Array, rows: number): Promise<Float32Array> {
    this.calls.push(rows);
    return this.score(features, rows);
  }

  score(features: Float32Array, rows: number): Float32Array {
    const out = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      const x = (name: string) => features[r * FEATURE_COUNT + idx(name)]!;
      let margin = -1.2;
      if (!Number.isNaN(x("runway_months"))) margin += 0.08 * (x("runway_months") - 12);
      if (!Number.isNaN(x("burn_multiple"))) margin -= 0.3 * (x("burn_multiple") - 3);
      if (!Number.isNaN(x("prior_successful_exits_count"))) margin += 0.6 * x("prior_successful_exits_count");
      out[r] = 1 / (1 + Math.exp(-margin));
    }
    return out;
  }
}

function makeManifest(overrides: Partial<ModelManifest> = {}): ModelManifest {
  const importance = Object.fromEntries(FEATURE_NAMES.map((n) => [n, 0])) as Record<string, number>;
  importance.runway_months = 0.5;
  importance.burn_multiple = 0.3;
  importance.prior_successful_exits_count = 0.2;
  const metrics = {
    n: 1000,
    base_rate: 0.2,
    auc: 0.8,
    brier: 0.1,
    log_loss: 0.4,
    ece: 0.01,
    prediction: { min: 0.01, max: 0.95, mean: 0.2, std: 0.2 },
    reliability: Array.from({ length: 10 }, (_, i) => ({
      lower: i / 10,
      upper: (i + 1) / 10,
      count: i === 9 ? 0 : 100,
      mean_predicted: null,
      observed_rate: null,
    })),
  };
  return {
    name: "formula",
    version: "test-1",
    created_at: "2026-01-01T00:00:00Z",
    seed: 1,
    onnx: { file: "model.onnx", sha256: "0".repeat(64), bytes: 0, input: "features", output: "probability", ir_version: 8, opsets: {}, output_is_calibrated: false },
    encoding: { version: 1, hash: "x", features: FEATURE_NAMES },
    calibration: { method: "isotonic", x: [0, 1], y: [0, 1] },
    metrics: { test: metrics, test_uncalibrated: metrics, validation: { n: 1, auc: 0.8, log_loss: 0.4 } },
    importance: { features: importance, pillars: { capital: 0.8, advantage: 0, market: 0, people: 0.2, product: 0 } },
    data: { source: "synthetic", description: "", rows: 1, bad_rows: 0, base_rate: 0.2, fingerprint: "", splits: { train: 1, validation: 1, calibration: 1, test: 1 } },
    training: {} as ModelManifest["training"],
    ...overrides,
  };
}

const sigmoid = (m: number) => 1 / (1 + Math.exp(-m));

describe("predictStartups", () => {
  const context = createPredictionContext(makeManifest());

  it("scores every startup in ONE model call, one row each (the explainer scores the variants)", async () => {
    const model = new FormulaModel();
    const items: FeatureValues[] = [{ runway_months: 24 }, {}, { runway_months: 3, burn_multiple: 12, sector: "saas" }];
    const results = await predictStartups(model, context, items);
    expect(results).toHaveLength(3);
    expect(model.calls).toEqual([3]);
  });

  it("an explainer that does not read the model that scores is a ModelOutputError", async () => {
    const model = new FormulaModel();
    const other = new FormulaModel();
    const shifted: PredictionEngine = {
      model,
      explainer: createRowExplainer((features, rows) => other.score(features, rows).map((p) => Math.min(1, p + 0.01))),
    };
    await expect(predictStartups(shifted, context, [{ runway_months: 24 }])).rejects.toThrow(/explainer scores .* where the model scores/);
  });

  it("gives the model's probability (through calibration) and FLASH's verdict", async () => {
    const [r] = await predictStartups(new FormulaModel(), context, [{ runway_months: 24, burn_multiple: 1, prior_successful_exits_count: 1 }]);
    const expected = sigmoid(-1.2 + 0.08 * 12 - 0.3 * -2 + 0.6);
    expect(r!.success_probability).toBeCloseTo(expected, 6);
    expect(r!.verdict).toBe("PASS");
    expect(r!.verdict_code).toBe("pass");
    expect(r!.confidence_interval.lower).toBeLessThanOrEqual(r!.success_probability);
    expect(r!.confidence_interval.upper).toBeGreaterThanOrEqual(r!.success_probability);
    expect(r!.model).toEqual({ name: "formula", version: "test-1", sha256: "0".repeat(64) });
  });

  it("pillar scores are the model's probability given only that pillar", async () => {
    const [r] = await predictStartups(new FormulaModel(), context, [{ runway_months: 24, prior_successful_exits_count: 1 }]);
    const prior = sigmoid(-1.2);
    expect(r!.pillar_scores.capital).toBeCloseTo(sigmoid(-1.2 + 0.96), 4);
    expect(r!.pillar_scores.people).toBeCloseTo(sigmoid(-1.2 + 0.6), 4);
    expect(r!.pillar_scores.market).toBeCloseTo(prior, 4);
    expect(r!.pillar_scores.advantage).toBeCloseTo(prior, 4);
    expect(r!.pillar_scores.product).toBeCloseTo(prior, 4);
  });

  it("factors are occlusion effects with the right sign, strongest first", async () => {
    const values = { runway_months: 24, burn_multiple: 9, sector: "saas" };
    const [r] = await predictStartups(new FormulaModel(), context, [values]);
    const p = r!.success_probability;
    const byName = Object.fromEntries(r!.factors.map((f) => [f.feature, f]));
    expect(byName.runway_months!.direction).toBe("positive");
    expect(byName.runway_months!.impact).toBeCloseTo(p - sigmoid(-1.2 - 1.8), 4);
    expect(byName.burn_multiple!.direction).toBe("negative");
    expect(byName.burn_multiple!.impact).toBeCloseTo(p - sigmoid(-1.2 + 0.96), 4);
    // The formula ignores sector: no factor for it.
    expect(byName.sector).toBeUndefined();
    const sizes = r!.factors.map((f) => Math.abs(f.impact));
    expect([...sizes].sort((a, b) => b - a)).toEqual(sizes);
    expect(byName.burn_multiple!.explanation).toMatch(/burn_multiple = 9 ratio lowers the success probability by \d+\.\d points/);
  });

  it("a batch gives the same answers as one-by-one", async () => {
    const items: FeatureValues[] = [{ runway_months: 2 }, { burn_multiple: 4, prior_successful_exits_count: 0 }, {}];
    const together = await predictStartups(new FormulaModel(), context, items);
    for (let i = 0; i < items.length; i++) {
      const [alone] = await predictStartups(new FormulaModel(), context, [items[i]!]);
      expect(together[i]).toEqual(alone);
    }
  });

  it("reports flags, data warnings and completeness", async () => {
    const [r] = await predictStartups(new FormulaModel(), context, [{ runway_months: 3, burn_multiple: 12 }]);
    expect(r!.flags.map((f) => f.code)).toEqual(["short_runway", "high_burn_multiple"]);
    expect(r!.warnings.map((w) => w.code)).toContain("low_completeness");
    expect(r!.data_completeness).toBeCloseTo(2 / 45, 4);
  });

  it("a broken model (NaN, wrong length) is a ModelOutputError, never a silent answer", async () => {
    const explainer = new FormulaModel().explainer;
    const nan: Model = { predict: async (_f, rows) => new Float32Array(rows).fill(Number.NaN) };
    await expect(predictStartups({ model: nan, explainer }, context, [{}])).rejects.toThrow(ModelOutputError);
    const short: Model = { predict: async () => new Float32Array(1) };
    await expect(predictStartups({ model: short, explainer }, context, [{ runway_months: 1 }, {}])).rejects.toThrow(ModelOutputError);
    await expect(scoreStartups(nan, context, [{}])).rejects.toThrow(ModelOutputError);
  });

  it("no items, no model call", async () => {
    const model = new FormulaModel();
    expect(await predictStartups(model, context, [])).toEqual([]);
    expect(await scoreStartups(model, context, [])).toEqual([]);
    expect(model.calls).toEqual([]);
  });

  it("a constant-probability context answers that value everywhere (fault injection)", async () => {
    const constant = createPredictionContext(makeManifest(), { constantProbability: 0.42 });
    const [r] = await predictStartups(new FormulaModel(), constant, [{ runway_months: 30 }]);
    expect(r!.success_probability).toBe(0.42);
    expect(Object.values(r!.pillar_scores)).toEqual([0.42, 0.42, 0.42, 0.42, 0.42]);
    expect(r!.factors).toEqual([]);
    expect(await scoreStartups(new FormulaModel(), constant, [{}, { burn_multiple: 20 }])).toEqual([0.42, 0.42]);
  });
});

describe("interval inputs", () => {
  it("missing importance share weighs features by importance", () => {
    const importance = makeManifest().importance.features;
    expect(computeMissingImportanceShare({}, importance)).toBe(1);
    expect(computeMissingImportanceShare({ runway_months: 1 }, importance)).toBeCloseTo(0.5, 9);
    expect(computeMissingImportanceShare({ runway_months: 1, burn_multiple: 1, prior_successful_exits_count: 0 }, importance)).toBe(0);
    // Without importance, the share of features missing.
    expect(computeMissingImportanceShare({ runway_months: 1 }, {})).toBeCloseTo(44 / 45, 9);
  });

  it("calibration count is the reliability bin's, floored", () => {
    const bins = makeManifest().metrics.test.reliability;
    expect(findCalibrationCount(bins, 0.05)).toBe(100);
    expect(findCalibrationCount(bins, 0.95)).toBe(10);
    expect(findCalibrationCount(bins, 1)).toBe(10);
  });

  it("a startup with more (important) data gets a narrower interval", async () => {
    const context = createPredictionContext(makeManifest());
    const [sparse, full] = await predictStartups(new FormulaModel(), context, [
      { runway_months: 18 },
      { runway_months: 18, burn_multiple: 3, prior_successful_exits_count: 0 },
    ]);
    expect(full!.confidence_interval.width).toBeLessThan(sparse!.confidence_interval.width);
  });
});
