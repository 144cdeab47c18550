/**
 * Calls to the two API deployments through their service bindings: one attempt with a timeout,
 * and the /health probe behind flash_up.
 */
import type { Color } from "./core/split";
import { parseModelVersionHeader } from "./core/stats";

/**
 * Headers that steer the router and must not travel on to the API. X-Flash-Shadow is set by the
 * router on its own shadow calls only, so a client cannot pass its requests off as shadows.
 */
export const ROUTER_ONLY_HEADERS = ["x-flash-version", "x-flash-override-token", "x-flash-shadow"] as const;

/**
 * The request as forwarded. When it may be sent more than once (fallback, shadow) its body is
 * read up front; otherwise it streams through and `replayable` is false.
 */
export interface OutgoingRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: ArrayBuffer | ReadableStream | null;
  readonly replayable: boolean;
}

export function fetcherFor(env: Env, color: Color): Fetcher {
  return color === "blue" ? env.BLUE : env.GREEN;
}

export async function toOutgoing(request: Request, replayable: boolean): Promise<OutgoingRequest> {
  const headers = new Headers(request.headers);
  for (const name of ROUTER_ONLY_HEADERS) headers.delete(name);
  const hasBody = request.method !== "GET" && request.method !== "HEAD" && request.body !== null;
  const body = !hasBody ? null : replayable ? await request.arrayBuffer() : request.body;
  return { url: request.url, method: request.method, headers, body, replayable };
}

export interface Attempt {
  readonly color: Color;
  /** The version's answer, or null when it threw or timed out. */
  readonly response: Response | null;
  /** The status the client would see: the answer's, 504 on timeout, 502 on an exception. */
  readonly status: number;
  readonly latencyMs: number;
  readonly error: string | null;
  readonly timedOut: boolean;
}

export function attemptFailed(attempt: Attempt): boolean {
  return attempt.response === null || attempt.status >= 500;
}

/** One call to a version; never throws. `extraHeaders` are added to the forwarded request. */
export async function callVersion(
  env: Env,
  color: Color,
  request: OutgoingRequest,
  timeoutMs: number,
  now: () => number,
  extraHeaders?: Record<string, string>,
): Promise<Attempt> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`no answer from ${color} within ${timeoutMs} ms`));
  }, timeoutMs);
  let headers = request.headers;
  if (extraHeaders) {
    headers = new Headers(headers);
    for (const [k, v] of Object.entries(extraHeaders)) headers.set(k, v);
  }
  const started = now();
  try {
    const response = await fetcherFor(env, color).fetch(request.url, {
      method: request.method,
      headers,
      body: request.body,
      redirect: "manual",
      signal: controller.signal,
    });
    return { color, response, status: response.status, latencyMs: now() - started, error: null, timedOut: false };
  } catch (error) {
    return {
      color,
      response: null,
      status: timedOut ? 504 : 502,
      latencyMs: now() - started,
      error: error instanceof Error ? error.message : String(error),
      timedOut,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Drops an answer the client will not see, so its connection is released. */
export function discard(attempt: Attempt): void {
  attempt.response?.body?.cancel().catch(() => undefined);
}

/** What a version's /health said: whether it answered 2xx in time, and the model it serves. */
export interface HealthProbe {
  readonly up: boolean;
  /** The model version it reports (also when it is unavailable), null when it did not answer. */
  readonly model_version: string | null;
}

/** Probe the version's /health within `timeoutMs`; never throws (a failure is `up: false`). */
export async function probeHealth(env: Env, color: Color, timeoutMs: number): Promise<HealthProbe> {
  try {
    const response = await fetcherFor(env, color).fetch("https://router.internal/health", {
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json().catch(() => null)) as { model?: { version?: unknown } } | null;
    return { up: response.ok, model_version: parseModelVersionHeader(typeof body?.model?.version === "string" ? body.model.version : null) };
  } catch {
    return { up: false, model_version: null };
  }
}

/** Both versions' probes, in parallel. */
export async function probeBoth(env: Env, timeoutMs: number): Promise<Record<Color, HealthProbe>> {
  const [blue, green] = await Promise.all([probeHealth(env, "blue", timeoutMs), probeHealth(env, "green", timeoutMs)]);
  return { blue, green };
}
