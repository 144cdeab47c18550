import { describe, expect, it } from "vitest";
import { buildModel } from "./build-model.js";
import { encodeLabelled } from "./dataset.js";
import { renderModelCard } from "./model-card.js";
import { generateSynthetic } from "./synthetic.js";

describe("buildModel's refit", () => {
  const data = encodeLabelled(generateSynthetic({ rows: 1500, seed: 3 }).rows);
  const source = { kind: "synthetic", description: "synthetic startups (seed 3)", badRows: 0 } as const;

  it("never serves more trees than maxIterations, and the card says when the cap set the count", async () => {
    // 5 trees are far too few to overfit: the validation loss still improves at the cap, and the
    // refit's scaled count (5 * 70 / 60 = 6) must be held to the cap.
    const { manifest } = await buildModel({ data, seed: 3, source, gbdt: { maxIterations: 5, maxDepth: 3 } });
    expect(manifest.training.best_iteration).toBe(5);
    expect(manifest.training.trees).toBe(5);
    expect(renderModelCard(manifest)).toContain("reached the cap of 5 trees with the validation loss still improving");
  });

  it("scales the tree count early stopping chose to the larger refit set below the cap", async () => {
    const { manifest } = await buildModel({ data, seed: 3, source, gbdt: { maxIterations: 400, maxDepth: 3, learningRate: 0.3, earlyStoppingRounds: 10 } });
    const best = manifest.training.best_iteration;
    expect(best).toBeLessThan(400);
    expect(manifest.training.trees).toBe(Math.round((best * (manifest.data.splits.train + manifest.data.splits.validation)) / manifest.data.splits.train));
    expect(renderModelCard(manifest)).toContain(`Early stopping on the validation split chose ${best} trees`);
  });
});
