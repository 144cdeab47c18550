/**
 * Sends an isolate's aggregated metrics to the per-version Durable Objects. Requests only
 * schedule it (ctx.waitUntil) at most once per flush interval; none of them waits for it. A
 * version whose send fails gets its data back in the buffer for the next flush.
 */
import type { PendingMetrics } from "../core/metrics-buffer";
import { COLORS } from "../core/split";
import { versionMetrics } from "../durable/stubs";
import type { RouterRuntime } from "../runtime";

export async function flushMetrics(runtime: RouterRuntime, env: Env): Promise<void> {
  runtime.flushing = true;
  runtime.lastFlushAt = runtime.now();
  const taken = runtime.metrics.take();
  try {
    await Promise.all(
      COLORS.map(async (color) => {
        const buckets = taken[color];
        if (!buckets || buckets.length === 0) return;
        try {
          await versionMetrics(env, color).record(buckets);
        } catch (error) {
          const back: PendingMetrics = { [color]: buckets };
          runtime.metrics.restore(back);
          console.error(JSON.stringify({ level: "error", component: "router", message: "metrics flush failed", version: color, error: String(error) }));
        }
      }),
    );
  } finally {
    runtime.flushing = false;
  }
}

/** Schedules a flush in the background when the interval has passed and there is data. */
export function scheduleFlush(runtime: RouterRuntime, env: Env, ctx: Pick<ExecutionContext, "waitUntil">, intervalMs: number): void {
  if (runtime.flushing || runtime.metrics.isEmpty) return;
  if (runtime.now() - runtime.lastFlushAt < intervalMs) return;
  ctx.waitUntil(flushMetrics(runtime, env));
}
