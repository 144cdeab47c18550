import { describe, expect, it } from "vitest";
import { describeUse, diffModels, findUse, formatModelDetail, formatModelDiff, formatModelList, summarizeModel, type ManifestLike, type ServingState } from "./models-report.js";

const built: ManifestLike = {
  name: "flash-default",
  version: "aaaaaaaaaaaa",
  created_at: "2026-11-26T13:19:57.544Z",
  onnx: { bytes: 105_119, sha256: "a".repeat(64) },
  data: { rows: 100_000 },
  calibration: { method: "isotonic" },
  metrics: { test: { n: 15_000, auc: 0.9105, brier: 0.0857, log_loss: 0.2798, ece: 0.0113 } },
  importance: { features: { a: 0.5, b: 0.3, c: 0.2 }, pillars: { capital: 0.6, product: 0.4 } },
};
const imported: ManifestLike = {
  ...built,
  version: "bbbbbbbbbbbb",
  source: "imported",
  metrics: { test: { n: 2_000, auc: 0.88, brier: 0.09, log_loss: 0.3, ece: 0.02 } },
  importance: { features: { c: 0.6, d: 0.4 }, pillars: { capital: 0.1, product: 0.9 } },
  import: { original: { file: "v1.onnx", sha256: "c".repeat(64), producer: "skl2onnx 1.17" }, layout: { tree_operator: "TreeEnsembleClassifier" }, evaluator: "trees" },
};

const state: ServingState = { defaultVersion: "aaaaaaaaaaaa", pins: { blue: "aaaaaaaaaaaa", green: "bbbbbbbbbbbb" }, serving: { blue: "aaaaaaaaaaaa", green: "aaaaaaaaaaaa" } };

describe("npm run models", () => {
  it("says who uses a version: the default, pins and what the router reports, with disagreements spelled out", () => {
    expect(describeUse(findUse("aaaaaaaaaaaa", state))).toBe("default, blue, green (serving, not pinned)");
    expect(describeUse(findUse("bbbbbbbbbbbb", state))).toBe("green (pinned, not serving)");
    expect(describeUse(findUse("bbbbbbbbbbbb", { ...state, serving: null }))).toBe("green (pinned)");
    expect(describeUse(findUse("cccccccccccc", state))).toBe("-");
  });

  it("lists versions with source, rows, metrics, size and use", () => {
    const text = formatModelList([summarizeModel("aaaaaaaaaaaa", built, findUse("aaaaaaaaaaaa", state)), summarizeModel("bbbbbbbbbbbb", imported, findUse("bbbbbbbbbbbb", state))], "note");
    expect(text).toMatch(/aaaaaaaaaaaa\s+2026-11-26 13:19Z\s+built\s+100,000\s+0\.9105\s+0\.0857\s+0\.0113\s+103 KiB\s+default, blue/);
    expect(text).toMatch(/bbbbbbbbbbbb\s+2026-11-26 13:19Z\s+imported/);
    expect(text).toContain("(2 versions in models/");
  });

  it("shows where an imported version came from and what serves it", () => {
    const text = formatModelDetail(summarizeModel("bbbbbbbbbbbb", imported, findUse("bbbbbbbbbbbb", state)), imported);
    expect(text).toContain("model bbbbbbbbbbbb (flash-default): imported");
    expect(text).toContain("imported:    from v1.onnx (sha256 cccccccccccccccc…, skl2onnx 1.17), TreeEnsembleClassifier; onnxruntime and the tree walk serve it");
    expect(formatModelDetail(summarizeModel("aaaaaaaaaaaa", built, findUse("aaaaaaaaaaaa", state)), built)).not.toContain("imported:");
  });

  it("diffs metrics (saying which is better) and the union of top importances", () => {
    const d = diffModels(summarizeModel("aaaaaaaaaaaa", built, findUse("aaaaaaaaaaaa", state)), built, summarizeModel("bbbbbbbbbbbb", imported, findUse("bbbbbbbbbbbb", state)), imported, 2);
    expect(d.metrics.find((m) => m.metric === "AUC")).toMatchObject({ a: 0.9105, b: 0.88, better: "a" });
    expect(d.metrics.find((m) => m.metric === "ECE")?.better).toBe("a");
    expect(d.importances.map((r) => r.feature)).toEqual(["a", "c", "b", "d"]);
    expect(d.importances.find((r) => r.feature === "c")).toMatchObject({ a_rank: 3, b_rank: 1 });
    const text = formatModelDiff(d);
    expect(text).toMatch(/AUC\s+0\.9105\s+0\.8800\s+-0\.0305\s+a better/);
    expect(text).toMatch(/product\s+40\.0%\s+90\.0%/);
  });
});
