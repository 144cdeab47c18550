/**
 * The load test's request mix: startups shaped like FLASH's data (model-build's synthetic
 * generator: stage-dependent scale, heavy tails, missing fields), some sparse v1-style requests
 * in the spellings FLASH clients send ("Series A", "pre-seed"), some with an extra field the API
 * ignores (`hq_location`), and a configurable share of repeats of earlier bodies, so the cache is
 * exercised the way returning clients exercise it.
 */

import type { FeatureValue } from "../../core/encoding.js";
import { createRandom, type Random } from "../../model-build/src/random.js";
import { generateSynthetic } from "../../model-build/src/synthetic.js";

export interface RequestMixOptions {
  seed: number;
  /** Share of requests that repeat a body from the pool (0..1). */
  repeatShare: number;
  /** How many distinct bodies repeats are drawn from. */
  poolSize: number;
  /** Distinct client ids (X-Client-Id) the requests come from; each request picks one. */
  clients: number;
}

export type RequestKind = "synthetic" | "v1-sparse" | "extra-field";

export interface MixedRequest {
  body: Record<string, FeatureValue>;
  clientId: string;
  repeat: boolean;
  kind: RequestKind;
}

const STAGE_SPELLINGS: ReadonlyArray<readonly [string, number]> = [
  ["pre-seed", 0.5],
  ["seed", 2],
  ["Seed", 0.5],
  ["series_a", 1],
  ["Series A", 1],
  ["Series B", 0.6],
  ["series_c", 0.3],
];

function weighted(rng: Random, items: ReadonlyArray<readonly [string, number]>): string {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let u = rng.next() * total;
  for (const [item, w] of items) {
    u -= w;
    if (u < 0) return item;
  }
  return items[items.length - 1]![0];
}

const CITIES = ["San Francisco", "London", "Berlin", "Bangalore", "Austin", "Paris", "Singapore"];

export class RequestMix {
  private readonly rng: Random;
  private readonly pool: Array<{ body: Record<string, FeatureValue>; kind: RequestKind }> = [];
  private buffer: Array<Record<string, FeatureValue>> = [];
  private chunk = 0;

  constructor(private readonly options: RequestMixOptions) {
    if (!(options.repeatShare >= 0 && options.repeatShare <= 1)) throw new RangeError("repeatShare must be in 0..1");
    if (!(Number.isInteger(options.poolSize) && options.poolSize >= 1)) throw new RangeError("poolSize must be a positive integer");
    if (!(Number.isInteger(options.clients) && options.clients >= 1)) throw new RangeError("clients must be a positive integer");
    this.rng = createRandom(options.seed);
    while (this.pool.length < options.poolSize) this.pool.push(this.fresh());
  }

  /** A startup not sent before (unique with overwhelming probability: its values are continuous). */
  private syntheticRow(): Record<string, FeatureValue> {
    if (this.buffer.length === 0) {
      this.chunk += 1;
      this.buffer = generateSynthetic({ rows: 500, seed: (this.options.seed * 7919 + this.chunk) >>> 0 }).rows.map((r) => ({ ...r.features }));
    }
    return this.buffer.pop()!;
  }

  private fresh(): { body: Record<string, FeatureValue>; kind: RequestKind } {
    const u = this.rng.next();
    if (u < 0.1) {
      // The v1 guide's validation case, with other amounts and the stage spellings clients use.
      const capital = Math.round(10 ** (4 + this.rng.next() * 4) * 100) / 100;
      return { body: { total_capital_raised_usd: capital, funding_stage: weighted(this.rng, STAGE_SPELLINGS) }, kind: "v1-sparse" };
    }
    const body = this.syntheticRow();
    if (u < 0.15) return { body: { ...body, hq_location: CITIES[Math.floor(this.rng.next() * CITIES.length)]! }, kind: "extra-field" };
    return { body, kind: "synthetic" };
  }

  next(): MixedRequest {
    const clientId = `loadtest-client-${Math.floor(this.rng.next() * this.options.clients)}`;
    if (this.rng.next() < this.options.repeatShare) {
      const item = this.pool[Math.floor(this.rng.next() * this.pool.length)]!;
      return { body: item.body, clientId, repeat: true, kind: item.kind };
    }
    const item = this.fresh();
    return { body: item.body, clientId, repeat: false, kind: item.kind };
  }
}
