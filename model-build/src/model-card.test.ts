import { describe, expect, it } from "vitest";
import { buildModel } from "./build-model.js";
import { encodeLabelled } from "./dataset.js";
import { describeCalibration } from "./calibration-choice.js";
import { rebuildCommand, renderModelCard } from "./model-card.js";
import { generateSynthetic } from "./synthetic.js";

describe("renderModelCard", async () => {
  const data = encodeLabelled(generateSynthetic({ rows: 1500, seed: 3 }).rows);
  const { manifest } = await buildModel({
    data,
    seed: 3,
    source: { kind: "synthetic", description: "synthetic startups (seed 3)", badRows: 0 },
    gbdt: { maxIterations: 30, maxDepth: 3 },
  });

  it("says plainly when the model is trained on synthetic data, and not otherwise", () => {
    expect(renderModelCard(manifest)).toContain("**This model is trained on synthetic data.**");
    const real = { ...manifest, data: { ...manifest.data, source: "csv" as const, description: "CSV file x.csv" } };
    expect(renderModelCard(real)).not.toContain("synthetic data");
  });

  it("carries the manifest's numbers, not its own", () => {
    const card = renderModelCard(manifest);
    const served = manifest.calibration.method === "none" ? "served (raw, no calibration)" : `served (${manifest.calibration.method} calibration)`;
    expect(card).toContain(`| ${served} | ${manifest.metrics.test.auc.toFixed(4)} | ${manifest.metrics.test.brier.toFixed(4)} |`);
    expect(card).toContain(manifest.onnx.sha256);
    expect(card).toContain(`version ${manifest.version}`);
    const top = Object.entries(manifest.importance.features).sort((a, b) => b[1] - a[1])[0]!;
    expect(card).toContain(`| ${top[0]} |`);
  });

  it("says which calibration is served and why, with the CV figures and the test check", () => {
    const card = renderModelCard(manifest);
    const choice = manifest.calibration_choice!;
    expect(choice.method).toBe(manifest.calibration.method);
    expect(card).toContain("## Calibration");
    expect(card).toContain(`Served: **${describeCalibration(manifest.calibration)}**.`);
    expect(card).toContain(choice.reason.slice(1));
    for (const c of choice.candidates) {
      expect(card).toContain(`| ${c.method} | ${c.cv_log_loss.toFixed(5)} | ${c.cv_ece.toFixed(4)} | ${c.method === choice.method ? "chosen" : ""} |`);
    }
    const t = manifest.metrics.test;
    const r = manifest.metrics.test_uncalibrated;
    expect(card).toContain(`ECE ${t.ece.toFixed(4)} served vs ${r.ece.toFixed(4)} raw, Brier ${t.brier.toFixed(4)} vs ${r.brier.toFixed(4)}, log loss ${t.log_loss.toFixed(4)} vs ${r.log_loss.toFixed(4)}`);
    expect(card).not.toContain("(isotonic)");
  });

  it("says so when an older manifest does not record how its calibration was chosen", () => {
    const { calibration_choice: _, ...older } = manifest;
    const card = renderModelCard({ ...older, calibration: { method: "isotonic", x: [0.1, 0.9], y: [0.05, 0.95] } });
    expect(card).toContain("Served: **isotonic, 2 knots**.");
    expect(card).toContain("predates the choice by cross-validation");
  });

  it("gives the command that rebuilds the model, with its non-default settings", () => {
    expect(rebuildCommand(manifest)).toBe("npm run model:build -- --synthetic 1500 --seed 3 --max-trees 30 --max-depth 3 --out <dir>");
  });
});
