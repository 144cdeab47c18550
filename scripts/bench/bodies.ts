/**
 * Realistic /predict bodies for the benchmark: startups from model-build's generator (the model's
 * own feature distributions, with their missing fields), one in ten as FLASH v1 clients send
 * them (a name and fields that are not features). `makeDistinctBodies` never repeats a body, so
 * no cache can answer; the cache-hit path repeats a small pool on purpose.
 */

import { generateSynthetic } from "../../model-build/src/synthetic.js";

export function makeDistinctBodies(count: number, seed: number): string[] {
  const rows = generateSynthetic({ rows: Math.ceil(count * 1.05) + 16, seed }).rows;
  const seen = new Set<string>();
  const bodies: string[] = [];
  for (let i = 0; i < rows.length && bodies.length < count; i++) {
    const features: Record<string, unknown> = { ...rows[i]!.features };
    if (i % 10 === 0) Object.assign(features, { startup_name: `Startup ${i}`, hq_location: "Berlin", vertical: "saas" });
    const body = JSON.stringify(features);
    if (seen.has(body)) continue;
    seen.add(body);
    bodies.push(body);
  }
  if (bodies.length < count) throw new Error(`could only make ${bodies.length} of ${count} distinct bodies`);
  return bodies;
}

/** Hands out consecutive, never-reused slices of one pool of distinct bodies. */
export class BodySupply {
  private cursor = 0;
  constructor(private readonly bodies: readonly string[]) {}

  take(count: number): string[] {
    if (this.cursor + count > this.bodies.length) {
      throw new Error(`the benchmark needs more distinct bodies than it made (${this.bodies.length}): a bug in its accounting`);
    }
    return this.bodies.slice(this.cursor, (this.cursor += count));
  }

  get used(): number {
    return this.cursor;
  }
}

/** `count` bodies cycling through `pool`: every one of them repeated, for the cache-hit path. */
export function repeatBodies(pool: readonly string[], count: number): string[] {
  return Array.from({ length: count }, (_, i) => pool[i % pool.length]!);
}
