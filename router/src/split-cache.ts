/**
 * Each isolate's copy of the split. It is used for at most `ttlMs` (2 s by default) and then
 * read again from the SplitControl Durable Object, so a rollback reaches every isolate within
 * that time. Each request that finds the copy stale reads it itself: a promise shared between
 * requests would carry one request's I/O into another, which workerd forbids.
 */
import { initialSplit, type Split } from "./core/split";
import { splitControl } from "./durable/stubs";

export class SplitCache {
  private value: Split | null = null;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private failedAt = Number.NEGATIVE_INFINITY;
  private warned = false;

  constructor(private readonly now: () => number = () => Date.now()) {}

  async get(env: Env, ttlMs: number): Promise<Split> {
    const now = this.now();
    if (this.value && now - this.fetchedAt < ttlMs) return this.value;
    // After a failure, wait as long as a good copy lives before asking again.
    if (now - this.failedAt < ttlMs) return this.value ?? initialSplit(new Date(now)).split;
    try {
      const split = await splitControl(env).getSplit();
      this.set(split);
      this.warned = false;
      return split;
    } catch (error) {
      this.failedAt = now;
      // Fail open: serve with the last known split, or everything on blue, rather than no one.
      if (!this.warned) {
        this.warned = true;
        console.error(JSON.stringify({ level: "error", component: "router", message: "split control unreachable", error: String(error) }));
      }
      return this.value ?? initialSplit(new Date(now)).split;
    }
  }

  /** Takes a split this isolate just wrote, so its own next request already uses it. */
  set(split: Split): void {
    this.value = split;
    this.fetchedAt = this.now();
  }
}
