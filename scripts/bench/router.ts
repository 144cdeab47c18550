/**
 * The "through the router" part of the benchmark: what the router adds to a /predict, and the
 * requests/s of the whole path, on workerd through Miniflare's API (no wrangler dev proxy).
 *
 * In one run, in alternating rounds (this machine is noisy, so only same-run comparisons mean
 * anything): an empty Worker (the floor), the API alone (one deployment), and the router in
 * front of blue and green (split 0%: every request router -> blue over the service binding,
 * with the router's metrics, Analytics Engine point and background flush as in production).
 * The router's added latency is p50/p99 through the router minus the API alone.
 *
 * `npm run bench:router -- --help`; `benchRouter()` for `npm run bench` and the performance report.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Log, LogLevel, Miniflare, type WorkerOptions } from "miniflare";
import { generateSynthetic } from "../../model-build/src/synthetic.js";
import { REPO_ROOT, buildWorker, readLocalSecrets } from "../../tools/local-stack/build.js";
import { apiWorkerOptions, routerWorkerOptions } from "../../tools/local-stack/stack.js";

export interface PathResult {
  readonly concurrency: number;
  readonly requests: number;
  readonly errors: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
}

export interface RouterBenchResult {
  readonly floor: { readonly c1: PathResult; readonly c10: PathResult };
  readonly api: { readonly c1: PathResult; readonly c10: PathResult };
  readonly router: { readonly c1: PathResult; readonly c10: PathResult };
  /** Through the router minus the API alone, in ms. */
  readonly added_ms: { readonly c1: { p50: number; p99: number }; readonly c10: { p50: number; p99: number } };
  /** Router path requests/s at concurrency 10 as a share of the empty Worker's. */
  readonly router_share_of_floor_rps_c10: number;
}

export interface RouterBenchOptions {
  /** Requests per path at concurrency 1 (default 1000) and 10 (default 3000). */
  readonly c1?: number;
  readonly c10?: number;
  /** Alternating rounds per concurrency (default 5). */
  readonly rounds?: number;
  readonly warmup?: number;
  readonly log?: (line: string) => void;
}

const EMPTY_WORKER = `export default { async fetch() { return new Response('{"ok":true}', { headers: { "content-type": "application/json" } }); } };`;
const COMPAT_DATE = "2026-04-20";

/** Distinct, realistic /predict bodies (model-build's generator), so no cache can help. */
export function predictBodies(count: number, seed: number): string[] {
  const rows = generateSynthetic({ rows: count * 2, seed }).rows;
  const bodies = [...new Set(rows.map((r) => JSON.stringify(r.features)))].slice(0, count);
  if (bodies.length < count) throw new Error(`only ${bodies.length} distinct bodies`);
  return bodies;
}

type Send = (body: string) => Promise<number>;

function sender(mf: Miniflare, apiKey: string): Send {
  const headers = { "content-type": "application/json", authorization: `Bearer ${apiKey}` };
  return async (body) => {
    const response = await mf.dispatchFetch("http://bench.local/predict", { method: "POST", headers, body });
    await response.arrayBuffer();
    return response.status;
  };
}

interface Sample {
  latencies: number[];
  errors: number;
  seconds: number;
}

async function load(send: Send, bodies: readonly string[], concurrency: number): Promise<Sample> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const t0 = performance.now();
        if ((await send(body)) !== 200) errors++;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, errors, seconds: (performance.now() - started) / 1000 };
}

function nearestRank(sorted: readonly number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

function summarise(samples: readonly Sample[], concurrency: number): PathResult {
  const all = samples.flatMap((s) => s.latencies).sort((a, b) => a - b);
  const seconds = samples.reduce((t, s) => t + s.seconds, 0);
  return {
    concurrency,
    requests: all.length,
    errors: samples.reduce((n, s) => n + s.errors, 0),
    rps: all.length / seconds,
    p50: nearestRank(all, 0.5),
    p99: nearestRank(all, 0.99),
  };
}

/** The three paths in alternating rounds, each round on the same bodies. */
async function compare(paths: readonly Send[], bodies: readonly string[], concurrency: number, rounds: number): Promise<PathResult[]> {
  const per = Math.floor(bodies.length / rounds);
  const samples: Sample[][] = paths.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const slice = bodies.slice(r * per, (r + 1) * per);
    for (let p = 0; p < paths.length; p++) samples[p]!.push(await load(paths[p]!, slice, concurrency));
  }
  return samples.map((s) => summarise(s, concurrency));
}

export async function benchRouter(options: RouterBenchOptions = {}): Promise<RouterBenchResult> {
  const log = options.log ?? (() => undefined);
  const c1 = options.c1 ?? 1000;
  const c10 = options.c10 ?? 3000;
  const rounds = options.rounds ?? 5;
  const warmup = options.warmup ?? 300;
  mkdirSync(join(REPO_ROOT, ".wrangler"), { recursive: true });
  const dir = mkdtempSync(join(REPO_ROOT, ".wrangler", "bench-router-"));
  const rel = (name: string) => join(dir, name).slice(REPO_ROOT.length + 1);
  const instances: Miniflare[] = [];
  try {
    log("building the router and the API (wrangler deploy --dry-run)");
    const [router, api] = await Promise.all([
      buildWorker({ configPath: "router/wrangler.toml", outDir: rel("router") }),
      buildWorker({ configPath: "wrangler.toml", outDir: rel("api") }),
    ]);
    const secrets = readLocalSecrets();
    const apiKey = secrets.FLASH_DEV_API_KEY ?? "";
    // The development key's tier: unlimited, so rate limits do not shape the figures.
    const apiSettings = { secrets: { ...secrets, FLASH_DEV_KEY_RATE_LIMIT: "unlimited" } };
    const start = async (workers: WorkerOptions[]) => {
      const mf = new Miniflare({ log: new Log(LogLevel.WARN), cf: false, handleStructuredLogs: () => undefined, workers });
      instances.push(mf);
      await mf.ready;
      return mf;
    };
    log("starting the empty Worker, the API alone, and router + blue + green on workerd");
    const [floorMf, apiMf, routerMf] = await Promise.all([
      start([{ name: "empty", modules: true, script: EMPTY_WORKER, compatibilityDate: COMPAT_DATE }]),
      start([apiWorkerOptions(api, "blue", apiSettings)]),
      start([
        routerWorkerOptions(router, { secrets, requestLogs: false }),
        apiWorkerOptions(api, "blue", apiSettings),
        apiWorkerOptions(api, "green", apiSettings),
      ]),
    ]);
    const paths = [sender(floorMf, apiKey), sender(apiMf, apiKey), sender(routerMf, apiKey)];
    const bodies = predictBodies(warmup + c1 + c10, 20260426);
    log(`warming up (${warmup} requests per path)`);
    for (const send of paths) {
      const w = await load(send, bodies.slice(0, warmup), 10);
      if (w.errors > 0) throw new Error(`${w.errors} of ${warmup} warm-up requests failed: is the API healthy (npm start, curl /predict)?`);
    }
    log(`concurrency 1: ${c1} requests per path in ${rounds} alternating rounds`);
    const atC1 = await compare(paths, bodies.slice(warmup, warmup + c1), 1, rounds);
    log(`concurrency 10: ${c10} requests per path in ${rounds} alternating rounds`);
    const atC10 = await compare(paths, bodies.slice(warmup + c1), 10, rounds);
    const added = (r: PathResult[]) => ({ p50: r[2]!.p50 - r[1]!.p50, p99: r[2]!.p99 - r[1]!.p99 });
    return {
      floor: { c1: atC1[0]!, c10: atC10[0]! },
      api: { c1: atC1[1]!, c10: atC10[1]! },
      router: { c1: atC1[2]!, c10: atC10[2]! },
      added_ms: { c1: added(atC1), c10: added(atC10) },
      router_share_of_floor_rps_c10: atC10[2]!.rps / atC10[0]!.rps,
    };
  } finally {
    await Promise.all(instances.map((mf) => mf.dispose().catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Markdown rows, for this CLI and for the performance report. */
export function formatRouterBench(result: RouterBenchResult): string {
  const row = (name: string, r: PathResult) =>
    `| ${name.padEnd(33)} | ${String(r.concurrency).padStart(2)} | ${r.rps.toFixed(0).padStart(6)} | ${r.p50.toFixed(2).padStart(6)} | ${r.p99.toFixed(2).padStart(6)} | ${String(r.errors).padStart(4)} |`;
  return [
    "| path                              |  c |  req/s | p50 ms | p99 ms | errs |",
    "| --------------------------------- | -- | ------ | ------ | ------ | ---- |",
    row("empty Worker (floor)", result.floor.c1),
    row("FLASH /predict, API alone", result.api.c1),
    row("FLASH /predict through the router", result.router.c1),
    row("empty Worker (floor)", result.floor.c10),
    row("FLASH /predict, API alone", result.api.c10),
    row("FLASH /predict through the router", result.router.c10),
    "",
    `router's added latency: c1 p50 ${result.added_ms.c1.p50.toFixed(2)} ms, p99 ${result.added_ms.c1.p99.toFixed(2)} ms; ` +
      `c10 p50 ${result.added_ms.c10.p50.toFixed(2)} ms, p99 ${result.added_ms.c10.p99.toFixed(2)} ms (target: p50 <= 1 ms)`,
    `through the router at c10: ${(result.router_share_of_floor_rps_c10 * 100).toFixed(0)}% of the empty Worker's requests/s (target >= 40%)`,
  ].join("\n");
}

const HELP = `Usage: npm run bench:router [-- options]

Measures what the router adds to POST /predict: the empty Worker (floor), the API alone and the
router in front of blue and green, on workerd through Miniflare's API, in alternating rounds.

Options:
  --c1 <n>       requests per path at concurrency 1 (default 1000)
  --c10 <n>      requests per path at concurrency 10 (default 3000)
  --rounds <n>   alternating rounds per concurrency (default 5)
  --json         print the result as JSON
  -h, --help     this text
`;

async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      c1: { type: "string", default: "1000" },
      c10: { type: "string", default: "3000" },
      rounds: { type: "string", default: "5" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const positive = (name: "c1" | "c10" | "rounds") => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${values[name]}`);
    return n;
  };
  const result = await benchRouter({
    c1: positive("c1"),
    c10: positive("c10"),
    rounds: positive("rounds"),
    log: values.json ? undefined : (line) => console.error(`bench:router: ${line}`),
  });
  mkdirSync(join(REPO_ROOT, ".bench"), { recursive: true });
  writeFileSync(join(REPO_ROOT, ".bench", "router-last-run.json"), JSON.stringify(result, null, 2));
  console.log(values.json ? JSON.stringify(result, null, 2) : `\n${formatRouterBench(result)}`);
  return 0;
}

// Importable (benchRouter for npm run bench and the report); runs only as a script.
if (process.argv[1] && import.meta.filename === resolve(process.argv[1])) {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
  process.env.WRANGLER_SEND_METRICS ??= "false";
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`bench:router: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
