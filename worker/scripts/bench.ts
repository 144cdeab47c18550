/**
 * `npm run bench`: the prediction API on workerd through Miniflare's API (wrangler dev's proxy
 * costs more than the Worker), against an empty Worker on the same runtime in the same run
 * (the floor this machine allows; it is noisy, so only same-run comparisons mean anything).
 *
 * It builds the Worker exactly as `wrangler deploy` would (--dry-run --outdir), reports the
 * bundle's raw and gzip size against Cloudflare's limits, times a fresh isolate's first
 * prediction, then sends realistic, varied /predict bodies (no two alike, so a cache could not
 * help) at concurrency 1 and 10 and prints p50/p99 latency and requests/s for both Workers.
 */

import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { availableParallelism } from "node:os";
import { Miniflare, type WorkerOptions } from "miniflare";
import { generateSynthetic } from "../../model-build/src/synthetic.js";

const ROOT = resolve(import.meta.dirname, "../..");
const OUT = join(ROOT, ".bench");
const API_DIR = join(OUT, "api");
const URL_BASE = "http://bench.local";

/** Cloudflare's Worker size limits (after gzip), and the uncompressed limit. */
export const SIZE_LIMITS = { freeGzip: 3 * 1024 * 1024, paidGzip: 10 * 1024 * 1024, raw: 64 * 1024 * 1024 };

export interface BundleSize {
  readonly files: readonly { readonly name: string; readonly raw: number; readonly gzip: number }[];
  readonly raw: number;
  readonly gzip: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly concurrency: number;
  readonly errors: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** CPU per request: the Worker's workerd process, and the load generator (this process). */
  readonly workerCpuMsPerRequest: number;
  readonly clientCpuMsPerRequest: number;
}

export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/** workerd processes started by this process (Miniflare spawns one per instance). */
function listWorkerdPids(): Set<number> {
  const pids = new Set<number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (stat.includes("(workerd)") && Number(fields[1]) === process.pid) pids.add(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** CPU time (ms) a process has used so far, user + system. */
function readCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of stat (11 and 12 after the command), in clock ticks.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

const CLOCK_TICKS = 100;

/** Start a Miniflare and find its workerd process, for CPU accounting. */
async function startMiniflare(options: ConstructorParameters<typeof Miniflare>[0]): Promise<{ mf: Miniflare; pid: number | undefined }> {
  const before = listWorkerdPids();
  const mf = new Miniflare(options);
  await mf.ready;
  const pid = [...listWorkerdPids()].find((p) => !before.has(p));
  return { mf, pid };
}

function buildApi(): void {
  rmSync(API_DIR, { recursive: true, force: true });
  execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", API_DIR], {
    cwd: ROOT,
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export function measureBundle(dir: string): BundleSize {
  const files = readdirSync(dir)
    .filter((name) => !name.endsWith(".map") && name !== "README.md")
    .map((name) => {
      const bytes = readFileSync(join(dir, name));
      return { name, raw: bytes.length, gzip: gzipSync(bytes).length };
    });
  return { files, raw: files.reduce((s, f) => s + f.raw, 0), gzip: files.reduce((s, f) => s + f.gzip, 0) };
}

function apiWorkerOptions(): WorkerOptions {
  const modules: { type: "ESModule" | "CompiledWasm" | "Data" | "Text"; path: string }[] = [{ type: "ESModule", path: join(API_DIR, "index.js") }];
  for (const name of readdirSync(API_DIR)) {
    const path = join(API_DIR, name);
    if (name.endsWith(".wasm")) modules.push({ type: "CompiledWasm", path });
    else if (name.endsWith(".onnx")) modules.push({ type: "Data", path });
    else if (name.endsWith(".md") && name !== "README.md") modules.push({ type: "Text", path });
  }
  return {
    modules,
    modulesRoot: API_DIR,
    compatibilityDate: "2026-04-20",
    bindings: { FLASH_COLOR: "bench", FLASH_ENVIRONMENT: "development", FLASH_MODEL_VERSION: "", FAULT_ERROR_RATE: "0", FAULT_LATENCY_MS: "0", FAULT_CONSTANT_PROBABILITY: "" },
  };
}

const EMPTY_WORKER = `export default { async fetch() { return new Response('{"ok":true}', { headers: { "content-type": "application/json" } }); } };`;

/**
 * Realistic, all-different /predict bodies: startups from model-build's generator (real
 * distributions and missing fields), a share of them as FLASH v1 clients send them (a name and
 * fields that are not features).
 */
export function makeBodies(count: number, seed: number): string[] {
  const rows = generateSynthetic({ rows: Math.ceil(count * 1.05), seed }).rows;
  const seen = new Set<string>();
  const bodies: string[] = [];
  for (let i = 0; i < rows.length && bodies.length < count; i++) {
    const features: Record<string, unknown> = { ...rows[i]!.features };
    if (i % 10 === 0) Object.assign(features, { startup_name: `Startup ${i}`, hq_location: "Berlin", vertical: "saas" });
    const body = JSON.stringify(features);
    if (seen.has(body)) continue;
    seen.add(body);
    bodies.push(body);
  }
  if (bodies.length < count) throw new Error(`could only make ${bodies.length} distinct bodies`);
  return bodies;
}

type Send = (body: string) => Promise<Response>;

function sender(mf: Miniflare, path: string): Send {
  return (body) => mf.dispatchFetch(`${URL_BASE}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });
}

export interface LoadSample {
  readonly latencies: Float64Array;
  readonly errors: number;
  readonly seconds: number;
  /** CPU time of the Worker's workerd process and of this (client) process, ms. */
  readonly workerCpuMs: number;
  readonly clientCpuMs: number;
}

export interface Target {
  readonly send: Send;
  readonly pid: number | undefined;
}

export async function sendLoad(target: Target, bodies: readonly string[], concurrency: number): Promise<LoadSample> {
  const { send, pid } = target;
  const latencies = new Float64Array(bodies.length);
  let next = 0;
  let errors = 0;
  const workerCpu0 = pid ? readCpuMs(pid) : Number.NaN;
  const clientCpu0 = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= bodies.length) return;
        const t0 = performance.now();
        const res = await send(bodies[i]!);
        await res.arrayBuffer();
        latencies[i] = performance.now() - t0;
        if (res.status !== 200) errors++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const clientCpu = process.cpuUsage(clientCpu0);
  return {
    latencies,
    errors,
    seconds,
    workerCpuMs: pid ? readCpuMs(pid) - workerCpu0 : Number.NaN,
    clientCpuMs: (clientCpu.user + clientCpu.system) / 1000,
  };
}

export function summariseLoad(samples: readonly LoadSample[], concurrency: number): LoadResult {
  const all = new Float64Array(samples.reduce((n, s) => n + s.latencies.length, 0));
  let offset = 0;
  for (const s of samples) {
    all.set(s.latencies, offset);
    offset += s.latencies.length;
  }
  all.sort();
  const seconds = samples.reduce((t, s) => t + s.seconds, 0);
  return {
    requests: all.length,
    concurrency,
    errors: samples.reduce((n, s) => n + s.errors, 0),
    seconds,
    rps: all.length / seconds,
    p50: percentile(all, 0.5),
    p99: percentile(all, 0.99),
    workerCpuMsPerRequest: samples.reduce((t, s) => t + s.workerCpuMs, 0) / all.length,
    clientCpuMsPerRequest: samples.reduce((t, s) => t + s.clientCpuMs, 0) / all.length,
  };
}

/**
 * The floor and the API in alternating rounds, so a burst of load from elsewhere on this
 * machine hits both alike rather than whichever happened to run then.
 */
export async function compareLoad(
  floor: Target,
  api: Target,
  bodies: readonly string[],
  concurrency: number,
  rounds: number,
): Promise<{ floor: LoadResult; api: LoadResult }> {
  const per = Math.floor(bodies.length / rounds);
  const floorSamples: LoadSample[] = [];
  const apiSamples: LoadSample[] = [];
  for (let r = 0; r < rounds; r++) {
    const slice = bodies.slice(r * per, (r + 1) * per);
    floorSamples.push(await sendLoad(floor, slice, concurrency));
    apiSamples.push(await sendLoad(api, slice, concurrency));
  }
  return { floor: summariseLoad(floorSamples, concurrency), api: summariseLoad(apiSamples, concurrency) };
}

export interface FirstPrediction {
  /** workerd up with the Worker's modules compiled (ORT's 14 MB WASM among them). */
  readonly startupMs: number;
  /** The fresh isolate's first /predict: ORT initialisation, session, checksum and the run. */
  readonly firstPredictionMs: number;
  /** The next /predict, for comparison. */
  readonly secondPredictionMs: number;
}

async function measureFirstPrediction(body: string, another: string): Promise<{ result: FirstPrediction; mf: Miniflare; pid: number | undefined }> {
  const t0 = performance.now();
  const { mf, pid } = await startMiniflare(apiWorkerOptions());
  const startupMs = performance.now() - t0;
  const send = sender(mf, "/predict");
  const t1 = performance.now();
  const first = await send(body);
  await first.arrayBuffer();
  const firstPredictionMs = performance.now() - t1;
  if (first.status !== 200) throw new Error(`the first prediction failed with ${first.status}`);
  const t2 = performance.now();
  await (await send(another)).arrayBuffer();
  return { result: { startupMs, firstPredictionMs, secondPredictionMs: performance.now() - t2 }, mf, pid };
}

const HELP = `Usage: npm run bench [-- options]

Benchmarks POST /predict on workerd (Miniflare's API) against an empty Worker in the same run.

Options:
  --c1 <n>          requests at concurrency 1 (default 1500)
  --c10 <n>         requests at concurrency 10 (default 5000)
  --fresh <n>       fresh isolates to time the first prediction on (default 3)
  --rounds <n>      alternate the two Workers this many times per concurrency (default 5)
  --skip-build      reuse .bench/api from the last run
  --json            print the results as JSON
  --help            this text
`;

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      c1: { type: "string", default: "1500" },
      c10: { type: "string", default: "5000" },
      fresh: { type: "string", default: "3" },
      rounds: { type: "string", default: "5" },
      "skip-build": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const count = (name: "c1" | "c10" | "fresh" | "rounds") => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${values[name]}`);
    return n;
  };
  const c1 = count("c1");
  const c10 = count("c10");
  const fresh = count("fresh");
  const rounds = count("rounds");
  const log = (line: string) => {
    if (!values.json) console.log(line);
  };
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
  process.env.WRANGLER_SEND_METRICS ??= "false";

  mkdirSync(OUT, { recursive: true });
  if (!values["skip-build"]) {
    log("[1/5] building the Worker (wrangler deploy --dry-run --outdir .bench/api)");
    buildApi();
  } else if (!statSync(API_DIR, { throwIfNoEntry: false })) {
    throw new Error("--skip-build: .bench/api does not exist; run once without it");
  }
  const bundle = measureBundle(API_DIR);
  log(`      bundle: ${kib(bundle.raw)} raw, ${kib(bundle.gzip)} gzip (limits: 3 MiB gzip free plan, 10 MiB paid, 64 MiB raw)`);

  const warmup = 300;
  log(`[2/5] making ${warmup * 2 + c1 + c10 + fresh * 2} distinct /predict bodies from model-build's generator`);
  const bodies = makeBodies(warmup * 2 + c1 + c10 + fresh * 2, 20260426);
  let cursor = 0;
  const take = (n: number) => bodies.slice(cursor, (cursor += n));

  log(`[3/5] first prediction of a fresh isolate (${fresh}x)`);
  const firsts: FirstPrediction[] = [];
  let api: Miniflare | undefined;
  let apiPid: number | undefined;
  for (let i = 0; i < fresh; i++) {
    const [a, b] = take(2);
    const { result, mf, pid } = await measureFirstPrediction(a!, b!);
    firsts.push(result);
    log(`      startup ${result.startupMs.toFixed(0)} ms, first prediction ${result.firstPredictionMs.toFixed(1)} ms, second ${result.secondPredictionMs.toFixed(1)} ms`);
    if (i < fresh - 1) await mf.dispose();
    else {
      api = mf;
      apiPid = pid;
    }
  }

  const { mf: empty, pid: emptyPid } = await startMiniflare({ modules: true, script: EMPTY_WORKER, compatibilityDate: "2026-04-20" });
  const sendApi: Target = { send: sender(api!, "/predict"), pid: apiPid };
  const sendEmpty: Target = { send: sender(empty, "/predict"), pid: emptyPid };

  log(`[4/5] warming both Workers (${warmup} requests each)`);
  await sendLoad(sendApi, take(warmup), 10);
  await sendLoad(sendEmpty, take(warmup), 10);

  log(`      load average before the load: ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")} on ${availableParallelism()} cores`);
  log(`[5/5] load: ${c1} requests at concurrency 1, ${c10} at concurrency 10, each Worker, in ${rounds} alternating rounds`);
  const atC1 = await compareLoad(sendEmpty, sendApi, take(c1), 1, rounds);
  const atC10 = await compareLoad(sendEmpty, sendApi, take(c10), 10, rounds);
  const results = { empty: { c1: atC1.floor, c10: atC10.floor }, api: { c1: atC1.api, c10: atC10.api } };
  await Promise.all([api!.dispose(), empty.dispose()]);

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const summary = {
    bundle,
    limits: SIZE_LIMITS,
    first_prediction_ms: median(firsts.map((f) => f.firstPredictionMs)),
    fresh_isolates: firsts,
    load: results,
    api_share_of_floor_rps_c10: results.api.c10.rps / results.empty.c10.rps,
    machine: { load_average: readFileSync("/proc/loadavg", "utf8").trim(), cpus: availableParallelism() },
  };
  if (values.json) {
    console.log(JSON.stringify(summary, null, 2));
    return;
  }
  const row = (name: string, r: LoadResult) =>
    `| ${name.padEnd(22)} | ${String(r.concurrency).padStart(2)} | ${r.rps.toFixed(0).padStart(6)} | ${r.p50.toFixed(2).padStart(6)} | ${r.p99.toFixed(2).padStart(6)} | ${r.workerCpuMsPerRequest.toFixed(3).padStart(10)} | ${r.clientCpuMsPerRequest.toFixed(3).padStart(10)} | ${String(r.errors).padStart(4)} |`;
  console.log("");
  console.log("| worker                 |  c |  req/s | p50 ms | p99 ms | workerd CPU ms/req | client CPU ms/req | errs |");
  console.log("| ---------------------- | -- | ------ | ------ | ------ | ---------- | ---------- | ---- |");
  console.log(row("empty Worker (floor)", results.empty.c1));
  console.log(row("FLASH /predict", results.api.c1));
  console.log(row("empty Worker (floor)", results.empty.c10));
  console.log(row("FLASH /predict", results.api.c10));
  console.log("");
  console.log(`first prediction of a fresh isolate: ${summary.first_prediction_ms.toFixed(1)} ms (median of ${fresh}; workerd startup ${median(firsts.map((f) => f.startupMs)).toFixed(0)} ms before it)`);
  console.log(`API requests/s at c10: ${(summary.api_share_of_floor_rps_c10 * 100).toFixed(0)}% of the empty Worker's`);
  const cpu = (r: LoadResult) => r.workerCpuMsPerRequest + r.clientCpuMsPerRequest;
  console.log(
    `CPU per request at c10 (workerd + client): empty ${cpu(results.empty.c10).toFixed(3)} ms, API ${cpu(results.api.c10).toFixed(3)} ms: ` +
      `on an otherwise idle machine the API could keep ~${((cpu(results.empty.c10) / cpu(results.api.c10)) * 100).toFixed(0)}% of the empty Worker's requests/s`,
  );
  console.log(`bundle: ${kib(bundle.raw)} raw, ${kib(bundle.gzip)} gzip: ${((bundle.gzip / SIZE_LIMITS.paidGzip) * 100).toFixed(0)}% of the paid plan's 10 MiB, ${bundle.gzip > SIZE_LIMITS.freeGzip ? "over" : "within"} the free plan's 3 MiB`);
  for (const f of bundle.files) console.log(`  ${f.name}: ${kib(f.raw)} raw, ${kib(f.gzip)} gzip`);
  writeFileSync(join(OUT, "last-run.json"), JSON.stringify(summary, null, 2));
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
