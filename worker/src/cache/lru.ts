/**
 * A bounded least-recently-used map with per-entry expiry, for the in-isolate cache. Bounded both
 * by entry count and by an approximate byte size, because a Worker isolate has 128 MB for
 * everything (the model, ORT's WASM heap and this cache). Pure: the clock is injected.
 */

export interface LruOptions<V> {
  readonly maxEntries: number;
  /** Upper bound on the sum of sizeOf(value); Infinity when omitted. */
  readonly maxBytes?: number;
  readonly sizeOf?: (value: V) => number;
  readonly now?: () => number;
}

interface Entry<V> {
  readonly value: V;
  readonly expiresAt: number;
  readonly size: number;
}

export class LruCache<V> {
  // A Map iterates in insertion order: re-inserting on access keeps the oldest first.
  private readonly map = new Map<string, Entry<V>>();
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
    this.map.delete(key);
    if (entry.expiresAt <= this.now()) {
      this.bytes -= entry.size;
      return undefined;
    }
    this.map.set(key, entry);
    return entry.value;
  }

  /** Store for `ttlMs`; a value larger than maxBytes on its own is not stored (returns false). */
  set(key: string, value: V, ttlMs: number): boolean {
    const size = this.sizeOf(value);
    this.delete(key);
    if (size > this.maxBytes || ttlMs <= 0) return false;
    this.map.set(key, { value, expiresAt: this.now() + ttlMs, size });
    this.bytes += size;
    while (this.map.size > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.map.keys().next().value as string;
      this.delete(oldest);
    }
    return true;
  }

  delete(key: string): boolean {
    const entry = this.map.get(key);
    if (!entry) return false;
    this.map.delete(key);
    this.bytes -= entry.size;
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
    this.bytes = 0;
  }
}
