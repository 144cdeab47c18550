/**
 * The Worker's imported-model fixtures (test/worker/fixtures/imported/) must be what model:import
 * makes now from model-build/fixtures/import: the served bytes, the manifest and onnxruntime-node's
 * answers on the original files. When the importer or a fixture changes this fails until
 * `npm run worker:imported-fixtures` is rerun.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildImportedFixture, IMPORTED_FIXTURES, IMPORTED_FIXTURES_DIR } from "../../worker/scripts/make-imported-fixtures.js";

const stale = "stale: run `npm run worker:imported-fixtures`";

describe("the Worker's imported-model fixtures", () => {
  for (const [name, source] of Object.entries(IMPORTED_FIXTURES)) {
    it(`${name} is model:import's output for ${source}`, async () => {
      const dir = join(IMPORTED_FIXTURES_DIR, name);
      const built = await buildImportedFixture(source);
      expect(Buffer.compare(readFileSync(join(dir, "model.onnx")), Buffer.from(built.onnx)), `model.onnx ${stale}`).toBe(0);
      expect(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")), `manifest.json ${stale}`).toEqual(JSON.parse(JSON.stringify(built.manifest)));
      expect(readFileSync(join(dir, "MODEL_CARD.md"), "utf8"), `MODEL_CARD.md ${stale}`).toBe(built.card);
      const parity = JSON.parse(readFileSync(join(dir, "parity.json"), "utf8"));
      expect(parity.rows, `parity.json ${stale}`).toEqual(JSON.parse(JSON.stringify(built.rows)));
    });
  }
});
