/**
 * Small seeded random number generator (sfc32 seeded through splitmix32), so
 * every random choice in the kit is reproducible from an integer seed.
 *
 * @module
 */

/** A seeded source of uniform and normal numbers. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Internal state, to save and restore a stream position. */
  state(): number[];
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * Creates a generator from a seed, or from a saved `state()`.
 *
 * @example
 * ```ts
 * import { makeRng } from "./rng.ts";
 * const r = makeRng(42);
 * const x = r.normal();
 * ```
 */
export function makeRng(seed: number | number[]): Rng {
  let a: number, b: number, c: number, d: number;
  if (Array.isArray(seed)) {
    [a, b, c, d] = seed;
  } else {
    const sm = splitmix32(seed);
    a = sm(), b = sm(), c = sm(), d = sm();
  }
  const u32 = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  const next = () => u32() / 4294967296;
  return {
    next,
    int: (n) => Math.floor(next() * n),
    normal: () => {
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    state: () => [a >>> 0, b >>> 0, c >>> 0, d >>> 0],
  };
}
