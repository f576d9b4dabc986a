/**
 * Tiling helpers on host tensors, shared by every family and variant: where
 * each copy of a source row/column lands (axis maps), tiled linears in both
 * layouts, tiled vectors (norms, biases) and embeddings.
 *
 * @module
 */
import { type HostTensor, hostTensor } from "../tensor_map.ts";
import { makeRng } from "../rng.ts";
import type { BlockFill, NoiseFn } from "./variants.ts";

/**
 * Where copy `c` of source index `i` lands on a cloned axis: `table[c * srcLength + i]`,
 * or -1 when that copy does not exist. Positions no copy lands on are zero.
 */
export interface AxisMap {
  srcLength: number;
  copies: number;
  /** Length of the cloned axis. */
  length: number;
  table: Int32Array;
}

function axis(
  srcLength: number,
  copies: number,
  length: number,
  at: (c: number, i: number) => number,
): AxisMap {
  const table = new Int32Array(copies * srcLength);
  for (let c = 0; c < copies; c++) {
    for (let i = 0; i < srcLength; i++) table[c * srcLength + i] = at(c, i);
  }
  return { srcLength, copies, length, table };
}

/**
 * Plain repeat: copy c of index i goes to c*L + i ([x; x; ...]). For attention
 * this is the "more heads" layout: new head h + kH is a copy of head h.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { repeatAxis } from "./tile.ts";
 * assert.deepEqual([...repeatAxis(3, 2).table], [0, 1, 2, 3, 4, 5]);
 * ```
 */
export function repeatAxis(L: number, copies: number): AxisMap {
  return axis(L, copies, copies * L, (c, i) => c * L + i);
}

/**
 * Repeat inside groups of size g: group k becomes [x_k; x_k; ...] in place.
 * With g = head size this is the "wider heads" layout [q_h; q_h].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupRepeatAxis } from "./tile.ts";
 * // copy 0 of [0, 1, 2, 3] lands on [0, 1, 4, 5], copy 1 on [2, 3, 6, 7]
 * assert.deepEqual([...groupRepeatAxis(4, 2, 2).table], [0, 1, 4, 5, 2, 3, 6, 7]);
 * ```
 */
export function groupRepeatAxis(L: number, copies: number, g: number): AxisMap {
  if (L % g !== 0) throw new Error(`groupRepeatAxis: group ${g} does not divide length ${L}`);
  return axis(L, copies, copies * L, (c, i) => {
    const k = Math.floor(i / g);
    return k * copies * g + c * g + (i % g);
  });
}

/**
 * Llama wider heads under RoPE (rotate_half, pairs (p, p + D/2), frequency
 * theta^(-2p/D)). Head size d becomes D = n*d; original pair j of head h goes
 * to pair n*j + c for copy c, whose frequency for c = 0 equals the original
 * one. `copies` = 1 (queries: only pair n*j, the rest zero) or n (keys: every
 * pair filled, only the c = 0 ones meet a non-zero query).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ropeWideAxis } from "./tile.ts";
 * // component 0 -> 0, component 1 (= 0 + d/2) -> 0 + D/2
 * assert.deepEqual([...ropeWideAxis(1, 2, 2, 1).table], [0, 2]);
 * ```
 */
export function ropeWideAxis(heads: number, d: number, n: number, copies: number): AxisMap {
  const D = n * d, half = d / 2;
  return axis(heads * d, copies, heads * D, (c, i) => {
    const h = Math.floor(i / d), k = i % d;
    const pair = k % half, second = k >= half ? D / 2 : 0;
    return h * D + second + n * pair + c;
  });
}

/**
 * Concatenation of axes (e.g. GPT-2's fused q|k|v), all with the same number
 * of copies: source indices and cloned positions are offset per part.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { concatAxes, repeatAxis } from "./tile.ts";
 * assert.equal(concatAxes([repeatAxis(2, 2), repeatAxis(2, 2)]).length, 8);
 * ```
 */
export function concatAxes(parts: AxisMap[]): AxisMap {
  const copies = parts[0].copies;
  if (parts.some((p) => p.copies !== copies)) {
    throw new Error("concatAxes: parts must have the same number of copies");
  }
  const srcLength = parts.reduce((a, p) => a + p.srcLength, 0);
  const length = parts.reduce((a, p) => a + p.length, 0);
  const table = new Int32Array(copies * srcLength);
  let s0 = 0, d0 = 0;
  for (const p of parts) {
    for (let c = 0; c < copies; c++) {
      for (let i = 0; i < p.srcLength; i++) {
        const v = p.table[c * p.srcLength + i];
        table[c * srcLength + s0 + i] = v < 0 ? -1 : v + d0;
      }
    }
    s0 += p.srcLength, d0 += p.length;
  }
  return { srcLength, copies, length, table };
}

/** Storage layout of a linear weight: Llama Linear [out, in] or GPT-2 Conv1D [in, out]. */
export type LinearLayout = "out_in" | "in_out";

/** How one linear weight is tiled. */
export interface LinearTiling {
  layout: LinearLayout;
  out: AxisMap;
  in: AxisMap;
  /** Multiplies the whole tiled weight (wider-head q/k scaling); default 1. */
  scale?: number;
}

/** Logical [out, in] copy of a stored weight. */
export function toOutIn(w: HostTensor, layout: LinearLayout): Float32Array {
  if (layout === "out_in") return w.data;
  const [I, O] = w.shape;
  const t = new Float32Array(I * O);
  for (let i = 0; i < I; i++) for (let o = 0; o < O; o++) t[o * I + i] = w.data[i * O + o];
  return t;
}

/** FNV-1a hash of a string, for per-tensor noise streams. */
function hashName(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Noise source of one tensor: a seeded stream per (seed, name), so the noise
 * does not depend on the order tensors are cloned in. N(oc, pair) is drawn
 * on first use and kept until the next output copy starts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { noiseSource } from "./tile.ts";
 * const noise = noiseSource(0, "w", 4, 10); // 10 dB below a reference power of 1
 * const n = noise(0, 0, 1);
 * assert.equal(n.length, 4);
 * assert.deepEqual(noise(0, 0, 1), n); // kept for the same output copy and pair
 * assert.deepEqual(noiseSource(0, "w", 4, 10)(0, 0, 1), n); // seeded by (seed, name)
 * ```
 */
export function noiseSource(seed: number, name: string, size: number, snrDb: number): NoiseFn {
  const rng = makeRng((hashName(name) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0);
  const ratio = Math.pow(10, -snrDb / 10);
  let cacheOc = -1;
  const cache = new Map<number, Float32Array>();
  return (oc, pair, refPower) => {
    if (oc !== cacheOc) cache.clear(), cacheOc = oc;
    let n = cache.get(pair);
    if (!n) {
      n = rng.fillNormal(new Float32Array(size), Math.sqrt(refPower * ratio));
      cache.set(pair, n);
    }
    return n;
  };
}

/** Start of copy `c` when it lands on consecutive positions (c*L + i -> start + i), else -1. */
function runStart(map: AxisMap, c: number): number {
  const L = map.srcLength, t = map.table, start = t[c * L];
  if (start < 0) return -1;
  for (let i = 1; i < L; i++) if (t[c * L + i] !== start + i) return -1;
  return start;
}

/**
 * Tiles a linear weight: block (oc, ic) of the r_o x r_i block matrix comes
 * from `fill`, and lands where the axis maps put copy oc of each row and copy
 * ic of each column. r_o = out.copies, r_i = in.copies. The result has the
 * same storage layout as the input.
 *
 * Fills are elementwise, so they run on the weight in its storage layout (no
 * transpose); a block whose stored rows land on consecutive positions (the
 * usual case: plain repeats) is written with one typed-array copy per row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { noiseSource, repeatAxis, tileLinear } from "./tile.ts";
 * import { symmetric } from "./variants.ts";
 * import { hostTensor } from "../tensor_map.ts";
 * const w = hostTensor([1, 1], new Float32Array([2]));
 * const t = tileLinear(w, { layout: "out_in", out: repeatAxis(1, 2), in: repeatAxis(1, 2) }, symmetric,
 *   noiseSource(0, "w", 1, 10));
 * assert.deepEqual(t.shape, [2, 2]);
 * assert.deepEqual([...t.data], [1, 1, 1, 1]); // each input copy carries W / 2
 * ```
 */
export function tileLinear(
  w: HostTensor,
  t: LinearTiling,
  fill: BlockFill,
  noise: NoiseFn,
): HostTensor {
  const O = t.out.srcLength, I = t.in.srcLength;
  const outIn = t.layout === "out_in";
  const want = outIn ? [O, I] : [I, O];
  if (w.shape.length !== 2 || w.shape[0] !== want[0] || w.shape[1] !== want[1]) {
    throw new Error(`tileLinear: weight has shape [${w.shape}], tiling expects [${want}]`);
  }
  const src = w.data;
  let meanSq = 0;
  for (let i = 0; i < src.length; i++) meanSq += src[i] * src[i];
  meanSq /= Math.max(1, src.length);
  const O2 = t.out.length, I2 = t.in.length, ro = t.out.copies, ri = t.in.copies;
  const scale = t.scale ?? 1;
  const outData = new Float32Array(O2 * I2);
  // Stored rows are the outer axis (out for out_in, in for in_out), stored
  // columns the inner one.
  const [rowMap, colMap] = outIn ? [t.out, t.in] : [t.in, t.out];
  const R = rowMap.srcLength, C = colMap.srcLength, C2 = colMap.length;
  for (let oc = 0; oc < ro; oc++) {
    for (let ic = 0; ic < ri; ic++) {
      const block = fill(src, { oc, ic, ro, ri, meanSq }, noise);
      if (scale !== 1) { for (let i = 0; i < block.length; i++) block[i] *= scale; }
      const [rc, cc] = outIn ? [oc, ic] : [ic, oc];
      const rows = rowMap.table.subarray(rc * R, (rc + 1) * R);
      const col0 = runStart(colMap, cc);
      if (col0 >= 0) {
        for (let r = 0; r < R; r++) {
          if (rows[r] >= 0) outData.set(block.subarray(r * C, (r + 1) * C), rows[r] * C2 + col0);
        }
        continue;
      }
      const cols = colMap.table.subarray(cc * C, (cc + 1) * C);
      for (let r = 0; r < R; r++) {
        if (rows[r] < 0) continue;
        const base = rows[r] * C2;
        for (let c = 0; c < C; c++) if (cols[c] >= 0) outData[base + cols[c]] = block[r * C + c];
      }
    }
  }
  return hostTensor(outIn ? [O2, I2] : [I2, O2], outData);
}

/**
 * Tiles a vector (bias or norm weight) along an axis map, times `scale`.
 * Positions no copy lands on are zero.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { repeatAxis, tileVector } from "./tile.ts";
 * import { hostTensor } from "../tensor_map.ts";
 * const v = tileVector(hostTensor([2], new Float32Array([1, 2])), repeatAxis(2, 2));
 * assert.deepEqual([...v.data], [1, 2, 1, 2]);
 * ```
 */
export function tileVector(v: HostTensor, map: AxisMap, scale = 1): HostTensor {
  if (v.shape.length !== 1 || v.shape[0] !== map.srcLength) {
    throw new Error(`tileVector: vector has shape [${v.shape}], expected [${map.srcLength}]`);
  }
  const out = new Float32Array(map.length);
  for (let c = 0; c < map.copies; c++) {
    for (let i = 0; i < map.srcLength; i++) {
      const j = map.table[c * map.srcLength + i];
      if (j >= 0) out[j] = v.data[i] * scale;
    }
  }
  return hostTensor([map.length], out);
}

/**
 * Tiles a norm: weight (and bias) repeated n times, optionally divided (the
 * final norm of a tied clone under "fold-norm").
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tileNorm } from "./tile.ts";
 * import { hostTensor } from "../tensor_map.ts";
 * assert.deepEqual([...tileNorm(hostTensor([1], new Float32Array([4])), 2, 2).data], [2, 2]);
 * ```
 */
export function tileNorm(v: HostTensor, n: number, divide = 1): HostTensor {
  return tileVector(v, repeatAxis(v.shape[0], n), 1 / divide);
}

/**
 * Tiles an embedding [rows, E] to [rows, n*E]: each row repeated along the
 * width, unscaled (its input is a one-hot token or position, not a
 * replicated vector).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tileEmbedding } from "./tile.ts";
 * import { hostTensor } from "../tensor_map.ts";
 * const e = tileEmbedding(hostTensor([1, 2], new Float32Array([1, 2])), 2);
 * assert.deepEqual(e.shape, [1, 4]);
 * assert.deepEqual([...e.data], [1, 2, 1, 2]);
 * ```
 */
export function tileEmbedding(e: HostTensor, n: number): HostTensor {
  const [R, E] = e.shape;
  const out = new Float32Array(R * n * E);
  for (let r = 0; r < R; r++) {
    const row = e.data.subarray(r * E, (r + 1) * E);
    for (let c = 0; c < n; c++) out.set(row, r * n * E + c * E);
  }
  return hostTensor([R, n * E], out);
}
