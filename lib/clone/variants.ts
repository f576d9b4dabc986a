/**
 * The four clone variants as block-fill functions: given the source weight W
 * (flattened in its storage layout: fills are elementwise) and the position (outCopy, inCopy) of a block
 * in the r_o x r_i block matrix, each returns that block. Everything else
 * (layouts, heads, norms) is shared, so variants differ only here.
 *
 * Noise is added only where the input axis is expanded: input copies are
 * paired (0,1), (2,3), ...; block 2p gets +N and block 2p+1 gets -N, with N
 * drawn per output copy and per pair. Because the input copies are identical,
 * the noise cancels exactly in exact arithmetic. With odd r_i the last input
 * copy of each row stays noise-free.
 *
 * @module
 */
import { isNoisy, type VariantName } from "./options.ts";

/** Where a block sits and what the fill needs to know about W. */
export interface BlockAt {
  /** Output copy (block row), 0..ro-1. */
  oc: number;
  /** Input copy (block column), 0..ri-1. */
  ic: number;
  ro: number;
  ri: number;
  /** mean(W^2), for the noise power. */
  meanSq: number;
}

/**
 * Noise matrix N (same size as W) for output copy `oc` and input pair `pair`,
 * with mean(N^2) = refPower / 10^(snr/10). The same (oc, pair) gives the same
 * matrix within one tensor.
 */
export type NoiseFn = (oc: number, pair: number, refPower: number) => Float32Array;

/** A variant: the block (oc, ic) of the tiled weight, same size as `w`. */
export type BlockFill = (w: Float32Array, at: BlockAt, noise: NoiseFn) => Float32Array;

function scaled(w: Float32Array, s: number): Float32Array {
  const out = new Float32Array(w.length);
  if (s !== 0) { for (let i = 0; i < w.length; i++) out[i] = w[i] * s; }
  return out;
}

/**
 * Input copies that output copy `oc` reads in the diagonal variant:
 * {ic : ic mod ro = oc mod ri}. For ro = ri = n this is ic = oc; with ro = 1
 * it is every input copy (the symmetric pattern); with ri = 1 every output
 * copy reads the single input. Never empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { diagonalReads } from "./variants.ts";
 * assert.deepEqual(diagonalReads(1, 2, 2), [1]);
 * assert.deepEqual(diagonalReads(0, 1, 3), [0, 1, 2]);
 * ```
 */
export function diagonalReads(oc: number, ro: number, ri: number): number[] {
  const out: number[] = [];
  for (let ic = 0; ic < ri; ic++) if (ic % ro === oc % ri) out.push(ic);
  return out;
}

function addPairNoise(
  block: Float32Array,
  at: BlockAt,
  noise: NoiseFn,
  refPower: number,
): Float32Array {
  const pair = Math.floor(at.ic / 2);
  if (2 * pair + 1 >= at.ri) return block; // unpaired last copy (odd ri) or ri = 1
  const n = noise(at.oc, pair, refPower);
  const sign = at.ic % 2 === 0 ? 1 : -1;
  for (let i = 0; i < block.length; i++) block[i] += sign * n[i];
  return block;
}

/**
 * Symmetric: every block is W / r_i (n = 2: [[W/2, W/2], [W/2, W/2]]).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { symmetric } from "./variants.ts";
 * const b = symmetric(new Float32Array([2]), { oc: 0, ic: 1, ro: 2, ri: 2, meanSq: 4 }, () => new Float32Array(1));
 * assert.deepEqual(b, Float32Array.of(1));
 * ```
 */
export const symmetric: BlockFill = (w, at) => scaled(w, 1 / at.ri);

/**
 * Diagonal: output copy oc reads only its own input copies, W divided by
 * their count (n = 2: [[W, 0], [0, W]]); see {@link diagonalReads}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { diagonal } from "./variants.ts";
 * const b = diagonal(new Float32Array([2]), { oc: 0, ic: 1, ro: 2, ri: 2, meanSq: 4 }, () => new Float32Array(1));
 * assert.deepEqual(b, Float32Array.of(0));
 * ```
 */
export const diagonal: BlockFill = (w, at) => {
  const reads = diagonalReads(at.oc, at.ro, at.ri);
  return scaled(w, reads.includes(at.ic) ? 1 / reads.length : 0);
};

/**
 * Noisy symmetric: W / r_i ± N (n = 2: [[W/2 + N1, W/2 - N1], [W/2 + N2, W/2 - N2]]),
 * noise power relative to the block W / r_i.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { noisySymmetric } from "./variants.ts";
 * const b = noisySymmetric(new Float32Array([2]), { oc: 0, ic: 0, ro: 2, ri: 2, meanSq: 4 }, () => new Float32Array([0.1]));
 * assert.deepEqual(b, Float32Array.of(1.1));
 * ```
 */
export const noisySymmetric: BlockFill = (w, at, noise) =>
  addPairNoise(symmetric(w, at, noise), at, noise, at.meanSq / (at.ri * at.ri));

/**
 * Noisy diagonal: the diagonal pattern ± N (n = 2: [[W + N1, -N1], [N2, W - N2]]),
 * noise power relative to the non-zero block of that output copy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { noisyDiagonal } from "./variants.ts";
 * const b = noisyDiagonal(new Float32Array([2]), { oc: 0, ic: 1, ro: 2, ri: 2, meanSq: 4 }, () => new Float32Array([0.1]));
 * assert.deepEqual(b, Float32Array.of(-0.1));
 * ```
 */
export const noisyDiagonal: BlockFill = (w, at, noise) => {
  const k = diagonalReads(at.oc, at.ro, at.ri).length;
  return addPairNoise(diagonal(w, at, noise), at, noise, at.meanSq / (k * k));
};

/**
 * Block fill of each variant name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BLOCK_FILLS, symmetric } from "./variants.ts";
 * assert.equal(BLOCK_FILLS.symmetric, symmetric);
 * ```
 */
export const BLOCK_FILLS: Record<VariantName, BlockFill> = {
  "symmetric": symmetric,
  "diagonal": diagonal,
  "noisy-symmetric": noisySymmetric,
  "noisy-diagonal": noisyDiagonal,
};

/**
 * The noise-free counterpart of a variant (for measuring injected noise).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { noiselessVariant } from "./variants.ts";
 * assert.equal(noiselessVariant("noisy-diagonal"), "diagonal");
 * assert.equal(noiselessVariant("symmetric"), "symmetric");
 * ```
 */
export function noiselessVariant(v: VariantName): VariantName {
  if (!isNoisy(v)) return v;
  return v === "noisy-symmetric" ? "symmetric" : "diagonal";
}
