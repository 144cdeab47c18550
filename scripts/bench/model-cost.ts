/**
 * The model's own cost and the anatomy of a first prediction, measured inside workerd by the
 * bench Worker in model-cost/ (built like the API, run through Miniflare's API).
 */

import { Log, LogLevel, Miniflare } from "miniflare";
import { encodeFeaturesInto, type FeatureValues } from "../../core/encoding.js";
import { FEATURE_COUNT } from "../../core/schema.js";
import { exportOnnx } from "../../model-build/src/onnx-export.js";
import { generateSynthetic } from "../../model-build/src/synthetic.js";
import type { BuiltWorker } from "../../tools/local-stack/build.js";
import { percentile, post, sendLoad, type Target } from "./load.js";

export interface EngineCost {
  /** Microseconds per call at batch 1 (one prediction). */
  readonly batch1UsPerPrediction: number;
  /** Microseconds per row at batch 100. */
  readonly batch100UsPerRow: number;
}

export interface ColdBreakdown {
  /** workerd started with the Worker's modules compiled (ORT's 14 MB WASM among them). */
  readonly startup_ms: number;
  readonly sha256_ms: number;
  readonly ort_runtime_ms: number;
  /** ort_runtime_ms in three parts: ORT's JavaScript before instantiating its WASM, the instantiation, the initialisation after it. */
  readonly before_instantiate_ms: number;
  readonly wasm_instantiate_ms: number;
  readonly after_instantiate_ms: number;
  readonly session_ms: number;
  readonly first_run_ms: number;
  readonly second_run_ms: number;
}

export interface ModelCostResult {
  readonly ort: EngineCost;
  readonly typescript: EngineCost;
  /** The API's explanation of one startup (pillar scores and every feature's occlusion, on the trees), in us. */
  readonly explainUsPerPrediction: number;
  /** Largest |ORT - TypeScript| probability over 100 rows (both ran the same trees). */
  readonly maxAbsDiff: number;
  readonly trees: number;
  /** One entry per fresh isolate. */
  readonly cold: readonly ColdBreakdown[];
}

/** Where the bench Worker is configured; built like the API (`wrangler deploy --dry-run`). */
export const MODEL_COST_CONFIG = "worker/bench/model-cost/wrangler.toml";

export interface ModelCostOptions {
  /** The bench Worker built from MODEL_COST_CONFIG. */
  readonly worker: BuiltWorker;
  /** Milliseconds each (engine, batch) measurement runs, per repetition. */
  readonly runMs: number;
  /**
   * Repetitions per measurement; the fastest is kept: other work on a shared machine can only
   * slow a repetition down, so the fastest is the closest to the code's own cost.
   */
  readonly repetitions: number;
  /** Fresh isolates for the first-prediction breakdown. */
  readonly coldIsolates: number;
  readonly log: (line: string) => void;
}

/** A one-tree model over the 45 features, to start onnxruntime's runtime apart from the real session. */
function tinyModel(): Uint8Array {
  return exportOnnx({
    featureCount: FEATURE_COUNT,
    baseMargin: 0,
    trees: [
      {
        nodes: [
          { kind: "split", feature: 0, threshold: 1, left: 1, right: 2, missingGoesLeft: true, gain: 0, cover: 0 },
          { kind: "leaf", value: -1, cover: 0 },
          { kind: "leaf", value: 1, cover: 0 },
        ],
      },
    ],
  });
}

/** 100 realistic encoded rows (model-build's generator), as the body the Worker reads. */
function encodedRows(count: number, seed: number): Uint8Array {
  const rows = generateSynthetic({ rows: count, seed }).rows;
  const out = new Float32Array(count * FEATURE_COUNT);
  rows.forEach((r, i) => encodeFeaturesInto(r.features as FeatureValues, out, i));
  return new Uint8Array(out.buffer);
}

async function call(origin: string, path: string, body: Uint8Array): Promise<Record<string, number>> {
  const answer = await post(origin, path, body, { "content-type": "application/octet-stream" });
  if (answer.status !== 200) throw new Error(`the model bench Worker answered ${answer.status} on ${path}: ${answer.body.slice(0, 500)}`);
  return JSON.parse(answer.body) as Record<string, number>;
}

export async function measureModelCost(options: ModelCostOptions): Promise<ModelCostResult> {
  const built = options.worker;
  const rows = encodedRows(100, 7);
  const tiny = tinyModel();
  const cold: ColdBreakdown[] = [];
  let warm: { mf: Miniflare; origin: string } | undefined;
  try {
    for (let i = 0; i < options.coldIsolates; i++) {
      const t0 = performance.now();
      const mf = new Miniflare({
        log: new Log(LogLevel.WARN),
        cf: false,
        workers: [{ ...built.options, name: "model-cost", unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] }],
      });
      await mf.ready;
      const origin = (await mf.unsafeGetDirectURL("model-cost")).origin;
      const startup = performance.now() - t0;
      const steps = await call(origin, "/cold", tiny);
      const entry = { startup_ms: startup, ...steps } as unknown as ColdBreakdown;
      cold.push(entry);
      options.log(
        `fresh isolate ${i + 1}/${options.coldIsolates}: workerd start ${startup.toFixed(0)} ms; sha256 ${entry.sha256_ms.toFixed(0)} ms, ` +
          `ORT runtime ${entry.ort_runtime_ms.toFixed(0)} ms (${entry.before_instantiate_ms.toFixed(0)} before WASM instantiate, ${entry.wasm_instantiate_ms.toFixed(0)} instantiate, ${entry.after_instantiate_ms.toFixed(0)} after), session ${entry.session_ms.toFixed(0)} ms, first run ${entry.first_run_ms.toFixed(0)} ms`,
      );
      if (i < options.coldIsolates - 1) await mf.dispose();
      else warm = { mf, origin };
    }
    const { origin } = warm!;
    const parity = await call(origin, "/parity", rows);
    const measure = async (engine: "ort" | "ts" | "explain", batch: number) => {
      const runs: number[] = [];
      for (let r = 0; r < options.repetitions; r++) {
        const result = await call(origin, `/cost?engine=${engine}&batch=${batch}&ms=${options.runMs}`, rows);
        runs.push(batch === 1 ? result.us_per_call! : result.us_per_row!);
      }
      return Math.min(...runs);
    };
    return {
      ort: { batch1UsPerPrediction: await measure("ort", 1), batch100UsPerRow: await measure("ort", 100) },
      typescript: { batch1UsPerPrediction: await measure("ts", 1), batch100UsPerRow: await measure("ts", 100) },
      explainUsPerPrediction: await measure("explain", 1),
      maxAbsDiff: parity.max_abs_diff!,
      trees: parity.trees!,
      cold,
    };
  } finally {
    await warm?.mf.dispose().catch(() => undefined);
  }
}

/**
 * The model inside a request under load: the bare model Worker's workerd CPU per request at
 * concurrency 10 with no onnxruntime run, one, five, and one plus the explanation, in
 * alternating rounds. The differences are what a run and the explanation cost in the request
 * flow, where other work shares the CPU's caches, as opposed to the tight loops above.
 */
export interface ModelInFlowResult {
  /** Median over rounds of workerd CPU per request, ms. */
  readonly parseOnlyMs: number;
  readonly oneRunMs: number;
  readonly fiveRunsMs: number;
  readonly explainedMs: number;
  readonly rounds: number;
  readonly requestsPerRound: number;
}

export const IN_FLOW_VARIANTS = [
  { key: "parseOnlyMs", query: "runs=0" },
  { key: "oneRunMs", query: "runs=1" },
  { key: "fiveRunsMs", query: "runs=5" },
  { key: "explainedMs", query: "runs=1&explain=1" },
] as const;

export interface ModelInFlowOptions {
  readonly rounds: number;
  readonly requestsPerRound: number;
  /** Fresh /predict bodies (the Worker caches nothing, but the runs differ as real requests do). */
  readonly takeBodies: (count: number) => string[];
}

export async function measureModelInFlow(target: Target, options: ModelInFlowOptions): Promise<ModelInFlowResult> {
  const cpu: Record<string, number[]> = {};
  for (let round = 0; round < options.rounds; round++) {
    for (const variant of IN_FLOW_VARIANTS) {
      const result = await sendLoad(target, `/predict?${variant.query}`, options.takeBodies(options.requestsPerRound), 10, {});
      if (result.errors > 0) throw new Error(`the bare model Worker failed ${result.errors} requests at ${variant.query}, e.g. ${result.firstError}`);
      (cpu[variant.key] ??= []).push(result.workerCpuMs / options.requestsPerRound);
    }
  }
  const median = (values: readonly number[]) => percentile(Float64Array.from(values).sort(), 0.5);
  return {
    parseOnlyMs: median(cpu.parseOnlyMs!),
    oneRunMs: median(cpu.oneRunMs!),
    fiveRunsMs: median(cpu.fiveRunsMs!),
    explainedMs: median(cpu.explainedMs!),
    rounds: options.rounds,
    requestsPerRound: options.requestsPerRound,
  };
}
