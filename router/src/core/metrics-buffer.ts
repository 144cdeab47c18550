/**
 * What one router isolate has recorded and not yet sent to the metrics Durable Objects: an
 * aggregate per version per 10-second bucket. Recording is a few array increments; the flush
 * (metrics/flush.ts) drains the buffer in the background and puts it back if the send fails.
 */
import type { Color } from "./split";
import {
  bucketStart,
  emptyAggregate,
  mergeAggregate,
  recordRequest,
  recordShadow,
  type RequestSample,
  type ShadowSample,
  type VersionAggregate,
} from "./stats";

export interface BucketAggregate {
  readonly start: number;
  readonly aggregate: VersionAggregate;
}

export type PendingMetrics = Partial<Record<Color, BucketAggregate[]>>;

/** An isolate that cannot reach its metrics DO for an hour keeps at most this many buckets. */
const MAX_PENDING_BUCKETS = 360;

export class MetricsBuffer {
  private pending = new Map<Color, Map<number, VersionAggregate>>();

  private bucket(color: Color, timeMs: number): VersionAggregate {
    let byStart = this.pending.get(color);
    if (!byStart) {
      byStart = new Map();
      this.pending.set(color, byStart);
    }
    const start = bucketStart(timeMs);
    let agg = byStart.get(start);
    if (!agg) {
      agg = emptyAggregate();
      byStart.set(start, agg);
      if (byStart.size > MAX_PENDING_BUCKETS) byStart.delete(Math.min(...byStart.keys()));
    }
    return agg;
  }

  record(color: Color, timeMs: number, sample: RequestSample): void {
    recordRequest(this.bucket(color, timeMs), sample);
  }

  recordShadow(color: Color, timeMs: number, sample: ShadowSample): void {
    recordShadow(this.bucket(color, timeMs), sample);
  }

  get isEmpty(): boolean {
    return this.pending.size === 0;
  }

  /** Removes and returns everything recorded so far. */
  take(): PendingMetrics {
    const out: PendingMetrics = {};
    for (const [color, byStart] of this.pending) {
      out[color] = [...byStart].map(([start, aggregate]) => ({ start, aggregate }));
    }
    this.pending = new Map();
    return out;
  }

  /** Puts back what a failed flush took, merged with anything recorded since. */
  restore(taken: PendingMetrics): void {
    for (const color of Object.keys(taken) as Color[]) {
      for (const { start, aggregate } of taken[color] ?? []) mergeAggregate(this.bucket(color, start), aggregate);
    }
  }
}
