import { describe, expect, it } from "vitest";
import { checkManifest } from "./manifest.js";

const good = {
  name: "flash-default",
  version: "abc123",
  created_at: "2026-01-01T00:00:00.000Z",
  onnx: { sha256: "a".repeat(64), input: "features", output: "probability" },
  encoding: { hash: "h" },
  calibration: { method: "isotonic", x: [0.1, 0.9], y: [0.05, 0.95] },
};

describe("checkManifest", () => {
  it("accepts what a consumer needs", () => {
    expect(checkManifest(good)).toEqual([]);
  });

  it("lists every problem with a path to it", () => {
    expect(checkManifest("x")).toEqual(["manifest must be a JSON object"]);
    expect(
      checkManifest({
        ...good,
        version: "",
        onnx: { sha256: "ABC", input: "x", output: "probability" },
        encoding: {},
        calibration: { method: "isotonic", x: [0.5, 0.4], y: [0.1, 0.2] },
      }),
    ).toEqual([
      "manifest.version must be a non-empty string",
      "manifest.onnx.sha256 must be 64 lower-case hex digits",
      'manifest.onnx.input must be "features"',
      "manifest.encoding.hash must be a string",
      "manifest.calibration.x must be strictly increasing (at index 1)",
    ]);
  });

  it("checks the calibration choice against the calibration it explains", () => {
    const choice = {
      method: "isotonic",
      reason: "isotonic: the lowest CV log loss",
      candidates: [
        { method: "none", cv_log_loss: 0.3, cv_ece: 0.02 },
        { method: "platt", cv_log_loss: 0.29, cv_ece: 0.015 },
        { method: "isotonic", cv_log_loss: 0.28, cv_ece: 0.01 },
      ],
    };
    expect(checkManifest({ ...good, calibration_choice: choice })).toEqual([]);
    expect(checkManifest({ ...good, calibration: { method: "none" }, calibration_choice: choice })).toEqual([
      'manifest.calibration_choice.method must equal manifest.calibration.method ("none"), got "isotonic"',
    ]);
    expect(checkManifest({ ...good, calibration_choice: { method: "beta", reason: "", candidates: [{ method: "none", cv_log_loss: "x" }] } })).toEqual([
      'manifest.calibration_choice.method must be one of "none", "platt", "isotonic", got "beta"',
      "manifest.calibration_choice.reason must be a non-empty string",
      "manifest.calibration_choice.candidates[0].cv_log_loss must be a finite number >= 0",
      "manifest.calibration_choice.candidates[0].cv_ece must be a finite number >= 0",
    ]);
    expect(checkManifest({ ...good, calibration_choice: [] })).toEqual(["manifest.calibration_choice must be an object"]);
  });

  it("names the Platt field that is wrong", () => {
    expect(checkManifest({ ...good, calibration: { method: "platt", a: "x", b: 0.1 } })).toEqual(['manifest.calibration.a must be a finite number, got "x"']);
    expect(checkManifest({ ...good, calibration: { method: "platt", a: 1.1 } })).toEqual(["manifest.calibration.b must be a finite number, got nothing"]);
  });
});

describe("checkManifest on imported models", () => {
  const imported = {
    ...good,
    source: "imported",
    import: { evaluator: "trees", model_input: "input", feature_map: { format: "flash-feature-map/1", columns: [{ feature: "runway_months" }] } },
  };

  it("accepts an import record the Worker can serve from", () => {
    expect(checkManifest(imported)).toEqual([]);
  });

  it("says what is wrong with one it cannot", () => {
    expect(checkManifest({ ...good, source: "elsewhere" })).toEqual(['manifest.source must be "built" or "imported", got "elsewhere"']);
    expect(checkManifest({ ...good, source: "imported" })).toEqual(['manifest.import must be an object (source is "imported")']);
    expect(checkManifest({ ...imported, import: { evaluator: "gpu", model_input: "", feature_map: { format: "flash-feature-map/1", columns: [{ feature: "nope" }] } } })).toEqual([
      'manifest.import.evaluator must be "trees" or "onnxruntime", got "gpu"',
      "manifest.import.model_input must be a non-empty string",
      'manifest.import.feature_map.columns[0].feature: "nope" is not one of the 45 features (core/schema.ts); a column FLASH has no feature for is {"encoding": "constant", "value": ...}',
    ]);
  });
});
