/**
 * Per-version stats from Cloudflare's Workers Analytics Engine SQL API
 * (`POST https://api.cloudflare.com/client/v4/accounts/<account_id>/analytics_engine/sql`, the
 * query as the body, `Authorization: Bearer <token>` with "Account Analytics: Read").
 *
 * The router writes one data point per answer it sees (router/src/core/analytics.ts):
 *   index1 = version; blob1 = version ("blue"|"green"), blob2 = route, blob3 = status class
 *   ("2xx"|"4xx"|"5xx"), blob4 = cache ("hit"|"miss"|"bypass"|"none"), blob5 = verdict ("" when
 *   none); double1 = latency in ms, double2 = predicted probability (-1 when none), double3 = 1
 *   when this version failed and the request fell back to the other one.
 * Analytics Engine samples at high volume: each stored row stands for `_sample_interval`
 * requests, so every count below is `SUM(_sample_interval)` and every mean is weighted by it,
 * never `count()`.
 *
 * Answers come in the SQL API's `FORMAT JSON` shape: `{meta: [{name, type}], data: [{...}],
 * rows, rows_before_limit_at_least}`, with 64-bit integers quoted as strings. Cloudflare's API
 * cannot be reached from the test machine: the parsing is tested against recorded answers in
 * that documented shape (analytics-engine.test.ts), the queries themselves are not.
 *
 * Shadow comparisons are not in the data points and read as zero: with shadowing on, use the
 * router as the source (the shadow gates would otherwise say NOT ENOUGH DATA).
 */

import { emptyVersionStats, type Color, type StatsSnapshot, type VersionStats } from "./stats.js";
import type { StatsSource } from "./stats-source.js";

export const AE_API_BASE = "https://api.cloudflare.com/client/v4";
export const DEFAULT_AE_DATASET = "flash_requests";
/** The router's prediction histogram: 20 equal bins over [0, 1]. */
export const PREDICTION_BINS = 20;

export class AnalyticsEngineError extends Error {
  override name = "AnalyticsEngineError";
}

export interface AnalyticsEngineQueries {
  counts: string;
  latency: string;
  predictions: string;
}

function checkDataset(dataset: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(dataset)) {
    throw new AnalyticsEngineError(`dataset name ${JSON.stringify(dataset)} is not a plain identifier (letters, digits, _)`);
  }
  return dataset;
}

/** The three queries one stats read runs, for a window of `windowSeconds`. */
export function buildStatsQueries(dataset: string, windowSeconds: number): AnalyticsEngineQueries {
  const table = checkDataset(dataset);
  const seconds = Math.max(1, Math.round(windowSeconds));
  const since = `timestamp > NOW() - INTERVAL '${seconds}' SECOND`;
  return {
    counts: [
      "SELECT blob1 AS version, blob3 AS status_class, blob4 AS cache, blob5 AS verdict,",
      "  SUM(_sample_interval) AS requests,",
      "  SUM(_sample_interval * double3) AS fallbacks",
      `FROM ${table}`,
      `WHERE ${since}`,
      "GROUP BY version, status_class, cache, verdict",
      "FORMAT JSON",
    ].join("\n"),
    latency: [
      "SELECT blob1 AS version,",
      "  SUM(_sample_interval) AS samples,",
      "  quantileExactWeighted(0.50)(double1, _sample_interval) AS p50,",
      "  quantileExactWeighted(0.95)(double1, _sample_interval) AS p95,",
      "  quantileExactWeighted(0.99)(double1, _sample_interval) AS p99",
      `FROM ${table}`,
      `WHERE ${since}`,
      "GROUP BY version",
      "FORMAT JSON",
    ].join("\n"),
    predictions: [
      `SELECT blob1 AS version, floor(double2 * ${PREDICTION_BINS}) AS bin,`,
      "  SUM(_sample_interval) AS n,",
      "  SUM(_sample_interval * double2) AS sum_p,",
      "  SUM(_sample_interval * double2 * double2) AS sum_p2",
      `FROM ${table}`,
      `WHERE ${since} AND blob3 = '2xx' AND double2 >= 0 AND double2 <= 1`,
      "GROUP BY version, bin",
      "FORMAT JSON",
    ].join("\n"),
  };
}

export type AeRow = Record<string, unknown>;

/** Validates a `FORMAT JSON` answer and returns its rows. */
export function parseAeResponse(body: unknown, query = "query"): AeRow[] {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new AnalyticsEngineError(`${query}: expected a JSON object with meta and data, got ${typeof body}`);
  }
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.data)) {
    throw new AnalyticsEngineError(`${query}: the answer has no data array (did the query end with FORMAT JSON?)`);
  }
  if (b.meta !== undefined && !Array.isArray(b.meta)) throw new AnalyticsEngineError(`${query}: meta must be an array`);
  return b.data.map((row, i) => {
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      throw new AnalyticsEngineError(`${query}: data[${i}] is not an object`);
    }
    return row as AeRow;
  });
}

/** Numbers arrive as JSON numbers, or as strings for 64-bit integers; null for empty quantiles. */
function aeNumber(value: unknown, where: string): number {
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n === "number" && Number.isFinite(n)) return n;
  throw new AnalyticsEngineError(`${where}: expected a number, got ${JSON.stringify(value)}`);
}

function aeNumberOrNull(value: unknown, where: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" && /^(nan|inf|-inf)$/i.test(value)) return null;
  if (typeof value === "number" && !Number.isFinite(value)) return null;
  return aeNumber(value, where);
}

function versionOf(row: AeRow, where: string): Color | null {
  const v = row.version;
  if (v === "blue" || v === "green") return v;
  if (typeof v === "string") return null; // other writers in the same dataset: not ours
  throw new AnalyticsEngineError(`${where}: row without a version column`);
}

export interface AeRows {
  counts: AeRow[];
  latency: AeRow[];
  predictions: AeRow[];
}

/** Folds the three queries' rows into the same `StatsSnapshot` the router answers. */
export function statsFromAeRows(rows: AeRows, windowSeconds: number, generatedAt = new Date()): StatsSnapshot {
  const versions: Record<Color, VersionStats> = { blue: emptyVersionStats(), green: emptyVersionStats() };
  const bounds = Array.from({ length: PREDICTION_BINS + 1 }, (_, i) => i / PREDICTION_BINS);
  for (const v of Object.values(versions)) v.predictions.histogram = { bounds, counts: new Array<number>(PREDICTION_BINS).fill(0) };

  rows.counts.forEach((row, i) => {
    const where = `counts row ${i}`;
    const version = versionOf(row, where);
    if (!version) return;
    const v = versions[version];
    const n = aeNumber(row.requests, `${where}.requests`);
    v.requests += n;
    const status = String(row.status_class ?? "");
    if (status === "2xx" || status === "4xx" || status === "5xx") v.status[status] += n;
    const cache = String(row.cache ?? "").toLowerCase();
    if (cache === "hit" || cache === "miss" || cache === "bypass") v.cache[cache] += n;
    const verdict = typeof row.verdict === "string" ? row.verdict : "";
    if (verdict !== "") v.verdicts[verdict] = (v.verdicts[verdict] ?? 0) + n;
    if (row.fallbacks !== undefined && row.fallbacks !== null) v.fallbacks += aeNumber(row.fallbacks, `${where}.fallbacks`);
  });

  rows.latency.forEach((row, i) => {
    const where = `latency row ${i}`;
    const version = versionOf(row, where);
    if (!version) return;
    const v = versions[version];
    v.latency_ms.p50 = aeNumberOrNull(row.p50, `${where}.p50`);
    v.latency_ms.p95 = aeNumberOrNull(row.p95, `${where}.p95`);
    v.latency_ms.p99 = aeNumberOrNull(row.p99, `${where}.p99`);
  });

  const sums: Record<Color, { n: number; p: number; p2: number }> = { blue: { n: 0, p: 0, p2: 0 }, green: { n: 0, p: 0, p2: 0 } };
  rows.predictions.forEach((row, i) => {
    const where = `predictions row ${i}`;
    const version = versionOf(row, where);
    if (!version) return;
    const bin = Math.min(PREDICTION_BINS - 1, Math.max(0, Math.floor(aeNumber(row.bin, `${where}.bin`))));
    const n = aeNumber(row.n, `${where}.n`);
    versions[version].predictions.histogram.counts[bin]! += n;
    sums[version].n += n;
    sums[version].p += aeNumber(row.sum_p, `${where}.sum_p`);
    sums[version].p2 += aeNumber(row.sum_p2, `${where}.sum_p2`);
  });

  for (const color of ["blue", "green"] as const) {
    const v = versions[color];
    v.error_rate = v.requests > 0 ? v.status["5xx"] / v.requests : null;
    const cached = v.cache.hit + v.cache.miss + v.cache.bypass;
    v.cache.hit_rate = cached > 0 ? v.cache.hit / cached : null;
    const s = sums[color];
    v.predictions.count = s.n;
    if (s.n > 0) {
      const mean = s.p / s.n;
      v.predictions.mean = mean;
      v.predictions.std = Math.sqrt(Math.max(0, s.p2 / s.n - mean * mean));
    }
  }
  return { window_seconds: windowSeconds, generated_at: generatedAt.toISOString(), versions, source: "analytics-engine" };
}

export interface AnalyticsEngineOptions {
  accountId: string;
  apiToken: string;
  dataset?: string;
  apiBase?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export class AnalyticsEngineStatsSource implements StatsSource {
  readonly name = "analytics-engine";
  private readonly dataset: string;
  private readonly url: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: AnalyticsEngineOptions) {
    if (!/^[0-9a-f]{32}$/i.test(options.accountId)) {
      throw new AnalyticsEngineError(
        `CLOUDFLARE_ACCOUNT_ID ${JSON.stringify(options.accountId)} is not a 32-character account id (find it in the Cloudflare dashboard's Workers overview)`,
      );
    }
    if (!options.apiToken) throw new AnalyticsEngineError("CLOUDFLARE_API_TOKEN is empty: create a token with Account Analytics: Read");
    this.dataset = checkDataset(options.dataset ?? DEFAULT_AE_DATASET);
    this.url = `${options.apiBase ?? AE_API_BASE}/accounts/${options.accountId}/analytics_engine/sql`;
    this.fetchImpl = options.fetch ?? fetch;
  }

  async query(sql: string, label: string): Promise<AeRow[]> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.url, {
        method: "POST",
        headers: { authorization: `Bearer ${this.options.apiToken}`, "content-type": "text/plain; charset=utf-8" },
        body: sql,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
      });
    } catch (error) {
      const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      throw new AnalyticsEngineError(`cannot reach the Analytics Engine SQL API at ${this.url} (${cause}); use --source router when Cloudflare is out of reach`);
    }
    const text = await response.text();
    if (response.status === 401 || response.status === 403) {
      throw new AnalyticsEngineError(`the SQL API refused the token (${response.status}): CLOUDFLARE_API_TOKEN needs the Account Analytics: Read permission on account ${this.options.accountId}`);
    }
    if (!response.ok) {
      throw new AnalyticsEngineError(`the ${label} query failed (${response.status}): ${text.slice(0, 300).trim()}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new AnalyticsEngineError(`the ${label} query answered non-JSON: ${text.slice(0, 200).trim()}`);
    }
    return parseAeResponse(body, `${label} query`);
  }

  async getStats(windowSeconds: number): Promise<StatsSnapshot> {
    const q = buildStatsQueries(this.dataset, windowSeconds);
    const [counts, latency, predictions] = await Promise.all([
      this.query(q.counts, "counts"),
      this.query(q.latency, "latency"),
      this.query(q.predictions, "predictions"),
    ]);
    return statsFromAeRows({ counts, latency, predictions }, windowSeconds);
  }
}
