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
  /**
   * Fills `out` with `scale` times standard normals (ziggurat, one 32-bit
   * draw per value almost always; ~10x faster than `normal()` per value, and
   * a different sequence).
   */
  fillNormal(out: Float32Array, scale?: number): Float32Array;
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

// Ziggurat tables (Marsaglia & Tsang 2000, 128 layers) for fillNormal.
const ZN = 128, ZR = 3.442619855899, ZV = 9.91256303526217e-3, M31 = 2147483648;
const KN = new Uint32Array(ZN), WN = new Float64Array(ZN), FN = new Float64Array(ZN);
{
  let dn = ZR, tn = dn;
  const q = ZV / Math.exp(-0.5 * dn * dn);
  KN[0] = (dn / q) * M31;
  KN[1] = 0;
  WN[0] = q / M31;
  WN[ZN - 1] = dn / M31;
  FN[0] = 1;
  FN[ZN - 1] = Math.exp(-0.5 * dn * dn);
  for (let i = ZN - 2; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(ZV / dn + Math.exp(-0.5 * dn * dn)));
    KN[i + 1] = (dn / tn) * M31;
    tn = dn;
    FN[i] = Math.exp(-0.5 * dn * dn);
    WN[i] = dn / M31;
  }
}

/**
 * Creates a generator from a seed, or from a saved `state()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeRng } from "./rng.ts";
 * const r = makeRng(42);
 * const x = r.normal();
 * assert.equal(makeRng(42).normal(), x); // the same seed gives the same stream
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
    fillNormal: (out, scale = 1) => {
      // The layer index reuses the low 7 bits of the draw; they move the
      // value by < 2^-24 relative, below float32 resolution. The common path
      // runs sfc32 on local copies of the state (closure slots are slower).
      const uni = () => (u32() + 0.5) / 4294967296;
      let A = a, B = b, C = c, D = d;
      for (let i = 0; i < out.length; i++) {
        const t = (((A + B) >>> 0) + D) >>> 0;
        D = (D + 1) >>> 0;
        A = B ^ (B >>> 9);
        B = (C + (C << 3)) >>> 0;
        C = ((C << 21) | (C >>> 11)) >>> 0;
        C = (C + t) >>> 0;
        let hz = t | 0, iz = hz & (ZN - 1);
        if (Math.abs(hz) < KN[iz]) {
          out[i] = scale * hz * WN[iz];
          continue;
        }
        // Rare (~2%): the wedge or the tail, drawing through u32().
        a = A, b = B, c = C, d = D;
        for (;;) {
          const x = hz * WN[iz];
          if (iz === 0) {
            let xt: number, yt: number;
            do {
              xt = -Math.log(uni()) / ZR;
              yt = -Math.log(uni());
            } while (yt + yt < xt * xt);
            out[i] = scale * (hz > 0 ? ZR + xt : -ZR - xt);
            break;
          }
          if (FN[iz] + uni() * (FN[iz - 1] - FN[iz]) < Math.exp(-0.5 * x * x)) {
            out[i] = scale * x;
            break;
          }
          hz = u32() | 0, iz = hz & (ZN - 1);
          if (Math.abs(hz) < KN[iz]) {
            out[i] = scale * hz * WN[iz];
            break;
          }
        }
        A = a, B = b, C = c, D = d;
      }
      a = A, b = B, c = C, d = D;
      return out;
    },
  };
}
