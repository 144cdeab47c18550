/**
 * A bounded least-recently-used map with per-entry expiry, for the in-isolate cache. Bounded both
 * by entry count and by an approximate byte size, because a Worker isolate has 128 MB for
 * everything (the model, ORT's WASM heap and this cache). Pure: the clock is injected.
 *
 * Recency is a doubly linked list beside the Map, so evicting the oldest is O(1). (Reading the
 * Map's first key instead looks O(1) but is not under churn: V8 keeps deleted slots until it
 * rehashes, and a full cache that evicts on every write walks past thousands of them.)
 */

export interface LruOptions<V> {
  readonly maxEntries: number;
  /** Upper bound on the sum of sizeOf(value); Infinity when omitted. */
  readonly maxBytes?: number;
  readonly sizeOf?: (value: V) => number;
  readonly now?: () => number;
}

interface Entry<V> {
  readonly key: string;
  value: V;
  expiresAt: number;
  size: number;
  /** Towards the most recently used end. */
  newer: Entry<V> | undefined;
  /** Towards the least recently used end. */
  older: Entry<V> | undefined;
}

export class LruCache<V> {
  private readonly map = new Map<string, Entry<V>>();
  /** Least recently used. */
  private oldest: Entry<V> | undefined;
  /** Most recently used. */
  private newest: Entry<V> | undefined;
  private bytes = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly sizeOf: (value: V) => number;
  private readonly now: () => number;

  constructor(options: LruOptions<V>) {
    this.maxEntries = Math.max(1, Math.floor(options.maxEntries));
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.sizeOf = options.sizeOf ?? (() => 0);
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.map.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  get(key: string): V | undefined {
    const entry = this.map.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.remove(entry);
      return undefined;
    }
    this.unlink(entry);
    this.pushNewest(entry);
    return entry.value;
  }

  /** Store for `ttlMs`; a value larger than maxBytes on its own is not stored (returns false). */
  set(key: string, value: V, ttlMs: number): boolean {
    const size = this.sizeOf(value);
    this.delete(key);
    if (size > this.maxBytes || ttlMs <= 0) return false;
    const entry: Entry<V> = { key, value, expiresAt: this.now() + ttlMs, size, newer: undefined, older: undefined };
    this.map.set(key, entry);
    this.pushNewest(entry);
    this.bytes += size;
    while (this.oldest && (this.map.size > this.maxEntries || this.bytes > this.maxBytes)) this.remove(this.oldest);
    return true;
  }

  delete(key: string): boolean {
    const entry = this.map.get(key);
    if (!entry) return false;
    this.remove(entry);
    return true;
  }

  /** Remaining time to live (ms), or undefined when absent or expired. */
  ttl(key: string): number | undefined {
    const entry = this.map.get(key);
    if (!entry) return undefined;
    const left = entry.expiresAt - this.now();
    return left > 0 ? left : undefined;
  }

  clear(): void {
    this.map.clear();
    this.oldest = undefined;
    this.newest = undefined;
    this.bytes = 0;
  }

  /** Keys from least to most recently used (tests and diagnostics). */
  keys(): string[] {
    const out: string[] = [];
    for (let e = this.oldest; e; e = e.newer) out.push(e.key);
    return out;
  }

  private remove(entry: Entry<V>): void {
    this.map.delete(entry.key);
    this.unlink(entry);
    this.bytes -= entry.size;
  }

  private unlink(entry: Entry<V>): void {
    if (entry.older) entry.older.newer = entry.newer;
    else this.oldest = entry.newer;
    if (entry.newer) entry.newer.older = entry.older;
    else this.newest = entry.older;
    entry.newer = undefined;
    entry.older = undefined;
  }

  private pushNewest(entry: Entry<V>): void {
    entry.older = this.newest;
    entry.newer = undefined;
    if (this.newest) this.newest.newer = entry;
    else this.oldest = entry;
    this.newest = entry;
  }
}
