/**
 * The Worker's parity fixture (test/worker/fixtures/ort-parity.json) must describe the committed
 * model: its rows carry onnxruntime-node's answers, which the workerd tests compare with
 * onnxruntime-web's. When the model changes this fails until `npm run worker:fixture` is rerun.
 */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { calibrateProbability } from "../../core/calibration.js";
import type { ModelManifest } from "../../core/manifest.js";
import { defaultModelDir } from "../../model-build/src/registry.js";
import { runOrtNode, type OrtFixture } from "../../worker/scripts/make-ort-fixture.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const manifest = JSON.parse(readFileSync(`${defaultModelDir()}/manifest.json`, "utf8")) as ModelManifest;
const onnx = new Uint8Array(readFileSync(`${defaultModelDir()}/${manifest.onnx.file}`));
const fixture = JSON.parse(readFileSync(`${root}test/worker/fixtures/ort-parity.json`, "utf8")) as OrtFixture;
const stale = "the fixture is stale: run `npm run worker:fixture` after changing the model";

describe("the Worker's onnxruntime parity fixture", () => {
  it("was made for the committed model", () => {
    expect(fixture.model.sha256, stale).toBe(manifest.onnx.sha256);
    expect(fixture.model.version, stale).toBe(manifest.version);
  });

  it("holds onnxruntime-node's current answers for every row", async () => {
    const raw = await runOrtNode(onnx, fixture.rows.map((r) => r.features));
    fixture.rows.forEach((row, i) => {
      expect(row.raw, `${stale} (row ${i}, ${row.label})`).toBe(raw[i]);
      expect(row.calibrated, `${stale} (row ${i})`).toBe(calibrateProbability(manifest.calibration, raw[i]!));
    });
  });

  it("includes the test split's extremes as the model card reports them, and every populated bin", () => {
    expect(fixture.test_split.rows).toBe(manifest.metrics.test.n);
    expect(fixture.test_split.min).toBeCloseTo(manifest.metrics.test.prediction.min, 6);
    expect(fixture.test_split.max).toBeCloseTo(manifest.metrics.test.prediction.max, 6);
    const testRows = fixture.rows.filter((r) => r.source === "test_split").map((r) => r.calibrated);
    expect(Math.min(...testRows)).toBe(fixture.test_split.min);
    expect(Math.max(...testRows)).toBe(fixture.test_split.max);
    expect(fixture.test_split.bins_with_rows).toBe(manifest.metrics.test.reliability.filter((b) => b.count > 0).length);
  });
});
