/**
 * What the router records about each answer of a version: the isolate's metrics buffer (always)
 * and one Analytics Engine data point (when the binding is configured). The request's log line
 * is written once per request, by middleware/request-log.ts, with a fallback's first failure in it.
 */
import { buildDataPoint } from "./core/analytics";
import {
  parseCacheHeader,
  parseModelVersionHeader,
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
  /** This version failed and the request was retried on the other one. */
  readonly fellBack: boolean;
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
    modelVersion: parseModelVersionHeader(h?.get("x-flash-model-version") ?? null),
    fellBack,
  };
}

export function observe(runtime: RouterRuntime, env: Env, obs: Observation): RequestSample {
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

  return sample;
}
