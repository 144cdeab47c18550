/**
 * A small seeded PRNG (sfc32, seeded through splitmix32) so data generation, splits and
 * subsampling are reproducible across machines and Node versions; Math.random is neither.
 */

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createRandom(seed: number): Random {
  const init = splitmix32(seed);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const rng: Random = {
    next() {
      const t = (((a + b) >>> 0) + d) >>> 0;
      d = (d + 1) >>> 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) >>> 0;
      c = ((c << 21) | (c >>> 11)) >>> 0;
      c = (c + t) >>> 0;
      return t / 4294967296;
    },
  };
  // sfc32 wants a few rounds before its output is well mixed.
  for (let i = 0; i < 12; i++) rng.next();
  return rng;
}

/** Standard normal (Box-Muller; the second value is dropped to keep the stream simple). */
export function normal(rng: Random): number {
  let u = rng.next();
  while (u === 0) u = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** In-place Fisher-Yates shuffle. */
export function shuffle<T extends { length: number; [i: number]: number }>(array: T, rng: Random): T {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const tmp = array[i]!;
    array[i] = array[j]!;
    array[j] = tmp;
  }
  return array;
}

/** Derive an independent seed for a sub-task, so adding a stage does not shift the others. */
export function deriveSeed(seed: number, stream: number): number {
  return splitmix32((seed ^ Math.imul(stream + 1, 0x27d4eb2d)) >>> 0)();
}
