/**
 * One version's metrics store: 10-second buckets for the last hour (for /admin/stats windows)
 * and running totals since it began (for the Prometheus counters, which must never go down).
 * Router isolates send it what they aggregated every few seconds (metrics/flush.ts).
 */
import { DurableObject } from "cloudflare:workers";
import type { BucketAggregate } from "../core/metrics-buffer";
import { BUCKET_SECONDS, bucketStart, emptyAggregate, mergeAggregate, type VersionAggregate } from "../core/stats";

/** The longest window /admin/stats serves, and how long buckets are kept. */
export const MAX_WINDOW_SECONDS = 3600;

const BUCKET_PREFIX = "bucket:";
const TOTALS_KEY = "totals";
/** Durable Object storage takes at most 128 keys per put or delete. */
const STORAGE_BATCH = 128;

export interface MetricsReading {
  /** Sum of the buckets that overlap the window. */
  readonly window: VersionAggregate;
  /** Everything since the store began. */
  readonly totals: VersionAggregate;
}

export class VersionMetrics extends DurableObject<Env> {
  private buckets = new Map<number, VersionAggregate>();
  private totals: VersionAggregate = emptyAggregate();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.totals = (await ctx.storage.get<VersionAggregate>(TOTALS_KEY)) ?? emptyAggregate();
      const stored = await ctx.storage.list<VersionAggregate>({ prefix: BUCKET_PREFIX });
      for (const [key, agg] of stored) this.buckets.set(Number(key.slice(BUCKET_PREFIX.length)), agg);
    });
  }

  /** Adds one isolate's buckets. Buckets older than the retention only count in the totals. */
  async record(buckets: readonly BucketAggregate[]): Promise<void> {
    const oldest = this.oldestKept(Date.now());
    const changed: Record<string, VersionAggregate> = {};
    for (const { start, aggregate } of buckets) {
      mergeAggregate(this.totals, aggregate);
      if (start < oldest) continue;
      let agg = this.buckets.get(start);
      if (!agg) {
        agg = emptyAggregate();
        this.buckets.set(start, agg);
      }
      mergeAggregate(agg, aggregate);
      changed[BUCKET_PREFIX + start] = agg;
    }
    changed[TOTALS_KEY] = this.totals;
    const entries = Object.entries(changed);
    for (let i = 0; i < entries.length; i += STORAGE_BATCH) {
      await this.ctx.storage.put(Object.fromEntries(entries.slice(i, i + STORAGE_BATCH)));
    }
    await this.prune(oldest);
  }

  /** The buckets overlapping the last `windowSeconds` (rounded out to whole buckets), and the totals. */
  read(windowSeconds: number): MetricsReading {
    const now = Date.now();
    const from = bucketStart(now - windowSeconds * 1000);
    const window = emptyAggregate();
    for (const [start, agg] of this.buckets) if (start >= from) mergeAggregate(window, agg);
    return { window, totals: this.totals };
  }

  private oldestKept(now: number): number {
    return bucketStart(now - (MAX_WINDOW_SECONDS + BUCKET_SECONDS) * 1000);
  }

  private async prune(oldest: number): Promise<void> {
    const stale = [...this.buckets.keys()].filter((start) => start < oldest);
    if (stale.length === 0) return;
    for (const start of stale) this.buckets.delete(start);
    const keys = stale.map((start) => BUCKET_PREFIX + start);
    for (let i = 0; i < keys.length; i += STORAGE_BATCH) await this.ctx.storage.delete(keys.slice(i, i + STORAGE_BATCH));
  }
}
