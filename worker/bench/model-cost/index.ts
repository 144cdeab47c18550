/**
 * The benchmark's model Worker (never deployed). Inside workerd, on the committed model:
 *
 * - POST /cold (the isolate's first request): the steps of a first prediction, timed one by one:
 *   the model's sha256 (crypto.subtle, as the API checks it), onnxruntime's runtime start (WASM
 *   instantiation and emscripten's set-up, isolated by a first session on the tiny model in the
 *   body), the real model's session (parse and graph optimisation), its first and second run.
 * - POST /cost?engine=ort|ts|explain&batch=N&ms=T: how long one call takes at batch N, run for
 *   T ms: onnxruntime-web exactly as the API calls it (OrtModel.predict), model-build's
 *   TypeScript evaluator (predictProbabilities) on the same trees read back from the same ONNX
 *   bytes, or the API's explanation of each row (TreeExplainer.explain: pillar scores and every
 *   feature's occlusion).
 *   The body is float32 rows (45 features each); batches cycle through them.
 * - POST /predict: the model alone as a Worker, the reference the API's throughput is compared
 *   with: a JSON object of features in (no validation), the shared encoding, one onnxruntime
 *   run, `{"probability": p}` out. No key check, cache, explanation, answer assembly or log.
 *   `?runs=N` (0-10) runs onnxruntime N times on the row and `?explain=1` adds the API's
 *   explanation, so load at each setting gives what they cost inside a request under load.
 *
 * workerd's clock has millisecond resolution, so each figure is a run of many calls.
 */

import { toTreeEnsemble } from "../../../model-build/src/onnx-import.js";
import { predictProbabilities } from "../../../model-build/src/tree-model.js";
import { encodeFeaturesInto, type FeatureValues } from "../../../core/encoding.js";
import { readOnnxTrees } from "../../../core/onnx-trees.js";
import { FEATURE_COUNT } from "../../../core/schema.js";
import { TreeExplainer } from "../../../core/tree-explainer.js";
import { OrtModel, createOrtSession } from "../../../worker/src/model/ort-model.js";
import { model } from "../../../models/default.js";

const { onnx } = model;

let ortModel: OrtModel | undefined;
// Read once: the evaluator and the explainer walk the same trees of the same bytes.
const flatTrees = readOnnxTrees(new Uint8Array(onnx), FEATURE_COUNT);
const trees = toTreeEnsemble(flatTrees);
const explainer = new TreeExplainer(flatTrees);

function explainRows(x: Float32Array, batch: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < batch; r++) out.push(explainer.explain(x, r * FEATURE_COUNT).full);
  return out;
}

async function loadOrt(): Promise<OrtModel> {
  ortModel ??= new OrtModel(await createOrtSession(new Uint8Array(onnx)));
  return ortModel;
}

async function timeCold(tiny: Uint8Array): Promise<Record<string, number>> {
  const t0 = performance.now();
  await crypto.subtle.digest("SHA-256", new Uint8Array(onnx));
  const t1 = performance.now();
  // Time the WebAssembly instantiation inside ORT's start (ort-model.ts patches instantiate on
  // top of whatever it finds, so this wrapper sees the real call).
  const original = WebAssembly.instantiate;
  let instantiateMs = 0;
  let instantiateStart = Number.NaN;
  let instantiateEnd = Number.NaN;
  WebAssembly.instantiate = (async (...args: Parameters<typeof WebAssembly.instantiate>) => {
    const started = performance.now();
    if (Number.isNaN(instantiateStart)) instantiateStart = started;
    try {
      return await (original as (...a: unknown[]) => Promise<unknown>)(...args);
    } finally {
      instantiateEnd = performance.now();
      instantiateMs += instantiateEnd - started;
    }
  }) as typeof WebAssembly.instantiate;
  try {
    await createOrtSession(tiny);
  } finally {
    WebAssembly.instantiate = original;
  }
  const t2 = performance.now();
  const session = await createOrtSession(new Uint8Array(onnx));
  const t3 = performance.now();
  const model = new OrtModel(session);
  const row = new Float32Array(FEATURE_COUNT).fill(Number.NaN);
  await model.predict(row, 1);
  const t4 = performance.now();
  await model.predict(row, 1);
  const t5 = performance.now();
  ortModel = model;
  return {
    sha256_ms: t1 - t0,
    ort_runtime_ms: t2 - t1,
    // ORT's JavaScript up to the WASM instantiation, the instantiation, then emscripten's and
    // onnxruntime's initialisation with the tiny session.
    before_instantiate_ms: instantiateStart - t1,
    wasm_instantiate_ms: instantiateMs,
    after_instantiate_ms: t2 - instantiateEnd,
    session_ms: t3 - t2,
    first_run_ms: t4 - t3,
    second_run_ms: t5 - t4,
  };
}

async function timeCost(engine: string, batch: number, minMs: number, rows: Float32Array): Promise<Record<string, number>> {
  const rowCount = rows.length / FEATURE_COUNT;
  if (!Number.isInteger(rowCount) || rowCount < batch) throw new Error(`need at least ${batch} rows of ${FEATURE_COUNT} float32 values`);
  const batches = Array.from({ length: Math.floor(rowCount / batch) }, (_, i) => rows.subarray(i * batch * FEATURE_COUNT, (i + 1) * batch * FEATURE_COUNT));
  const model = engine === "ort" ? await loadOrt() : undefined;
  const run = model
    ? (x: Float32Array) => model.predict(x, batch)
    : engine === "explain"
      ? async (x: Float32Array) => explainRows(x, batch)
      : async (x: Float32Array) => predictProbabilities(trees, x, batch);
  let sink = 0;
  for (let i = 0; i < 20; i++) sink += (await run(batches[i % batches.length]!))[0]!;
  let calls = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 50; i++) sink += (await run(batches[calls++ % batches.length]!))[0]!;
    elapsed = performance.now() - started;
  }
  return { calls, ms: elapsed, us_per_call: (elapsed * 1000) / calls, us_per_row: (elapsed * 1000) / (calls * batch), sink };
}

/** Largest |ORT - TypeScript| over the rows: proof both ran the same trees. */
async function compareEngines(rows: Float32Array): Promise<number> {
  const count = rows.length / FEATURE_COUNT;
  const ort = await (await loadOrt()).predict(rows, count);
  const ts = predictProbabilities(trees, rows, count);
  let max = 0;
  for (let i = 0; i < count; i++) max = Math.max(max, Math.abs(ort[i]! - ts[i]!));
  return max;
}

/** The bare model's prediction: what any /predict on onnxruntime costs at the least. */
async function predictBare(values: FeatureValues, runs: number, explain: boolean): Promise<Response> {
  const x = new Float32Array(FEATURE_COUNT);
  encodeFeaturesInto(values, x, 0);
  let probability: number | null = null;
  for (let r = 0; r < runs; r++) probability = (await (await loadOrt()).predict(x, 1))[0] ?? null;
  const explained = explain ? explainer.explain(x, 0).full : null;
  return Response.json({ probability, explained });
}

function readRuns(url: URL): number {
  const runs = Number(url.searchParams.get("runs") ?? 1);
  if (!Number.isInteger(runs) || runs < 0 || runs > 10) throw new RangeError(`runs must be a whole number from 0 to 10, got ${url.searchParams.get("runs")}`);
  return runs;
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    try {
      if (url.pathname === "/predict") return await predictBare(await request.json(), readRuns(url), url.searchParams.get("explain") === "1");
      const body = new Uint8Array(await request.arrayBuffer());
      if (url.pathname === "/cold") return Response.json(await timeCold(body));
      const rows = new Float32Array(body.buffer, body.byteOffset, body.byteLength / 4);
      if (url.pathname === "/cost") {
        const engine = url.searchParams.get("engine") ?? "ort";
        return Response.json(await timeCost(engine, Number(url.searchParams.get("batch") ?? 1), Number(url.searchParams.get("ms") ?? 300), rows));
      }
      if (url.pathname === "/parity") return Response.json({ max_abs_diff: await compareEngines(rows), trees: trees.trees.length });
      return new Response("not found", { status: 404 });
    } catch (error) {
      return new Response(error instanceof Error ? (error.stack ?? error.message) : String(error), { status: 500 });
    }
  },
};
