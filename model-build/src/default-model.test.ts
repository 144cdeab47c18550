import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkManifest, type ModelManifest } from "../../core/manifest.js";
import { ENCODING_HASH } from "../../core/encoding.js";
import { FEATURES, FEATURE_NAMES, PILLARS } from "../../core/schema.js";
import { defaultModelDir } from "./registry.js";

const dir = `${defaultModelDir()}/`;

describe("the committed default model", () => {
  const onnx = readFileSync(`${dir}model.onnx`);
  const manifest = JSON.parse(readFileSync(`${dir}manifest.json`, "utf8")) as ModelManifest;

  it("has a manifest whose sha256 and size match model.onnx", () => {
    expect(checkManifest(manifest)).toEqual([]);
    expect(manifest.onnx.sha256).toBe(createHash("sha256").update(onnx).digest("hex"));
    expect(manifest.onnx.bytes).toBe(onnx.length);
  });

  it("was built for the current encoding", () => {
    expect(manifest.encoding.hash).toBe(ENCODING_HASH);
    expect(manifest.encoding.features).toEqual(FEATURE_NAMES);
  });

  it("has pillar importances that are its features' importances summed by the schema's pillars", () => {
    // A feature moved between pillars (funding_stage to capital) must come with a rebuilt manifest.
    const { features, pillars } = manifest.importance;
    for (const pillar of PILLARS) {
      const sum = FEATURES.filter((f) => f.pillar === pillar).reduce((s, f) => s + (features[f.name] ?? 0), 0);
      expect(pillars[pillar], pillar).toBeCloseTo(sum, 9);
    }
    expect(Object.values(pillars).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 9);
  });

  it("has a model card that says it is trained on synthetic data", () => {
    const card = readFileSync(`${dir}MODEL_CARD.md`, "utf8");
    expect(manifest.data.source).toBe("synthetic");
    expect(card).toContain("trained on synthetic data");
    expect(card).toContain(manifest.onnx.sha256);
  });

  it("records how its calibration was chosen, and its card says which and why", () => {
    const card = readFileSync(`${dir}MODEL_CARD.md`, "utf8");
    const choice = manifest.calibration_choice;
    expect(choice?.method).toBe(manifest.calibration.method);
    expect(choice?.candidates.map((c) => c.method)).toEqual(["none", "platt", "isotonic"]);
    expect(card).toContain("## Calibration");
    expect(card).toContain(choice!.reason.slice(1));
    // The rule's promise, on the model everyone is served: not worse than raw on the test split.
    expect(manifest.metrics.test.ece).toBeLessThanOrEqual(manifest.metrics.test_uncalibrated.ece);
    expect(manifest.metrics.test.log_loss).toBeLessThanOrEqual(manifest.metrics.test_uncalibrated.log_loss);
  });
});
