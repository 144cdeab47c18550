import { describe, expect, it } from "vitest";
import { buildModel } from "./build-model.js";
import { encodeLabelled } from "./dataset.js";
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
    expect(card).toContain(`| calibrated (served) | ${manifest.metrics.test.auc.toFixed(4)} | ${manifest.metrics.test.brier.toFixed(4)} |`);
    expect(card).toContain(manifest.onnx.sha256);
    expect(card).toContain(`version ${manifest.version}`);
    const top = Object.entries(manifest.importance.features).sort((a, b) => b[1] - a[1])[0]!;
    expect(card).toContain(`| ${top[0]} |`);
  });

  it("gives the command that rebuilds the model, with its non-default settings", () => {
    expect(rebuildCommand(manifest)).toBe("npm run model:build -- --synthetic 1500 --seed 3 --max-trees 30 --max-depth 3 --out <dir>");
  });
});
