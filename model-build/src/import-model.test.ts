/**
 * model:import on every committed fixture (model-build/fixtures/import: the layouts skl2onnx and
 * onnxmltools write, grown by scikit-learn): the served file in onnxruntime-node and -web and the
 * TypeScript tree walk give onnxruntime-node's probabilities on the original file within 1e-6 on
 * the CSV, and files it cannot serve are refused with the operator or attribute named, before
 * anything is written. The parity figures are printed as `[import] ...` lines.
 */

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FEATURE_MAP_FORMAT, FeatureMapError } from "../../core/feature-map.js";
import { checkManifest } from "../../core/manifest.js";
import { readOnnxModel } from "../../core/onnx-proto.js";
import { summarizeModel } from "../../scripts/lib/models-report.js";
import { loadTrainingCsv } from "./csv-loader.js";
import { ImportError, importModel, IMPORT_TOLERANCE } from "./import-model.js";
import { encodeNode, encodeValueInfo, TENSOR_FLOAT, TENSOR_INT64, type AttributeValue } from "./onnx-writer.js";
import { ProtoWriter } from "./protobuf.js";
import { readModelManifest } from "./registry.js";
import { runModelImport } from "./run-import.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "import");
const index = JSON.parse(readFileSync(join(FIXTURES, "fixtures.json"), "utf8")) as { fixtures: { name: string; onnx: string; map: string; description: string }[] };
const csv = await loadTrainingCsv(join(FIXTURES, "startups.csv"));
const NOT_TREES = new Set(["skl2onnx-logistic-regression", "skl2onnx-mlp"]);

const fixture = (name: string) => {
  const f = index.fixtures.find((x) => x.name === name)!;
  return { onnx: new Uint8Array(readFileSync(join(FIXTURES, f.onnx))), map: JSON.parse(readFileSync(join(FIXTURES, f.map), "utf8")) as unknown };
};

const importFixture = (name: string, extra: Partial<Parameters<typeof importModel>[0]> = {}) => {
  const f = fixture(name);
  return importModel({ original: f.onnx, originalFile: `${name}.onnx`, map: f.map, rows: csv.rows, data: { description: "the fixtures' CSV", badRows: 0 }, createdAt: new Date("2026-12-06T00:00:00Z"), ...extra });
};

describe("model:import on the converters' layouts", () => {
  for (const { name, description } of index.fixtures) {
    it(`${name}: ${description}`, async () => {
      const { manifest, onnx } = await importFixture(name);
      const p = manifest.import.parity;
      expect(p.rows).toBe(csv.rows.length);
      expect(p.served_onnxruntime_node).toBeLessThanOrEqual(IMPORT_TOLERANCE);
      expect(p.served_onnxruntime_web).toBeLessThanOrEqual(IMPORT_TOLERANCE);
      if (NOT_TREES.has(name)) {
        expect(manifest.import.evaluator).toBe("onnxruntime");
        expect(p.trees).toBeNull();
      } else {
        expect(manifest.import.evaluator, manifest.import.evaluator_reason).toBe("trees");
        expect(p.trees).toBeLessThanOrEqual(IMPORT_TOLERANCE);
        expect(p.explanations).toBeLessThanOrEqual(1e-5);
      }
      // The served file is the Worker's interface and says where it came from.
      const served = readOnnxModel(onnx);
      expect(served.graph.inputs.map((i) => [i.name, i.dims])).toEqual([["features", ["N", 45]]]);
      expect(served.graph.outputs.map((o) => [o.name, o.dims])).toEqual([["probability", ["N", 1]]]);
      expect(served.metadata.get("flash.import.source_sha256")).toBe(manifest.import.original.sha256);
      expect(served.graph.nodes.some((n) => n.opType === "ZipMap")).toBe(false);
      expect(checkManifest(manifest)).toEqual([]);
      expect(manifest.metrics.test.auc).toBeGreaterThan(0.75);
      expect(manifest.data.splits.calibration + manifest.data.splits.test).toBe(csv.rows.length);
      console.log(
        `[import] ${name}: max |diff| vs onnxruntime-node on the original, ${p.rows} rows: served onnxruntime-node ${p.served_onnxruntime_node.toExponential(2)}, onnxruntime-web ${p.served_onnxruntime_web.toExponential(2)}, tree walk ${p.trees === null ? "-" : p.trees.toExponential(2)}, explanations ${p.explanations === null ? "-" : p.explanations.toExponential(2)}; test AUC ${manifest.metrics.test.auc.toFixed(4)}, calibration ${manifest.calibration.method}`,
      );
    });
  }

  it("--onnxruntime-only serves a tree model by onnxruntime alone", async () => {
    const { manifest } = await importFixture("onnxmltools-xgboost", { evaluator: "onnxruntime" });
    expect(manifest.import.evaluator).toBe("onnxruntime");
    expect(manifest.import.evaluator_reason).toMatch(/--onnxruntime-only/);
  });
});

describe("model:import into a registry", () => {
  const registry = mkdtempSync(join(tmpdir(), "flash-import-"));
  afterAll(() => rmSync(registry, { recursive: true, force: true }));

  it("writes models/<version>/ with an entry, a manifest that says imported, and a model card", async () => {
    const lines: string[] = [];
    const result = await runModelImport({
      onnxPath: join(FIXTURES, "onnxmltools-lightgbm.onnx"),
      mapPath: join(FIXTURES, "onnxmltools-lightgbm.map.json"),
      csvPath: join(FIXTURES, "startups.csv"),
      modelsDir: registry,
      name: "v1-lightgbm",
      log: (l) => lines.push(l),
    });
    const dir = join(registry, result.manifest.version);
    expect(readdirSync(dir).sort()).toEqual(["MODEL_CARD.md", "entry.ts", "manifest.json", "model.onnx"]);
    const manifest = readModelManifest(result.manifest.version, registry);
    expect(manifest.source).toBe("imported");
    expect(summarizeModel(manifest.version, manifest, { default: false, pinned: [], serving: [], serving_known: false }).source).toBe("imported");
    const card = readFileSync(join(dir, "MODEL_CARD.md"), "utf8");
    expect(card).toContain("**Imported model.**");
    expect(card).toContain(result.manifest.import.original.sha256);
    expect(card).toContain("| sector | sector (codes of its own) | NaN |");
    // Progress: each stage, the metrics and the reliability table.
    expect(lines.filter((l) => /^\[\d\/6\]/.test(l))).toHaveLength(6);
    expect(lines.some((l) => /AUC \d\.\d{4}, Brier/.test(l))).toBe(true);
    expect(lines.some((l) => /90-100%\s+\d+ rows/.test(l))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Files it cannot serve: small graphs written here, each one thing wrong.
// ---------------------------------------------------------------------------------------------

const node = (opType: string, inputs: string[], outputs: string[], attributes: Array<[string, AttributeValue]>, domain = "ai.onnx.ml") =>
  encodeNode({ name: opType, opType, domain, inputs, outputs, attributes });

function tinyModel(nodes: Uint8Array[], outputs: Uint8Array[], options: { inputWidth?: number; inputType?: number; defaultOpset?: number } = {}): Uint8Array {
  const graph = new ProtoWriter();
  for (const n of nodes) graph.message(1, n);
  graph.string(2, "tiny").message(11, encodeValueInfo("input", options.inputType ?? TENSOR_FLOAT, ["N", options.inputWidth ?? 2]));
  for (const o of outputs) graph.message(12, o);
  return new ProtoWriter()
    .int(1, 8)
    .message(7, graph.finish())
    .message(8, new ProtoWriter().string(1, "").int(2, options.defaultOpset ?? 15).finish())
    .message(8, new ProtoWriter().string(1, "ai.onnx.ml").int(2, 3).finish())
    .finish();
}

function classifierNode(modes: string[], labels: number[]): Uint8Array {
  return node("TreeEnsembleClassifier", ["input"], ["label", "probabilities"], [
    ["nodes_treeids", { type: "ints", value: [0, 0, 0] }],
    ["nodes_nodeids", { type: "ints", value: [0, 1, 2] }],
    ["nodes_featureids", { type: "ints", value: [0, 0, 0] }],
    ["nodes_modes", { type: "strings", value: modes }],
    ["nodes_values", { type: "floats", value: [1e6, 0, 0] }],
    ["nodes_truenodeids", { type: "ints", value: [1, 0, 0] }],
    ["nodes_falsenodeids", { type: "ints", value: [2, 0, 0] }],
    ["class_treeids", { type: "ints", value: [0, 0] }],
    ["class_nodeids", { type: "ints", value: [1, 2] }],
    ["class_ids", { type: "ints", value: [0, 0] }],
    ["class_weights", { type: "floats", value: [-0.5, 0.5] }],
    ["classlabels_int64s", { type: "ints", value: labels }],
    ["post_transform", { type: "string", value: "LOGISTIC" }],
  ]);
}

const outputs = [encodeValueInfo("label", TENSOR_INT64, ["N"]), encodeValueInfo("probabilities", TENSOR_FLOAT, ["N", 2])];
const twoColumns = { format: FEATURE_MAP_FORMAT, columns: [{ feature: "total_capital_raised_usd" }, { feature: "runway_months" }] };
const tryImport = (original: Uint8Array, map: unknown = twoColumns, rows = csv.rows) =>
  importModel({ original, originalFile: "bad.onnx", map, rows, data: { description: "test", badRows: 0 } });

describe("model:import refuses what it cannot serve, naming the operator or attribute", () => {
  it("works on the tiny model itself (so each failure below is the one thing changed)", async () => {
    const { manifest } = await tryImport(tinyModel([classifierNode(["BRANCH_LEQ", "LEAF", "LEAF"], [0, 1])], outputs));
    expect(manifest.import.evaluator).toBe("trees");
  });

  it("a node mode onnxruntime would misread", async () => {
    await expect(tryImport(tinyModel([classifierNode(["BRANCH_MEMBER", "LEAF", "LEAF"], [0, 1])], outputs))).rejects.toThrow(
      /^TreeEnsembleClassifier.nodes_modes "BRANCH_MEMBER" is not supported/,
    );
  });

  it("more than two classes, an operator outside the runtime's domains, a non-float input, an old opset", async () => {
    const three = [encodeValueInfo("label", TENSOR_INT64, ["N"]), encodeValueInfo("probabilities", TENSOR_FLOAT, ["N", 3])];
    await expect(tryImport(tinyModel([classifierNode(["BRANCH_LEQ", "LEAF", "LEAF"], [0, 1, 2])], three))).rejects.toThrow(/3 columns: model:import serves binary classifiers/);
    const custom = node("FancyForest", ["input"], ["probabilities"], [], "com.example");
    await expect(tryImport(tinyModel([custom], [outputs[1]!]))).rejects.toThrow(/operator com.example.FancyForest is not one onnxruntime-web runs/);
    await expect(tryImport(tinyModel([classifierNode(["BRANCH_LEQ", "LEAF", "LEAF"], [0, 1])], outputs, { inputType: TENSOR_INT64 }))).rejects.toThrow(/a tensor of int64: model:import feeds a float/);
    await expect(tryImport(tinyModel([classifierNode(["BRANCH_LEQ", "LEAF", "LEAF"], [0, 1])], outputs, { defaultOpset: 7 }))).rejects.toThrow(/ai.onnx opset 7/);
  });

  it("a map that does not fit the model, and a bad map, before running anything", async () => {
    const ok = tinyModel([classifierNode(["BRANCH_LEQ", "LEAF", "LEAF"], [0, 1])], outputs);
    await expect(tryImport(ok, { ...twoColumns, columns: [twoColumns.columns[0]] })).rejects.toThrow(/has 2 columns, the feature map lists 1/);
    await expect(tryImport(ok, { ...twoColumns, columns: [{ feature: "runway_month" }, twoColumns.columns[1]] })).rejects.toThrow(FeatureMapError);
    await expect(tryImport(ok, { ...twoColumns, positive_class: "success" })).rejects.toThrow(/positive_class "success" is not one of the model's classes \(0, 1\)/);
    await expect(tryImport(ok, twoColumns, csv.rows.slice(0, 50))).rejects.toThrow(ImportError);
  });

  it("writes nothing when it refuses", async () => {
    const registry = mkdtempSync(join(tmpdir(), "flash-import-refused-"));
    try {
      await expect(
        runModelImport({ onnxPath: join(FIXTURES, "skl2onnx-mlp.onnx"), mapPath: join(FIXTURES, "skl2onnx-random-forest.map.json"), csvPath: join(FIXTURES, "startups.csv"), modelsDir: registry }),
      ).rejects.toThrow(/has 30 columns, the feature map lists 31/);
      expect(existsSync(registry) ? readdirSync(registry) : []).toEqual([]);
    } finally {
      rmSync(registry, { recursive: true, force: true });
    }
  });
});
