/**
 * `npm run bench`: the performance report. In one run, on workerd through Miniflare's API:
 * the empty Worker (the floor), the cold first prediction of fresh isolates, warm /predict at
 * concurrency 1 and 10 for the bare model (onnxruntime alone in a Worker), the API alone,
 * through the router (router + blue + green over service bindings) and on the cache-hit path,
 * the router's added latency, the bundle size, and the model's own cost (onnxruntime-web
 * against model-build's TypeScript evaluator, and inside a request under load). It writes
 * docs/performance.md (report.ts renders it) and .bench/last-run.json.
 *
 * `npm run bench -- --help` for the options; `--quick` for a smoke run.
 */

import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { Log, LogLevel, Miniflare, type MiniflareOptions, type WorkerOptions } from "miniflare";
import { REPO_ROOT, buildWorker, readLocalSecrets, type BuiltWorker } from "../../tools/local-stack/build.js";
import { apiWorkerOptions, routerWorkerOptions } from "../../tools/local-stack/stack.js";
import { BodySupply, makeDistinctBodies, repeatBodies } from "./bodies.js";
import { closeConnections, compareLoad, get, listWorkerdPids, post, sendLoad, type LoadPath, type LoadResult, type Target } from "./load.js";
import { describeMachine, readLoadAverage } from "./machine.js";
import { IN_FLOW_VARIANTS, MODEL_COST_CONFIG, measureModelCost, measureModelInFlow } from "./model-cost.js";
import { PATHS, computeFigures, renderReport, type BenchData, type BenchSettings, type BundleSize, type FirstPrediction, type PathName, type RunResult } from "./report.js";

const COMPAT_DATE = "2026-04-20";
const EMPTY_WORKER = `export default { async fetch() { return new Response('{"ok":true}', { headers: { "content-type": "application/json" } }); } };`;
const SOCKET = { host: "127.0.0.1", port: 0 };

export interface PerformanceOptions extends BenchSettings {
  readonly warmup: number;
  readonly modelRunMs: number;
  readonly modelRepetitions: number;
  readonly log: (line: string) => void;
}

export function measureBundle(dir: string): BundleSize {
  const files = readdirSync(dir)
    .filter((name) => !name.endsWith(".map") && name !== "README.md")
    .map((name) => {
      const bytes = readFileSync(join(dir, name));
      return { name, raw: bytes.length, gzip: gzipSync(bytes).length };
    })
    .sort((a, b) => b.raw - a.raw);
  return { files, raw: files.reduce((s, f) => s + f.raw, 0), gzip: files.reduce((s, f) => s + f.gzip, 0) };
}

interface Running {
  readonly mf: Miniflare;
  readonly target: Target;
}

/** Start one workerd with these Workers; the first one's direct socket is the target. */
async function startWorkers(name: string, workers: WorkerOptions[], instances: Miniflare[]): Promise<Running> {
  const before = listWorkerdPids();
  const options: MiniflareOptions = {
    log: new Log(LogLevel.WARN),
    cf: false,
    // The Workers' request logs (one JSON line per request) are on, as in production; Miniflare
    // hands them to this process, which drops them.
    handleStructuredLogs: () => undefined,
    workers: [{ ...workers[0]!, unsafeDirectSockets: [SOCKET] }, ...workers.slice(1)],
  };
  const mf = new Miniflare(options);
  instances.push(mf);
  await mf.ready;
  const origin = (await mf.unsafeGetDirectURL(workers[0]!.name)).origin;
  const pid = [...listWorkerdPids()].find((p) => !before.has(p));
  return { mf, target: { name, origin, pid } };
}

async function timeFirstPrediction(
  api: BuiltWorker,
  settings: Parameters<typeof apiWorkerOptions>[2],
  bodies: readonly string[],
  headers: Record<string, string>,
  instances: Miniflare[],
): Promise<{ result: FirstPrediction; running: Running }> {
  const t0 = performance.now();
  const running = await startWorkers("API alone", [apiWorkerOptions(api, "blue", settings)], instances);
  const startupMs = performance.now() - t0;
  const t1 = performance.now();
  const first = await post(running.target.origin, "/predict", bodies[0]!, headers);
  const firstMs = performance.now() - t1;
  if (first.status !== 200) throw new Error(`the first prediction failed with ${first.status}: ${first.body.slice(0, 300)}`);
  const t2 = performance.now();
  await post(running.target.origin, "/predict", bodies[1]!, headers);
  const secondMs = performance.now() - t2;
  // /health waits for onnxruntime: when it answers, onnxruntime serves.
  const health = await get(running.target.origin, "/health");
  if (health.status !== 200) throw new Error(`/health answered ${health.status} after the first predictions: ${health.body.slice(0, 300)}`);
  const onnxReadyMs = performance.now() - t1;
  return { result: { startupMs, firstMs, secondMs, firstEngine: first.engine, onnxReadyMs }, running };
}

export async function runPerformanceBench(options: PerformanceOptions): Promise<BenchData> {
  const { log } = options;
  const started = performance.now();
  const loadStart = readLoadAverage();
  const step = (() => {
    let n = 0;
    return (text: string) => log(`[${++n}/8 ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${text}`);
  })();
  log(`load average at the start: ${loadStart.join(" ")} (${describeMachine().cores} cores)`);
  mkdirSync(join(REPO_ROOT, ".wrangler"), { recursive: true });
  const dir = mkdtempSync(join(REPO_ROOT, ".wrangler", "bench-"));
  const rel = (name: string) => relative(REPO_ROOT, join(dir, name));
  const instances: Miniflare[] = [];
  try {
    step("building the API, the router and the model bench Worker (wrangler deploy --dry-run --outdir)");
    const [api, router, modelWorker] = await Promise.all([
      buildWorker({ configPath: "wrangler.toml", outDir: rel("api") }),
      buildWorker({ configPath: "router/wrangler.toml", outDir: rel("router") }),
      buildWorker({ configPath: MODEL_COST_CONFIG, outDir: rel("model-cost") }),
    ]);
    const bundle = measureBundle(api.outDir);
    const routerBundle = measureBundle(router.outDir);
    log(`      API bundle ${(bundle.raw / 1024).toFixed(0)} KiB raw, ${(bundle.gzip / 1024).toFixed(0)} KiB gzip; router ${(routerBundle.raw / 1024).toFixed(0)} KiB raw`);

    const secrets = readLocalSecrets();
    const apiKey = secrets.FLASH_DEV_API_KEY ?? "";
    if (!apiKey) throw new Error("no FLASH_DEV_API_KEY in .dev.vars or .dev.vars.example: the API would answer 401 to every request");
    const headers = { authorization: `Bearer ${apiKey}` };
    // The development key unlimited, so rate limits do not shape the figures; the in-isolate
    // cache (no Upstash), so the figures are the Worker's and not a local Redis bridge's.
    const apiSettings = {
      secrets: { ...secrets, FLASH_DEV_KEY_RATE_LIMIT: "unlimited" },
      vars: { UPSTASH_REDIS_REST_URL: "", UPSTASH_REDIS_REST_TOKEN: "" },
    };

    const perRun = 2 * (options.c1Requests + options.c10Requests);
    // Whole c10 runs per setting and round: workerd's CPU time is counted in 10 ms ticks, so a
    // round of n requests resolves 10 ms / n per request (3.3 us at 3,000).
    const inFlowPerRound = options.c10Requests;
    const needed =
      options.freshIsolates * 2 + 4 * options.warmup + options.cachePool + options.runs * perRun + IN_FLOW_VARIANTS.length * options.rounds * inFlowPerRound;
    step(`making ${needed.toLocaleString("en-US")} distinct /predict bodies from model-build's generator`);
    const allBodies = makeDistinctBodies(needed, 20260426);
    const supply = new BodySupply(allBodies);

    step(`first prediction of ${options.freshIsolates} fresh isolate${options.freshIsolates === 1 ? "" : "s"} of the API`);
    const first: FirstPrediction[] = [];
    let apiRunning: Running | undefined;
    for (let i = 0; i < options.freshIsolates; i++) {
      const { result, running } = await timeFirstPrediction(api, apiSettings, supply.take(2), headers, instances);
      first.push(result);
      log(`      workerd start ${(result.startupMs / 1000).toFixed(1)} s, first prediction ${result.firstMs.toFixed(0)} ms, second ${result.secondMs.toFixed(1)} ms`);
      if (i < options.freshIsolates - 1) {
        closeConnections();
        await running.mf.dispose();
        instances.splice(instances.indexOf(running.mf), 1);
      } else apiRunning = running;
    }

    step(`the model's own cost: onnxruntime-web vs the TypeScript evaluator, and a first prediction step by step (${options.freshIsolates} fresh isolate${options.freshIsolates === 1 ? "" : "s"})`);
    const model = await measureModelCost({
      worker: modelWorker,
      runMs: options.modelRunMs,
      repetitions: options.modelRepetitions,
      coldIsolates: options.freshIsolates,
      log: (line) => log(`      ${line}`),
    });
    closeConnections();

    step("starting the empty Worker, the bare model Worker and router + blue + green; warming every path");
    const floor = await startWorkers("empty Worker", [{ name: "empty", modules: true, script: EMPTY_WORKER, compatibilityDate: COMPAT_DATE }], instances);
    const bare = await startWorkers("bare model Worker", [{ ...modelWorker.options, name: "model-cost" }], instances);
    const routed = await startWorkers(
      "router",
      [
        routerWorkerOptions(router, { secrets, requestLogs: true }),
        apiWorkerOptions(api, "blue", apiSettings),
        apiWorkerOptions(api, "green", apiSettings),
      ],
      instances,
    );
    const targets: Record<PathName, Target> = {
      floor: floor.target,
      model: bare.target,
      api: apiRunning!.target,
      router: routed.target,
      cache: apiRunning!.target,
    };
    for (const name of ["floor", "model", "api", "router"] as const) {
      const warm = await sendLoad(targets[name], "/predict", supply.take(options.warmup), 10, headers);
      if (warm.errors > 0) throw new Error(`${warm.errors} of ${options.warmup} warm-up requests to the ${targets[name].name} failed, e.g. ${warm.firstError}`);
    }
    const pool = supply.take(options.cachePool);
    const primed = await sendLoad(targets.cache, "/predict", pool, 1, headers);
    if (primed.errors > 0) throw new Error(`priming the cache failed: ${primed.firstError}`);

    step(`load: ${options.runs} run${options.runs === 1 ? "" : "s"} of ${options.c1Requests} requests per path at c1 and ${options.c10Requests} at c10, ${PATHS.length} paths alternating in ${options.rounds} rounds`);
    const runs: RunResult[] = [];
    for (let run = 0; run < options.runs; run++) {
      const atConcurrency = async (concurrency: number, requests: number): Promise<Record<PathName, LoadResult>> => {
        const per = Math.floor(requests / options.rounds);
        const floorBodies: string[][] = [];
        const paths: LoadPath[] = PATHS.map((name) => ({
          target: targets[name],
          path: "/predict",
          bodies: (round: number) => {
            if (name === "floor") return (floorBodies[round] = supply.take(per));
            if (name === "cache") return repeatBodies(pool, per);
            // The bare model and the API get the floor's bodies (neither has seen them); the router new ones.
            return name === "api" || name === "model" ? floorBodies[round]! : supply.take(per);
          },
        }));
        const results = await compareLoad(paths, concurrency, options.rounds, headers);
        return Object.fromEntries(PATHS.map((name, i) => [name, results[i]!])) as Record<PathName, LoadResult>;
      };
      const c1 = await atConcurrency(1, options.c1Requests);
      const c10 = await atConcurrency(10, options.c10Requests);
      runs.push({ c1, c10 });
      const brief = (r: Record<PathName, LoadResult>) => PATHS.map((p) => `${p} ${r[p].rps.toFixed(0)}/s p50 ${r[p].p50.toFixed(2)}`).join(", ");
      log(`      run ${run + 1}/${options.runs}: c1 ${brief(c1)}`);
      log(`      run ${run + 1}/${options.runs}: c10 ${brief(c10)} (load average now ${readLoadAverage().join(" ")})`);
      for (const [c, r] of [["c1", c1], ["c10", c10]] as const) {
        for (const p of PATHS) if (r[p].errors > 0) log(`      warning: ${r[p].errors} errors on ${p} at ${c}, e.g. ${r[p].firstError}`);
      }
    }
    step(`the model inside a request: the bare model Worker with 0, 1 and 5 onnxruntime runs and with the explanation, ${options.rounds} alternating rounds of ${inFlowPerRound} at c10`);
    const inFlow = await measureModelInFlow(bare.target, { rounds: options.rounds, requestsPerRound: inFlowPerRound, takeBodies: (n) => supply.take(n) });
    log(
      `      workerd CPU per request: no run ${(inFlow.parseOnlyMs * 1000).toFixed(0)} us, one ${(inFlow.oneRunMs * 1000).toFixed(0)} us, five ${(inFlow.fiveRunsMs * 1000).toFixed(0)} us, ` +
        `one and the explanation ${(inFlow.explainedMs * 1000).toFixed(0)} us`,
    );
    closeConnections();
    await Promise.all(instances.splice(0).map((mf) => mf.dispose().catch(() => undefined)));

    step("done");
    const machine = describeMachine();
    return {
      date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
      durationSeconds: (performance.now() - started) / 1000,
      settings: {
        runs: options.runs,
        rounds: options.rounds,
        c1Requests: options.c1Requests,
        c10Requests: options.c10Requests,
        freshIsolates: options.freshIsolates,
        cachePool: options.cachePool,
        quick: options.quick,
      },
      machine: { ...machine, loadStart, loadEnd: readLoadAverage() },
      bundle,
      routerBundle,
      first,
      runs,
      model,
      modelInFlow: inFlow,
      notes: [
        "Prediction cache: the API's in-isolate cache (no Upstash configured), so hits and misses are the Worker's own cost, not a local Redis bridge's.",
        "Request logs: on in the API and the router, as in production (one JSON line per request).",
        "Rate limits: the development key's tier is unlimited.",
      ],
    };
  } finally {
    closeConnections();
    await Promise.all(instances.map((mf) => mf.dispose().catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}

const HELP = `Usage: npm run bench [-- options]

Measures FLASH Edge on workerd (through Miniflare's API) in one run and writes the performance
report: the empty Worker (floor); a fresh isolate's first prediction; warm POST /predict at
concurrency 1 and 10 for the bare model (a Worker that only runs onnxruntime), the API alone,
through the router (router + blue + green) and on the cache-hit path; the router's added latency;
the bundle size; and the model's own cost (onnxruntime-web at batch 1 and 100 against
model-build's TypeScript evaluator, and what a run and the explanation add to a request under
load). A full run takes about 2 minutes here (more under load); run it when the machine is
otherwise quiet.

Options:
  --runs <n>       repeat the load this many times, for p99's spread (default 3)
  --c1 <n>         requests per path per run at concurrency 1 (default 1000)
  --c10 <n>        requests per path per run at concurrency 10 (default 3000)
  --rounds <n>     alternate the paths this many times per concurrency (default 5)
  --fresh <n>      fresh isolates for the first prediction (default 3)
  --quick          a smoke run in well under a minute: 1 run, 200 and 600 requests, 1 fresh
                   isolate; writes .bench/performance-quick.md unless --out is given
  --out <file>     where to write the report (default docs/performance.md)
  --no-write       print the report, write nothing
  --json           print the measurements as JSON instead of the report
  -h, --help       this text

Progress goes to stderr; the report (or JSON) to stdout. The measurements are also kept in
.bench/last-run.json.

Exit codes: 0 done, 1 the run failed (the message says where), 2 bad options.
`;

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      runs: { type: "string" },
      c1: { type: "string" },
      c10: { type: "string" },
      rounds: { type: "string" },
      fresh: { type: "string" },
      quick: { type: "boolean", default: false },
      out: { type: "string" },
      "no-write": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const quick = values.quick ?? false;
  const rounds = positive("rounds", values.rounds, quick ? 2 : 5);
  const options: PerformanceOptions = {
    quick,
    runs: positive("runs", values.runs, quick ? 1 : 3),
    rounds,
    c1Requests: positive("c1", values.c1, quick ? 200 : 1000),
    c10Requests: positive("c10", values.c10, quick ? 600 : 3000),
    freshIsolates: positive("fresh", values.fresh, quick ? 1 : 3),
    cachePool: 64,
    warmup: quick ? 100 : 300,
    modelRunMs: quick ? 150 : 400,
    modelRepetitions: quick ? 1 : 5,
    log: (line) => process.stderr.write(`bench: ${line}\n`),
  };
  if (options.c1Requests < rounds || options.c10Requests < rounds) throw new Error("--c1 and --c10 must be at least --rounds");
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
  process.env.WRANGLER_SEND_METRICS ??= "false";

  const data = await runPerformanceBench(options);
  mkdirSync(join(REPO_ROOT, ".bench"), { recursive: true });
  writeFileSync(join(REPO_ROOT, ".bench", "last-run.json"), JSON.stringify(data, null, 2));
  const report = renderReport(data, computeFigures(data));
  if (values.json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else process.stdout.write(`${report}\n`);
  if (!values["no-write"]) {
    const out = resolve(REPO_ROOT, values.out ?? (quick ? ".bench/performance-quick.md" : "docs/performance.md"));
    mkdirSync(resolve(out, ".."), { recursive: true });
    writeFileSync(out, `${report}\n`);
    process.stderr.write(`bench: wrote ${relative(REPO_ROOT, out)}\n`);
  }
  return 0;
}

/** A mistake on the command line (exit 2), as opposed to a failure of the run (exit 1). */
function isUsageError(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? "";
  return code.startsWith("ERR_PARSE_ARGS") || (error instanceof Error && error.message.startsWith("--"));
}

if (process.argv[1] && import.meta.filename === resolve(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      const usage = isUsageError(error);
      console.error(`bench: ${error instanceof Error ? error.message : String(error)}${usage ? " (see npm run bench -- --help)" : ""}`);
      process.exit(usage ? 2 : 1);
    },
  );
}
