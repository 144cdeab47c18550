/**
 * What the router records about each answer: the isolate's metrics buffer (always), one
 * Analytics Engine data point (when the binding is configured) and one JSON log line (when
 * REQUEST_LOGS is on). Never the API key, never the features.
 */
import { buildDataPoint } from "./core/analytics";
import type { Color } from "./core/split";
import {
  parseCacheHeader,
  parseProbabilityHeader,
  parseVerdictHeader,
  statusClassOf,
  type RequestSample,
} from "./core/stats";
import type { RouterRuntime } from "./runtime";
import type { Attempt } from "./upstream";

export interface Observation {
  readonly attempt: Attempt;
  readonly route: string;
  readonly method: string;
  /** This version failed and the request was retried on the other one. */
  readonly fellBack: boolean;
  /** Set on the retry: the version that failed first. */
  readonly fallbackFrom: Color | null;
  readonly keyId: string | null;
}

/** The figures the router reads from an answer's headers. */
export function sampleOf(attempt: Attempt, fellBack: boolean): RequestSample {
  const h = attempt.response?.headers;
  return {
    status: attempt.status,
    latencyMs: attempt.latencyMs,
    cache: parseCacheHeader(h?.get("x-cache") ?? null),
    probability: parseProbabilityHeader(h?.get("x-flash-probability") ?? null),
    verdict: parseVerdictHeader(h?.get("x-flash-verdict") ?? null),
    fellBack,
  };
}

export function observe(runtime: RouterRuntime, env: Env, logRequests: boolean, obs: Observation): RequestSample {
  const { attempt } = obs;
  const sample = sampleOf(attempt, obs.fellBack);
  runtime.metrics.record(attempt.color, runtime.now(), sample);

  const analytics = env.ANALYTICS as AnalyticsEngineDataset | undefined;
  if (analytics) {
    try {
      analytics.writeDataPoint(
        buildDataPoint({
          version: attempt.color,
          route: obs.route,
          statusClass: statusClassOf(sample.status),
          cache: sample.cache,
          verdict: sample.verdict,
          latencyMs: sample.latencyMs,
          probability: sample.probability,
          fellBack: obs.fellBack,
        }),
      );
    } catch (error) {
      // Analytics fail open: the answer matters more than its data point.
      console.error(JSON.stringify({ level: "error", component: "router", message: "analytics write failed", error: String(error) }));
    }
  }

  if (logRequests || attempt.status >= 500) {
    const line = {
      time: new Date().toISOString(),
      level: attempt.status >= 500 ? "error" : "info",
      component: "router",
      version: attempt.color,
      method: obs.method,
      route: obs.route,
      status: attempt.status,
      latency_ms: Math.round(attempt.latencyMs * 1000) / 1000,
      cache: sample.cache,
      key_id: obs.keyId,
      prediction_id: attempt.response?.headers.get("x-flash-prediction-id") ?? attempt.response?.headers.get("x-request-id") ?? null,
      ...(obs.fellBack ? { fell_back: true } : {}),
      ...(obs.fallbackFrom ? { fallback_from: obs.fallbackFrom } : {}),
      ...(attempt.error ? { error: attempt.error, timed_out: attempt.timedOut } : {}),
    };
    (attempt.status >= 500 ? console.error : console.log)(JSON.stringify(line));
  }
  return sample;
}
