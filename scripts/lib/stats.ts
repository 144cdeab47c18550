/**
 * The shapes the router's admin API answers (router/src/core/stats.ts; docs/router.md), with parsers that
 * turn an unknown JSON value into these types or say exactly which field is wrong. The scripts
 * decide rollouts from these numbers, so a malformed answer must stop them with a clear error,
 * never be read as zeros.
 */

export type Color = "blue" | "green";
export const COLORS: readonly Color[] = ["blue", "green"];

export interface Histogram {
  /** Edges: `counts[i]` counts values in [bounds[i], bounds[i+1]). */
  bounds: number[];
  counts: number[];
}

export interface VersionStats {
  requests: number;
  status: { "2xx": number; "4xx": number; "5xx": number };
  error_rate: number;
  fallbacks: number;
  latency_ms: { p50: number | null; p95: number | null; p99: number | null; histogram: Histogram };
  cache: { hit: number; miss: number; bypass: number; hit_rate: number | null };
  predictions: { count: number; mean: number | null; std: number | null; histogram: Histogram };
  verdicts: Record<string, number>;
  shadow: { comparisons: number; mean_abs_diff: number | null; max_abs_diff: number | null; verdict_changes: number };
  /** The model version behind most answers in the window (null: none named one, or an older router). */
  model_version: string | null;
  model_versions: Record<string, number>;
}

export interface StatsSnapshot {
  window_seconds: number;
  generated_at: string;
  versions: Record<Color, VersionStats>;
  /** Where the figures came from ("router", "analytics-engine"), for the decision record. */
  source: string;
}

export interface Split {
  stable: Color;
  candidate: Color;
  candidate_percent: number;
  shadow_percent: number;
  revision: number;
  updated_at: string | null;
  updated_by: string | null;
  reason: string | null;
  /** Each colour's model version from its /health (GET /admin/split; null when unknown or absent). */
  models: Record<Color, string | null>;
}

/** One entry of `GET /admin/history` (the router keeps the last 100, newest first). */
export interface SplitChange {
  revision: number;
  /** "init" | "set" | "rollback" | "promote" */
  action: string;
  at: string;
  by: string;
  reason: string;
  from: SplitState;
  to: SplitState;
}

export interface SplitState {
  stable: Color;
  candidate_percent: number;
  shadow_percent: number;
}

export class ContractError extends Error {
  override name = "ContractError";
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function obj(value: unknown, path: string): Json {
  if (!isObject(value)) throw new ContractError(`${path}: expected an object, got ${describe(value)}`);
  return value;
}

function num(value: unknown, path: string): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  throw new ContractError(`${path}: expected a finite number, got ${describe(value)}`);
}

/** Percentiles and means are null (or absent) when a version had no traffic in the window. */
function numOrNull(value: unknown, path: string): number | null {
  if (value === null || value === undefined) return null;
  return num(value, path);
}

function count(value: unknown, path: string): number {
  const n = value === undefined ? 0 : num(value, path);
  if (n < 0) throw new ContractError(`${path}: a count cannot be negative (${n})`);
  return n;
}

function str(value: unknown, path: string): string {
  if (typeof value === "string") return value;
  throw new ContractError(`${path}: expected a string, got ${describe(value)}`);
}

function strOrNull(value: unknown, path: string): string | null {
  if (value === null || value === undefined) return null;
  return str(value, path);
}

function color(value: unknown, path: string): Color {
  if (value === "blue" || value === "green") return value;
  throw new ContractError(`${path}: expected "blue" or "green", got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function parseHistogram(value: unknown, path: string): Histogram {
  if (value === undefined || value === null) return { bounds: [], counts: [] };
  const h = obj(value, path);
  if (!Array.isArray(h.bounds) || !Array.isArray(h.counts)) {
    throw new ContractError(`${path}: expected {bounds: number[], counts: number[]}`);
  }
  const bounds = h.bounds.map((b, i) => num(b, `${path}.bounds[${i}]`));
  const counts = h.counts.map((c, i) => count(c, `${path}.counts[${i}]`));
  if (counts.length > 0 && bounds.length !== counts.length + 1) {
    throw new ContractError(
      `${path}: ${counts.length} counts need ${counts.length + 1} bounds (edges), got ${bounds.length}`,
    );
  }
  return { bounds, counts };
}

export function emptyVersionStats(): VersionStats {
  return {
    requests: 0,
    status: { "2xx": 0, "4xx": 0, "5xx": 0 },
    error_rate: 0,
    fallbacks: 0,
    latency_ms: { p50: null, p95: null, p99: null, histogram: { bounds: [], counts: [] } },
    cache: { hit: 0, miss: 0, bypass: 0, hit_rate: null },
    predictions: { count: 0, mean: null, std: null, histogram: { bounds: [], counts: [] } },
    verdicts: {},
    shadow: { comparisons: 0, mean_abs_diff: null, max_abs_diff: null, verdict_changes: 0 },
    model_version: null,
    model_versions: {},
  };
}

export function parseVersionStats(value: unknown, path: string): VersionStats {
  const v = obj(value, path);
  const status = obj(v.status ?? {}, `${path}.status`);
  const latency = obj(v.latency_ms ?? {}, `${path}.latency_ms`);
  const cache = obj(v.cache ?? {}, `${path}.cache`);
  const predictions = obj(v.predictions ?? {}, `${path}.predictions`);
  const shadow = obj(v.shadow ?? {}, `${path}.shadow`);
  const verdictsRaw = obj(v.verdicts ?? {}, `${path}.verdicts`);
  const verdicts: Record<string, number> = {};
  for (const [name, n] of Object.entries(verdictsRaw)) verdicts[name] = count(n, `${path}.verdicts.${name}`);
  const requests = count(v.requests, `${path}.requests`);
  const s5xx = count(status["5xx"], `${path}.status.5xx`);
  return {
    requests,
    status: {
      "2xx": count(status["2xx"], `${path}.status.2xx`),
      "4xx": count(status["4xx"], `${path}.status.4xx`),
      "5xx": s5xx,
    },
    // null when the version had no requests in the window
    error_rate: numOrNull(v.error_rate, `${path}.error_rate`) ?? (requests > 0 ? s5xx / requests : 0),
    fallbacks: count(v.fallbacks, `${path}.fallbacks`),
    latency_ms: {
      p50: numOrNull(latency.p50, `${path}.latency_ms.p50`),
      p95: numOrNull(latency.p95, `${path}.latency_ms.p95`),
      p99: numOrNull(latency.p99, `${path}.latency_ms.p99`),
      histogram: parseHistogram(latency.histogram, `${path}.latency_ms.histogram`),
    },
    cache: {
      hit: count(cache.hit, `${path}.cache.hit`),
      miss: count(cache.miss, `${path}.cache.miss`),
      bypass: count(cache.bypass, `${path}.cache.bypass`),
      hit_rate: numOrNull(cache.hit_rate, `${path}.cache.hit_rate`),
    },
    predictions: {
      count: count(predictions.count, `${path}.predictions.count`),
      mean: numOrNull(predictions.mean, `${path}.predictions.mean`),
      std: numOrNull(predictions.std, `${path}.predictions.std`),
      histogram: parseHistogram(predictions.histogram, `${path}.predictions.histogram`),
    },
    verdicts,
    shadow: {
      comparisons: count(shadow.comparisons, `${path}.shadow.comparisons`),
      mean_abs_diff: numOrNull(shadow.mean_abs_diff, `${path}.shadow.mean_abs_diff`),
      max_abs_diff: numOrNull(shadow.max_abs_diff, `${path}.shadow.max_abs_diff`),
      verdict_changes: count(shadow.verdict_changes, `${path}.shadow.verdict_changes`),
    },
    model_version: strOrNull(v.model_version, `${path}.model_version`),
    model_versions: Object.fromEntries(Object.entries(obj(v.model_versions ?? {}, `${path}.model_versions`)).map(([name, n]) => [name, count(n, `${path}.model_versions.${name}`)])),
  };
}

/** Parses `GET /admin/stats?window=N`. A colour missing from `versions` had no traffic. */
export function parseStatsResponse(value: unknown, source = "router"): StatsSnapshot {
  const body = obj(value, "stats");
  const versions = obj(body.versions, "stats.versions");
  return {
    window_seconds: num(body.window_seconds, "stats.window_seconds"),
    generated_at: body.generated_at === undefined ? new Date().toISOString() : String(body.generated_at),
    versions: {
      blue: versions.blue === undefined ? emptyVersionStats() : parseVersionStats(versions.blue, "stats.versions.blue"),
      green:
        versions.green === undefined ? emptyVersionStats() : parseVersionStats(versions.green, "stats.versions.green"),
    },
    source,
  };
}

export function parseSplit(value: unknown, path = "split"): Split {
  const s = obj(value, path);
  const stable = color(s.stable, `${path}.stable`);
  const candidate = color(s.candidate, `${path}.candidate`);
  const candidatePercent = num(s.candidate_percent, `${path}.candidate_percent`);
  if (candidatePercent < 0 || candidatePercent > 100) {
    throw new ContractError(`${path}.candidate_percent: ${candidatePercent} is outside 0..100`);
  }
  return {
    stable,
    candidate,
    candidate_percent: candidatePercent,
    shadow_percent: s.shadow_percent === undefined ? 0 : num(s.shadow_percent, `${path}.shadow_percent`),
    revision: num(s.revision, `${path}.revision`),
    updated_at: strOrNull(s.updated_at, `${path}.updated_at`),
    updated_by: strOrNull(s.updated_by, `${path}.updated_by`),
    reason: strOrNull(s.reason, `${path}.reason`),
    models: parseModels(s.models, `${path}.models`),
  };
}

function parseModels(value: unknown, path: string): Record<Color, string | null> {
  if (value === undefined || value === null) return { blue: null, green: null };
  const m = obj(value, path);
  return { blue: strOrNull(m.blue, `${path}.blue`), green: strOrNull(m.green, `${path}.green`) };
}

function parseSplitState(value: unknown, path: string): SplitState {
  const s = obj(value, path);
  return {
    stable: color(s.stable, `${path}.stable`),
    candidate_percent: num(s.candidate_percent, `${path}.candidate_percent`),
    shadow_percent: s.shadow_percent === undefined ? 0 : num(s.shadow_percent, `${path}.shadow_percent`),
  };
}

export function parseSplitChange(value: unknown, path: string): SplitChange {
  const c = obj(value, path);
  return {
    revision: num(c.revision, `${path}.revision`),
    action: str(c.action, `${path}.action`),
    at: str(c.at, `${path}.at`),
    by: str(c.by, `${path}.by`),
    reason: str(c.reason, `${path}.reason`),
    from: parseSplitState(c.from, `${path}.from`),
    to: parseSplitState(c.to, `${path}.to`),
  };
}

/** `GET /admin/history` answers `{changes: [...]}`; returned newest first. */
export function parseHistory(value: unknown): SplitChange[] {
  const list = isObject(value) ? value.changes : value;
  if (!Array.isArray(list)) throw new ContractError("history: expected {changes: [...]}");
  return list.map((entry, i) => parseSplitChange(entry, `history.changes[${i}]`)).sort((a, b) => b.revision - a.revision);
}

/** Total of a histogram's counts. */
export function histogramTotal(h: Histogram): number {
  let total = 0;
  for (const c of h.counts) total += c;
  return total;
}
