/**
 * Per-isolate state: the cached split and the metrics not yet flushed. One instance lives for the
 * isolate's lifetime (created in index.ts); tests create their own to stand for other isolates.
 */
import { MetricsBuffer } from "./core/metrics-buffer";
import { SplitCache } from "./split-cache";

export interface RouterRuntimeOptions {
  readonly now?: () => number;
  readonly random?: () => number;
}

export class RouterRuntime {
  readonly now: () => number;
  readonly random: () => number;
  readonly split: SplitCache;
  readonly metrics = new MetricsBuffer();
  lastFlushAt = Number.NEGATIVE_INFINITY;
  flushing = false;

  constructor(options: RouterRuntimeOptions = {}) {
    this.now = options.now ?? (() => Date.now());
    this.random = options.random ?? Math.random;
    this.split = new SplitCache(this.now);
  }
}
