/**
 * The load test's engine (like the v1 guide's `ab -n 1000 -c 10 -H "Authorization: Bearer ..."`):
 * `concurrency` workers send POST /predict from a request mix until `requests` are sent or
 * `durationMs` passed, optionally paced to `ratePerSecond`, and record what each answer said.
 * `summarizeLoad` and `checkV1Criteria` are pure.
 */

import type { RequestMix } from "./request-mix.js";

export interface LoadOptions {
  url: string;
  /** Path appended to url (default /predict). */
  path?: string;
  apiKey?: string;
  concurrency: number;
  /** Stop after this many requests... */
  requests?: number;
  /** ...or after this long (whichever comes first; at least one must be set). */
  durationMs?: number;
  /** Pace the whole run to about this many requests per second. */
  ratePerSecond?: number;
  mix: RequestMix;
  timeoutMs?: number;
  signal?: AbortSignal;
  onResult?: (result: RequestResult, done: number) => void;
  fetch?: typeof fetch;
}

export interface RequestResult {
  /** When the request was sent, ms since epoch. */
  sent_at: number;
  /** When the answer (or the failure) arrived, ms since epoch. */
  at: number;
  status: number;
  latency_ms: number;
  cache: "HIT" | "MISS" | "BYPASS" | null;
  probability: number | null;
  version: string | null;
  fallback_from: string | null;
  repeat: boolean;
  error?: string;
}

export async function runLoad(o: LoadOptions): Promise<{ results: RequestResult[]; duration_ms: number }> {
  if (!(o.requests || o.durationMs)) throw new RangeError("runLoad needs requests or durationMs");
  const fetchImpl = o.fetch ?? fetch;
  const url = `${o.url.replace(/\/+$/, "")}${o.path ?? "/predict"}`;
  const results: RequestResult[] = [];
  const started = performance.now();
  let issued = 0;
  const more = () => {
    if (o.signal?.aborted) return false;
    if (o.requests !== undefined && issued >= o.requests) return false;
    if (o.durationMs !== undefined && performance.now() - started >= o.durationMs) return false;
    return true;
  };

  const worker = async () => {
    while (more()) {
      const index = issued++;
      if (o.ratePerSecond) {
        const due = started + (index * 1000) / o.ratePerSecond;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (o.signal?.aborted || (o.durationMs !== undefined && performance.now() - started >= o.durationMs)) break;
      }
      const request = o.mix.next();
      const headers: Record<string, string> = { "content-type": "application/json", "x-client-id": request.clientId };
      if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
      const t0 = performance.now();
      const sentAt = Date.now();
      let result: RequestResult;
      try {
        const response = await fetchImpl(url, { method: "POST", headers, body: JSON.stringify(request.body), signal: AbortSignal.timeout(o.timeoutMs ?? 10_000) });
        const text = await response.text();
        const latency = performance.now() - t0;
        result = {
          sent_at: sentAt,
          at: Date.now(),
          status: response.status,
          latency_ms: latency,
          cache: cacheOf(response.headers.get("x-cache")),
          probability: probabilityOf(response.headers.get("x-flash-probability"), text),
          version: response.headers.get("x-flash-version"),
          fallback_from: response.headers.get("x-flash-fallback-from"),
          repeat: request.repeat,
        };
        if (response.status >= 400) result.error = text.slice(0, 200);
      } catch (error) {
        result = { sent_at: sentAt, at: Date.now(), status: 0, latency_ms: performance.now() - t0, cache: null, probability: null, version: null, fallback_from: null, repeat: request.repeat, error: error instanceof Error ? error.message : String(error) };
      }
      results.push(result);
      o.onResult?.(result, results.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, worker));
  return { results, duration_ms: performance.now() - started };
}

function cacheOf(header: string | null): RequestResult["cache"] {
  const v = header?.trim().toUpperCase();
  return v === "HIT" || v === "MISS" || v === "BYPASS" ? v : null;
}

function probabilityOf(header: string | null, body: string): number | null {
  const fromHeader = header === null ? NaN : Number(header);
  if (Number.isFinite(fromHeader)) return fromHeader;
  try {
    const p = (JSON.parse(body) as { success_probability?: unknown }).success_probability;
    return typeof p === "number" && Number.isFinite(p) ? p : null;
  } catch {
    return null;
  }
}

export interface LoadSummary {
  requests: number;
  ok: number;
  errors: number;
  error_rate: number;
  status: Record<string, number>;
  duration_s: number;
  requests_per_second: number;
  latency_ms: { p50: number | null; p95: number | null; p99: number | null; max: number | null; mean: number | null };
  cache: { hit: number; miss: number; bypass: number; unknown: number; hit_rate: number | null };
  predictions: { count: number; min: number | null; max: number | null; mean: number | null };
  versions: Record<string, number>;
  fallbacks: number;
  first_errors: string[];
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

export function summarizeLoad(results: readonly RequestResult[], durationMs: number): LoadSummary {
  const latencies = results.map((r) => r.latency_ms).sort((a, b) => a - b);
  const status: Record<string, number> = {};
  const versions: Record<string, number> = {};
  const cache = { hit: 0, miss: 0, bypass: 0, unknown: 0 };
  let ok = 0;
  let fallbacks = 0;
  const probabilities: number[] = [];
  const firstErrors: string[] = [];
  for (const r of results) {
    const key = r.status === 0 ? "network" : String(r.status);
    status[key] = (status[key] ?? 0) + 1;
    if (r.version) versions[r.version] = (versions[r.version] ?? 0) + 1;
    if (r.fallback_from) fallbacks += 1;
    if (r.status >= 200 && r.status < 300) {
      ok += 1;
      if (r.cache === "HIT") cache.hit += 1;
      else if (r.cache === "MISS") cache.miss += 1;
      else if (r.cache === "BYPASS") cache.bypass += 1;
      else cache.unknown += 1;
      if (r.probability !== null) probabilities.push(r.probability);
    } else if (firstErrors.length < 5) {
      firstErrors.push(`${key}: ${r.error ?? ""}`.slice(0, 200));
    }
  }
  const known = cache.hit + cache.miss + cache.bypass;
  const errors = results.length - ok;
  return {
    requests: results.length,
    ok,
    errors,
    error_rate: results.length > 0 ? errors / results.length : 0,
    status,
    duration_s: durationMs / 1000,
    requests_per_second: durationMs > 0 ? (results.length * 1000) / durationMs : 0,
    latency_ms: {
      p50: percentile(latencies, 0.5),
      p95: percentile(latencies, 0.95),
      p99: percentile(latencies, 0.99),
      max: latencies.length ? latencies[latencies.length - 1]! : null,
      mean: latencies.length ? latencies.reduce((s, x) => s + x, 0) / latencies.length : null,
    },
    cache: { ...cache, hit_rate: known > 0 ? cache.hit / known : null },
    predictions: {
      count: probabilities.length,
      min: probabilities.length ? Math.min(...probabilities) : null,
      max: probabilities.length ? Math.max(...probabilities) : null,
      mean: probabilities.length ? probabilities.reduce((s, x) => s + x, 0) / probabilities.length : null,
    },
    versions,
    fallbacks,
    first_errors: firstErrors,
  };
}

export interface Criterion {
  name: string;
  target: string;
  actual: string;
  met: boolean;
}

/**
 * The v1 guide's success criteria: p99 < 200 ms, errors < 1 %, cache hit rate > 70 %, and
 * predictions spread over 0-100 % (read here as: some below 10 % and some above 90 %).
 */
export function checkV1Criteria(s: LoadSummary): Criterion[] {
  const p99 = s.latency_ms.p99;
  const hit = s.cache.hit_rate;
  const { min, max } = s.predictions;
  return [
    { name: "latency p99", target: "< 200 ms", actual: p99 === null ? "n/a" : `${p99.toFixed(1)} ms`, met: p99 !== null && p99 < 200 },
    { name: "error rate", target: "< 1%", actual: `${(s.error_rate * 100).toFixed(2)}%`, met: s.requests > 0 && s.error_rate < 0.01 },
    { name: "cache hit rate", target: "> 70%", actual: hit === null ? "n/a" : `${(hit * 100).toFixed(1)}%`, met: hit !== null && hit > 0.7 },
    {
      name: "prediction range",
      target: "spans 0-100% (min < 10%, max > 90%)",
      actual: min === null || max === null ? "n/a" : `${(min * 100).toFixed(1)}% - ${(max * 100).toFixed(1)}%`,
      met: min !== null && max !== null && min < 0.1 && max > 0.9,
    },
  ];
}
