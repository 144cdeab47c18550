/**
 * Shadowing: a share of the stable version's /predict requests is sent to the candidate as
 * well, in the background, and the two predictions are compared. The client never waits for
 * the shadow call and never sees its answer; the shadow traffic is not counted as requests of
 * the candidate, only as comparisons.
 */
import type { Color } from "./core/split";
import type { RequestSample } from "./core/stats";
import { sampleOf } from "./observe";
import type { RouterRuntime } from "./runtime";
import { attemptFailed, callVersion, discard, type OutgoingRequest } from "./upstream";

export async function runShadow(
  runtime: RouterRuntime,
  env: Env,
  request: OutgoingRequest,
  candidate: Color,
  primary: RequestSample,
  timeoutMs: number,
): Promise<void> {
  const attempt = await callVersion(env, candidate, request, timeoutMs, runtime.now, { "X-Flash-Shadow": "1" });
  discard(attempt);
  const shadow = sampleOf(attempt, false);
  if (attemptFailed(attempt) || shadow.probability === null || primary.probability === null) {
    console.error(
      JSON.stringify({
        level: "warn",
        component: "router",
        message: "shadow request gave nothing to compare",
        version: candidate,
        status: attempt.status,
        ...(attempt.error ? { error: attempt.error } : {}),
      }),
    );
    return;
  }
  runtime.metrics.recordShadow(candidate, runtime.now(), {
    absDiff: Math.abs(primary.probability - shadow.probability),
    verdictChanged: primary.verdict !== shadow.verdict,
  });
}
