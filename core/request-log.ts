/**
 * The one JSON line the API and the router write per request (read with `wrangler tail`, or
 * Workers Logs): what was asked, who answered, how, how fast. The same field names in both
 * deployables, so one query covers the whole path.
 *
 * Never the API key (only its id) and never the request body: the line is built from the
 * method, the route, the answer's status and headers and the key's id, nothing else. One
 * JSON.stringify per request; the caller hands the line to console.log or console.error.
 */

export type LogLevel = "info" | "error";

export interface RequestLogFields {
  /** "api" or "router". */
  readonly component: string;
  /** The deployment's colour (blue|green, "local" in development) that answered. */
  readonly version: string | null;
  readonly method: string;
  /** The matched route (/predict), never the raw URL: no query string, low cardinality. */
  readonly route: string;
  readonly status: number;
  readonly latency_ms: number;
  /** X-Cache of the answer: HIT, MISS, BYPASS, or null when not a prediction. */
  readonly cache: string | null;
  /** The API key's id (never the key). */
  readonly key_id: string | null;
  readonly prediction_id: string | null;
  /** Anything else worth a field (model version, fallback), added after the common ones. */
  readonly extra?: Readonly<Record<string, string | number | boolean | null>>;
  /** For a 5xx: what failed. */
  readonly error?: unknown;
  /** Include the error's stack (unexpected errors; not for the typed, expected ones). */
  readonly errorStack?: boolean;
}

export interface RequestLogLine {
  readonly level: LogLevel;
  readonly line: string;
}

const MAX_ERROR_CHARS = 500;
const MAX_STACK_LINES = 8;

/** "Name: message" of anything thrown, bounded so one bad error cannot flood the logs. */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}...` : text;
}

function stackOf(error: unknown): string | undefined {
  if (!(error instanceof Error) || !error.stack) return undefined;
  return error.stack.split("\n").slice(0, MAX_STACK_LINES).join("\n");
}

/** Milliseconds rounded to microseconds (enough, and keeps the line short). */
export function roundLatency(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export function formatRequestLog(fields: RequestLogFields, now: Date = new Date()): RequestLogLine {
  const level: LogLevel = fields.status >= 500 ? "error" : "info";
  const record: Record<string, unknown> = {
    time: now.toISOString(),
    level,
    component: fields.component,
    version: fields.version,
    method: fields.method,
    route: fields.route,
    status: fields.status,
    latency_ms: roundLatency(fields.latency_ms),
    cache: fields.cache,
    key_id: fields.key_id,
    prediction_id: fields.prediction_id,
    ...fields.extra,
  };
  if (level === "error" && fields.error !== undefined) {
    record.error = describeError(fields.error);
    const stack = fields.errorStack ? stackOf(fields.error) : undefined;
    if (stack) record.stack = stack;
  }
  return { level, line: JSON.stringify(record) };
}
