/**
 * The load generator: POST bodies to a Worker's socket at a fixed concurrency and record each
 * request's latency, its status and X-Cache, and the CPU time the Worker's workerd process and
 * this process spent.
 *
 * It speaks plain HTTP/1.1 with keep-alive (node:http) to a socket Miniflare opened for the
 * Worker (`unsafeDirectSockets`). Miniflare's own dispatchFetch costs the client 2 to 3 ms of CPU
 * per request here, ten times what the Worker itself spends, so it would mostly measure the
 * client; node:http costs about 0.2 ms. Every path (the empty Worker included) is driven the
 * same way, so their ratios compare the Workers, not the clients.
 */

import http from "node:http";
import { readFileSync, readdirSync } from "node:fs";

export interface Target {
  readonly name: string;
  /** Origin of the Worker's socket, e.g. http://127.0.0.1:41234 */
  readonly origin: string;
  /** The workerd process serving it (for CPU per request), when known. */
  readonly pid: number | undefined;
}

export interface Answer {
  readonly status: number;
  readonly cache: string | null;
  /** X-Flash-Engine: which engine scored (the API's "trees" while onnxruntime starts). */
  readonly engine: string | null;
  readonly body: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** Read a whole answer into an Answer. */
function collectAnswer(response: http.IncomingMessage, resolve: (answer: Answer) => void, reject: (error: Error) => void): void {
  const chunks: Buffer[] = [];
  response.on("data", (chunk: Buffer) => chunks.push(chunk));
  response.on("end", () =>
    resolve({
      status: response.statusCode ?? 0,
      cache: (response.headers["x-cache"] as string | undefined) ?? null,
      engine: (response.headers["x-flash-engine"] as string | undefined) ?? null,
      body: Buffer.concat(chunks).toString("utf8"),
    }),
  );
  response.on("error", reject);
}

/** One request; resolves when the whole answer has arrived. */
export function post(origin: string, path: string, body: string | Uint8Array, headers: Readonly<Record<string, string>>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${origin}${path}`,
      { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers } },
      (response) => collectAnswer(response, resolve, reject),
    );
    request.on("error", reject);
    request.end(body);
  });
}

/** One GET; resolves with the whole answer. */
export function get(origin: string, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http.get(`${origin}${path}`, { agent }, (response) => collectAnswer(response, resolve, reject)).on("error", reject);
  });
}

/** Close idle keep-alive sockets (before the Workers are disposed). */
export function closeConnections(): void {
  agent.destroy();
}

export interface LoadSample {
  readonly latencies: Float64Array;
  /** Answers other than 200. */
  readonly errors: number;
  /** The first non-200 answer, to say what went wrong. */
  readonly firstError: string | null;
  readonly cacheHits: number;
  readonly seconds: number;
  readonly workerCpuMs: number;
  readonly clientCpuMs: number;
}

/** Send every body once, `concurrency` at a time, to `path` of the target. */
export async function sendLoad(
  target: Target,
  path: string,
  bodies: readonly string[],
  concurrency: number,
  headers: Readonly<Record<string, string>>,
): Promise<LoadSample> {
  const latencies = new Float64Array(bodies.length);
  let next = 0;
  let errors = 0;
  let cacheHits = 0;
  let firstError: string | null = null;
  const workerCpu0 = readCpuMs(target.pid);
  const clientCpu0 = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, bodies.length) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= bodies.length) return;
        const t0 = performance.now();
        const answer = await post(target.origin, path, bodies[i]!, headers);
        latencies[i] = performance.now() - t0;
        if (answer.status !== 200) {
          errors++;
          firstError ??= `${answer.status} ${answer.body.slice(0, 300)}`;
        }
        if (answer.cache === "HIT") cacheHits++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const clientCpu = process.cpuUsage(clientCpu0);
  return {
    latencies,
    errors,
    firstError,
    cacheHits,
    seconds,
    workerCpuMs: readCpuMs(target.pid) - workerCpu0,
    clientCpuMs: (clientCpu.user + clientCpu.system) / 1000,
  };
}

export interface LoadResult {
  readonly concurrency: number;
  readonly requests: number;
  readonly errors: number;
  readonly firstError: string | null;
  /** Share of answers with X-Cache: HIT. */
  readonly hitRate: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** CPU per request of the Worker's workerd process (all Workers of the path) and of this client. */
  readonly workerCpuMsPerRequest: number;
  readonly clientCpuMsPerRequest: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function summariseLoad(samples: readonly LoadSample[], concurrency: number): LoadResult {
  const all = new Float64Array(samples.reduce((n, s) => n + s.latencies.length, 0));
  let offset = 0;
  for (const s of samples) {
    all.set(s.latencies, offset);
    offset += s.latencies.length;
  }
  all.sort();
  const sum = (pick: (s: LoadSample) => number) => samples.reduce((t, s) => t + pick(s), 0);
  const requests = all.length;
  return {
    concurrency,
    requests,
    errors: sum((s) => s.errors),
    firstError: samples.find((s) => s.firstError !== null)?.firstError ?? null,
    hitRate: requests > 0 ? sum((s) => s.cacheHits) / requests : 0,
    rps: requests / sum((s) => s.seconds),
    p50: percentile(all, 0.5),
    p99: percentile(all, 0.99),
    workerCpuMsPerRequest: sum((s) => s.workerCpuMs) / requests,
    clientCpuMsPerRequest: sum((s) => s.clientCpuMs) / requests,
  };
}

export interface LoadPath {
  readonly target: Target;
  readonly path: string;
  /** The bodies of round `round` (each call may hand out new ones). */
  readonly bodies: (round: number) => readonly string[];
}

/**
 * The paths in alternating rounds (path 1, path 2, ..., path 1, ...), so a burst of load from
 * elsewhere on this shared machine hits all of them alike rather than whichever ran then.
 */
export async function compareLoad(
  paths: readonly LoadPath[],
  concurrency: number,
  rounds: number,
  headers: Readonly<Record<string, string>>,
): Promise<LoadResult[]> {
  const samples: LoadSample[][] = paths.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let p = 0; p < paths.length; p++) {
      const path = paths[p]!;
      samples[p]!.push(await sendLoad(path.target, path.path, path.bodies(round), concurrency, headers));
    }
  }
  return samples.map((s) => summariseLoad(s, concurrency));
}

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (ms, user + system) a process has used so far; NaN when unknown. */
export function readCpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are stat's fields 14 and 15 (11 and 12 after the command), in clock ticks.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** workerd processes that are children of this process (Miniflare starts one per instance). */
export function listWorkerdPids(): Set<number> {
  const pids = new Set<number>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return pids;
  }
  for (const entry of entries) {
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
