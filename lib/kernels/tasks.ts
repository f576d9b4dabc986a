/**
 * The row loops of the fused kernels as range tasks that lib/kernels/pool.ts
 * runs on any thread: `task(heap, args, lo, hi)` does units [lo, hi) (rows,
 * elements, (batch, head) pairs or tensors) on the whole wasm heap, with
 * tensors given as float offsets into it (`memoryOffset / 4`) and native
 * addresses as `base + 4 * offset`. Units never share an output, so a split
 * into parts changes no result; reductions write one partial sum per fixed
 * chunk or tensor (LayerNorm's dw and db to a float64 block of the heap,
 * RMSNorm's and AdamW's norm to `heap.scratch`), and the kernel adds them in
 * order on the main thread. Where `heap.simd` is set, a task runs the SIMD
 * twin of its loop (lib/kernels/simd.wat: the same float64 arithmetic).
 *
 * Hot loops live in small functions of typed arrays and numbers: V8
 * optimises them as ordinary functions (a loop inside a kernel function ran
 * through on-stack replacement and deoptimised on every new view).
 *
 * @module
 */
import { sgemmStridedAt } from "../blas.ts";
import type { SimdKernels } from "./simd.ts";

/** One thread's views of the shared wasm heap, and the shared scratch for partial sums. */
export interface Heap {
  f32: Float32Array;
  f64: Float64Array;
  scratch: Float64Array;
  /** The SIMD twins of the loops below (lib/kernels/simd.wat), or null for the JS loops. */
  simd: SimdKernels | null;
}

/** A range task: units [lo, hi) with arguments `a`. */
export type Task = (h: Heap, a: Float64Array, lo: number, hi: number) => void;

// ---------------------------------------------------------------- norms

/** a = [x, w, b, y, mean, rstd, E, eps]; units: rows. */
function layerNorm(h: Heap, a: Float64Array, lo: number, hi: number): void {
  const F = h.f32, E = a[6] | 0, eps = a[7];
  const x = a[0] | 0, w = a[1] | 0, b = a[2] | 0, y = a[3] | 0, mean = a[4] | 0, rstd = a[5] | 0;
  const k = h.simd;
  for (let i = lo; i < hi; i++) {
    if (k) {
      k.layerNormRow(
        4 * (x + i * E),
        4 * w,
        4 * b,
        4 * (y + i * E),
        4 * (mean + i),
        4 * (rstd + i),
        E,
        eps,
      );
    } else layerNormRow(F, x + i * E, w, b, y + i * E, mean + i, rstd + i, E, eps);
  }
}

function layerNormRow(
  F: Float32Array,
  x: number,
  w: number,
  b: number,
  y: number,
  mean: number,
  rstd: number,
  E: number,
  eps: number,
): void {
  // One pass for both sums (float64: E[x^2] - mean^2 loses nothing that
  // matters for float32 inputs), two accumulators each to break the chains.
  let s0 = 0, s1 = 0, q0 = 0, q1 = 0, j = x;
  for (const e = x + E - 1; j < e; j += 2) {
    const u = F[j], v = F[j + 1];
    s0 += u, s1 += v, q0 += u * u, q1 += v * v;
  }
  if (j < x + E) s0 += F[j], q0 += F[j] * F[j];
  const mu = (s0 + s1) / E;
  const r = 1 / Math.sqrt(Math.max(0, (q0 + q1) / E - mu * mu) + eps);
  F[mean] = mu, F[rstd] = r;
  const c = -mu * r;
  for (let k = 0; k < E; k++) F[y + k] = (F[x + k] * r + c) * F[w + k] + F[b + k];
}

/**
 * First row of chunk `c` when [0, N) is cut into `chunks` (fixed by N and E,
 * never by the thread count, so the partial sums and their total are too).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chunkRows } from "./tasks.ts";
 * assert.deepEqual([0, 1, 2, 3].map((c) => chunkRows(10, 3, c)), [0, 3, 6, 10]);
 * ```
 */
export const chunkRows = (N: number, chunks: number, c: number): number =>
  Math.floor((N * c) / chunks);

/**
 * a = [dy, x, w, mean, rstd, dx, E, N, chunks, acc]; units: row chunks.
 * Writes dx and, per chunk c, the float64 sums of dy xhat and of dy over its
 * rows to heap.f64[acc + 2cE ..) and [acc + (2c + 1)E ..) (`acc` in
 * float64s: a malloc'd block of the heap, so the SIMD loop reaches it too).
 */
function layerNormGrad(h: Heap, a: Float64Array, lo: number, hi: number): void {
  const E = a[6] | 0, N = a[7] | 0, chunks = a[8] | 0, acc = a[9] | 0;
  const dy = a[0] | 0, x = a[1] | 0, w = a[2] | 0, mean = a[3] | 0, rstd = a[4] | 0, dx = a[5] | 0;
  for (let c = lo; c < hi; c++) {
    const accW = acc + 2 * c * E, k = h.simd;
    h.f64.fill(0, accW, accW + 2 * E);
    for (let i = chunkRows(N, chunks, c), e = chunkRows(N, chunks, c + 1); i < e; i++) {
      const o = i * E;
      if (k) {
        k.layerNormGradRow(
          4 * (dy + o),
          4 * (x + o),
          4 * w,
          4 * (dx + o),
          8 * accW,
          8 * (accW + E),
          4 * (mean + i),
          4 * (rstd + i),
          E,
        );
      } else {layerNormGradRow(
          h.f32,
          h.f64,
          dy + o,
          x + o,
          w,
          dx + o,
          accW,
          accW + E,
          mean + i,
          rstd + i,
          E,
        );}
    }
  }
}

function layerNormGradRow(
  F: Float32Array,
  S: Float64Array,
  dy: number,
  x: number,
  w: number,
  dx: number,
  accW: number,
  accB: number,
  mean: number,
  rstd: number,
  E: number,
): void {
  const mu = F[mean], r = F[rstd];
  // Even and odd columns in two sums (as the SIMD twin's two lanes).
  let sg0 = 0, sg1 = 0, sgx0 = 0, sgx1 = 0, j = 0;
  for (; j + 1 < E; j += 2) {
    const d0 = F[dy + j], xh0 = (F[x + j] - mu) * r, g0 = d0 * F[w + j];
    const d1 = F[dy + j + 1], xh1 = (F[x + j + 1] - mu) * r, g1 = d1 * F[w + j + 1];
    sg0 += g0, sgx0 += g0 * xh0, sg1 += g1, sgx1 += g1 * xh1;
    S[accW + j] += d0 * xh0, S[accB + j] += d0;
    S[accW + j + 1] += d1 * xh1, S[accB + j + 1] += d1;
  }
  if (j < E) {
    const d = F[dy + j], xh = (F[x + j] - mu) * r, g = d * F[w + j];
    sg0 += g, sgx0 += g * xh;
    S[accW + j] += d * xh, S[accB + j] += d;
  }
  const mg = (sg0 + sg1) / E, mgx = (sgx0 + sgx1) / E;
  for (let j = 0; j < E; j++) {
    F[dx + j] = r * (F[dy + j] * F[w + j] - mg - (F[x + j] - mu) * r * mgx);
  }
}

let sums = new Float64Array(0);
/**
 * This thread's zeroed float64 accumulators (not shared: a loop's
 * read-modify-writes on a SharedArrayBuffer view cost about twice as much).
 */
function localSums(n: number): Float64Array {
  if (sums.length < n) sums = new Float64Array(n);
  const v = sums.subarray(0, n);
  v.fill(0);
  return v;
}

/** a = [x, w, y, rstd, E, eps]; units: rows. */
function rmsNorm(h: Heap, a: Float64Array, lo: number, hi: number): void {
  const F = h.f32, E = a[4] | 0, eps = a[5];
  const x = a[0] | 0, w = a[1] | 0, y = a[2] | 0, rstd = a[3] | 0;
  for (let i = lo; i < hi; i++) rmsNormRow(F, x + i * E, w, y + i * E, rstd + i, E, eps);
}

function rmsNormRow(
  F: Float32Array,
  x: number,
  w: number,
  y: number,
  rstd: number,
  E: number,
  eps: number,
): void {
  let s = 0;
  for (let j = 0; j < E; j++) s += F[x + j] * F[x + j];
  const r = 1 / Math.sqrt(s / E + eps);
  F[rstd] = r;
  for (let j = 0; j < E; j++) F[y + j] = F[x + j] * r * F[w + j];
}

/**
 * a = [dy, x, w, rstd, dx, E, N, chunks]; units: row chunks. Writes dx and,
 * per chunk c, sum(dy xhat) to scratch[cE ..).
 */
function rmsNormGrad(h: Heap, a: Float64Array, lo: number, hi: number): void {
  const F = h.f32, S = h.scratch, E = a[5] | 0, N = a[6] | 0, chunks = a[7] | 0;
  const dy = a[0] | 0, x = a[1] | 0, w = a[2] | 0, rstd = a[3] | 0, dx = a[4] | 0;
  for (let c = lo; c < hi; c++) {
    const acc = localSums(E);
    for (let i = chunkRows(N, chunks, c), e = chunkRows(N, chunks, c + 1); i < e; i++) {
      const o = i * E;
      rmsNormGradRow(F, acc, dy + o, x + o, w, dx + o, 0, F[rstd + i], E);
    }
    S.set(acc, c * E);
  }
}

function rmsNormGradRow(
  F: Float32Array,
  S: Float64Array,
  dy: number,
  x: number,
  w: number,
  dx: number,
  accW: number,
  r: number,
  E: number,
): void {
  let sgx = 0;
  for (let j = 0; j < E; j++) {
    const d = F[dy + j], xh = F[x + j] * r;
    sgx += d * F[w + j] * xh;
    S[accW + j] += d * xh;
  }
  const mgx = sgx / E;
  for (let j = 0; j < E; j++) F[dx + j] = r * (F[dy + j] * F[w + j] - F[x + j] * r * mgx);
}

// ----------------------------------------------------------- activations

const GELU_C = Math.sqrt(2 / Math.PI), GELU_A = 0.044715;

/** a = [x, u2]; units: elements. u2 = 2c (x + 0.044715 x^3), GELU(tanh)'s sigmoid argument. */
function geluArg(h: Heap, a: Float64Array, lo: number, hi: number): void {
  if (h.simd) h.simd.geluArg(4 * a[0], 4 * a[1], lo, hi, 2 * GELU_C, 2 * GELU_C * GELU_A);
  else geluArgLoop(h.f32, a[0] | 0, a[1] | 0, lo, hi);
}

function geluArgLoop(F: Float32Array, x: number, u: number, lo: number, hi: number): void {
  const c2 = 2 * GELU_C, ca = 2 * GELU_C * GELU_A;
  for (let i = lo; i < hi; i++) {
    const v = F[x + i];
    F[u + i] = c2 * v + ca * v * v * v;
  }
}

/** a = [dy, x, s, dx]; units: elements. dx = dy GELU'(x), from s = sigmoid(2u). */
function geluGrad(h: Heap, a: Float64Array, lo: number, hi: number): void {
  if (h.simd) h.simd.geluGrad(4 * a[0], 4 * a[1], 4 * a[2], 4 * a[3], lo, hi, GELU_C, 3 * GELU_A);
  else geluGradLoop(h.f32, a[0] | 0, a[1] | 0, a[2] | 0, a[3] | 0, lo, hi);
}

function geluGradLoop(
  F: Float32Array,
  dy: number,
  x: number,
  s: number,
  dx: number,
  lo: number,
  hi: number,
): void {
  const a3 = 3 * GELU_A;
  for (let i = lo; i < hi; i++) {
    const v = F[x + i], th = 2 * F[s + i] - 1;
    F[dx + i] = F[dy + i] * 0.5 * (1 + th + v * (1 - th * th) * GELU_C * (1 + a3 * v * v));
  }
}

/**
 * a = [x, y, out]; units: elements. out = x + y in float32 (SIMD only:
 * without it the kernels keep tfjs-wasm's Add, which rounds the same).
 */
function add(h: Heap, a: Float64Array, lo: number, hi: number): void {
  h.simd!.addF32(4 * a[0], 4 * a[1], 4 * a[2], lo, hi);
}

/** a = [x, y, out]; units: elements. out = x y in float32 (SIMD only, as `add`). */
function mul(h: Heap, a: Float64Array, lo: number, hi: number): void {
  h.simd!.mulF32(4 * a[0], 4 * a[1], 4 * a[2], lo, hi);
}

/** a = [p, dp, ds, C]; units: rows. ds = p (dp - rowsum(dp p)). */
function softmaxGrad(h: Heap, a: Float64Array, lo: number, hi: number): void {
  const F = h.f32, C = a[3] | 0, p = a[0] | 0, dp = a[1] | 0, ds = a[2] | 0;
  for (let r = lo; r < hi; r++) {
    if (h.simd) h.simd.softmaxGradRow(4 * (p + r * C), 4 * (dp + r * C), 4 * (ds + r * C), C);
    else softmaxGradRow(F, p + r * C, dp + r * C, ds + r * C, C);
  }
}

/**
 * One row of the softmax gradient at offsets p, d, ds of F (ds may be d):
 * ds = p (d - sum(d p)).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { softmaxGradRow } from "./tasks.ts";
 * const F = new Float32Array([0.5, 0.5, 0, 1, 3, 7]); // p at 0, d at 3
 * softmaxGradRow(F, 0, 3, 3, 3); // the hidden third column's gradient is 0
 * assert.deepEqual([...F.subarray(3)], [-0.5, 0.5, 0]);
 * ```
 */
export function softmaxGradRow(F: Float32Array, p: number, d: number, ds: number, C: number): void {
  // Trailing zero probabilities (the masked part of a causal row) give zero
  // gradient: only P is read there.
  let n = C;
  while (n > 0 && F[p + n - 1] === 0) n--;
  // Two accumulators: the sum is a dependent chain of adds otherwise.
  let s0 = 0, s1 = 0, j = 0;
  for (; j + 1 < n; j += 2) s0 += F[d + j] * F[p + j], s1 += F[d + j + 1] * F[p + j + 1];
  if (j < n) s0 += F[d + j] * F[p + j];
  const s = s0 + s1;
  for (let k = 0; k < n; k++) F[ds + k] = F[p + k] * (F[d + k] - s);
  F.fill(0, ds + n, ds + C);
}

// ----------------------------------------------------------------- AdamW

/** Numbers per tensor in AdamW's arguments: p, g, m, v, p', m', v', size, keep. */
export const ADAMW_STRIDE = 9;
/** AdamW's leading scalars: scale, beta1, beta2, sqrt(bc2), lr / bc1, eps. */
export const ADAMW_HEAD = 6;

/** a = [ADAMW_HEAD scalars, then ADAMW_STRIDE per tensor]; units: tensors. scratch[i] = |g_i|^2. */
function sumSquares(h: Heap, a: Float64Array, lo: number, hi: number): void {
  for (let i = lo; i < hi; i++) {
    const t = ADAMW_HEAD + i * ADAMW_STRIDE;
    h.scratch[i] = h.simd
      ? h.simd.sumSquares(4 * a[t + 1], a[t + 7])
      : sumSquaresLoop(h.f32, a[t + 1] | 0, a[t + 7] | 0);
  }
}

function sumSquaresLoop(F: Float32Array, g: number, n: number): number {
  let s0 = 0, s1 = 0, j = g;
  for (const e = g + n - 1; j < e; j += 2) s0 += F[j] * F[j], s1 += F[j + 1] * F[j + 1];
  if (j < g + n) s0 += F[j] * F[j];
  return s0 + s1;
}

/** Same arguments as sumSquares; units: tensors. Moments round to float32 before the update. */
function adamwUpdate(h: Heap, a: Float64Array, lo: number, hi: number): void {
  for (let i = lo; i < hi; i++) {
    const t = ADAMW_HEAD + i * ADAMW_STRIDE, k = h.simd;
    if (k) {
      const [p, g, m, v, po, mo, vo] = [0, 1, 2, 3, 4, 5, 6].map((j) => 4 * a[t + j]);
      k.adamw(p, g, m, v, po, mo, vo, a[t + 7], a[0], a[1], a[2], a[3], a[4], a[5], a[t + 8]);
    } else adamwLoop(h.f32, a, t);
  }
}

function adamwLoop(F: Float32Array, a: Float64Array, t: number): void {
  const scale = a[0], b1 = a[1], b2 = a[2], sb2 = a[3], step = a[4], eps = a[5];
  const p = a[t] | 0, g = a[t + 1] | 0, m = a[t + 2] | 0, v = a[t + 3] | 0;
  const po = a[t + 4] | 0, mo = a[t + 5] | 0, vo = a[t + 6] | 0, n = a[t + 7] | 0, keep = a[t + 8];
  const c1 = 1 - b1, c2 = 1 - b2;
  for (let j = 0; j < n; j++) {
    const gj = F[g + j] * scale;
    const mj = Math.fround(F[m + j] * b1 + gj * c1);
    const vj = Math.fround(F[v + j] * b2 + gj * gj * c2);
    F[mo + j] = mj, F[vo + j] = vj;
    F[po + j] = F[p + j] * keep - (mj / (Math.sqrt(vj) / sb2 + eps)) * step;
  }
}

// ---------------------------------------------------------------- sgemm

/**
 * a = [transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, rows]
 * (A, B, C byte addresses); units: blocks of `rows` rows of C. Each part is
 * one single-threaded product over its rows, so a thread's sums run in the
 * same order as the whole product's would.
 */
function sgemmRows(_h: Heap, a: Float64Array, lo: number, hi: number): void {
  const ta = a[0] === 1, tb = a[1] === 1, M = a[2], rows = a[13];
  const r0 = lo * rows, r1 = Math.min(M, hi * rows);
  if (r1 <= r0) return;
  // Row r of op(A) is column r of A (transA) or row r.
  const A = a[6] + 4 * r0 * (ta ? 1 : a[7]);
  sgemmStridedAt(
    ta,
    tb,
    r1 - r0,
    a[3],
    a[4],
    a[5],
    A,
    a[7],
    a[8],
    a[9],
    a[10],
    a[11] + 4 * r0 * a[12],
    a[12],
  );
}

// ------------------------------------------------------------- attention

/**
 * Attention's arguments: the layout (lib/kernels/attention_kernel.ts
 * `AttnLayout`), the causal row-block ends and the tensors' offsets.
 */
export const ATT = {
  B: 0,
  T: 1,
  H: 2,
  Hkv: 3,
  d: 4,
  ldq: 5,
  ldk: 6,
  ldv: 7,
  qOff: 8,
  kOff: 9,
  vOff: 10,
  scale: 11,
  /** Byte address of the heap's first float. */
  base: 12,
  /** Number of row-block ends, then up to 9 ends. */
  ne: 13,
  e: 14,
  /** Tensor offsets from here, in each task's own order. */
  t: 24,
} as const;

/** Byte address of head `hd` of row block `b` in a [B*T, ld] tensor at float offset `t`, heads from column `off`. */
function headAt(
  a: Float64Array,
  t: number,
  ld: number,
  off: number,
  b: number,
  hd: number,
): number {
  return a[ATT.base] + 4 * (t + b * a[ATT.T] * ld + off + hd * a[ATT.d]);
}

/** a = ATT layout, then [q, k, mask, s]; units: b * H + h. s = scale Q K^T + mask. */
function attnScores(h: Heap, a: Float64Array, lo: number, hi: number): void {
  const T = a[ATT.T], H = a[ATT.H], g = H / a[ATT.Hkv], d = a[ATT.d], ne = a[ATT.ne];
  const [q, k, mask, s] = [a[ATT.t], a[ATT.t + 1], a[ATT.t + 2], a[ATT.t + 3]];
  for (let u = lo; u < hi; u++) {
    const b = Math.floor(u / H), hd = u % H, so = s + u * T * T;
    h.f32.copyWithin(so | 0, mask | 0, (mask + T * T) | 0);
    const qa = headAt(a, q, a[ATT.ldq], a[ATT.qOff], b, hd);
    const ka = headAt(a, k, a[ATT.ldk], a[ATT.kOff], b, Math.floor(hd / g));
    for (let r = 0; r + 1 < ne; r++) {
      const r0 = a[ATT.e + r], r1 = a[ATT.e + r + 1];
      sgemmStridedAt(
        false,
        true,
        r1 - r0,
        r1,
        d,
        a[ATT.scale],
        qa + 4 * r0 * a[ATT.ldq],
        a[ATT.ldq],
        ka,
        a[ATT.ldk],
        1,
        a[ATT.base] + 4 * (so + r0 * T),
        T,
      );
    }
  }
}

/** a = ATT layout, then [p, v, o]; units: b * H + h. O_bh = P_bh V_bh in place (ldc H d). */
function attnPV(_h: Heap, a: Float64Array, lo: number, hi: number): void {
  const T = a[ATT.T], H = a[ATT.H], g = H / a[ATT.Hkv], d = a[ATT.d], A = H * d;
  const [p, v, o] = [a[ATT.t], a[ATT.t + 1], a[ATT.t + 2]];
  for (let u = lo; u < hi; u++) {
    const b = Math.floor(u / H), hd = u % H;
    const va = headAt(a, v, a[ATT.ldv], a[ATT.vOff], b, Math.floor(hd / g));
    const oa = headAt(a, o, A, 0, b, hd), pa = a[ATT.base] + 4 * (p + u * T * T);
    for (let r = 0; r + 1 < a[ATT.ne]; r++) {
      const r0 = a[ATT.e + r], r1 = a[ATT.e + r + 1];
      sgemmStridedAt(
        false,
        false,
        r1 - r0,
        d,
        r1,
        1,
        pa + 4 * r0 * T,
        T,
        va,
        a[ATT.ldv],
        0,
        oa + 4 * r0 * A,
        A,
      );
    }
  }
}

/**
 * a = ATT layout, then [dy, v, p, ds]; units: b * H + h. dS = P (dP -
 * rowsum(dP P)) of dP = dO V^T, each head's softmax gradient right after
 * its product (while it is in cache); hidden columns of dP are not computed.
 */
function attnDS(h: Heap, a: Float64Array, lo: number, hi: number): void {
  const T = a[ATT.T], H = a[ATT.H], g = H / a[ATT.Hkv], d = a[ATT.d], A = H * d;
  const [dy, v, p, ds] = [a[ATT.t], a[ATT.t + 1], a[ATT.t + 2], a[ATT.t + 3]];
  for (let u = lo; u < hi; u++) {
    const b = Math.floor(u / H), hd = u % H, blk = u * T * T;
    const da = headAt(a, dy, A, 0, b, hd);
    const va = headAt(a, v, a[ATT.ldv], a[ATT.vOff], b, Math.floor(hd / g));
    for (let r = 0; r + 1 < a[ATT.ne]; r++) {
      const r0 = a[ATT.e + r], r1 = a[ATT.e + r + 1];
      sgemmStridedAt(
        false,
        true,
        r1 - r0,
        r1,
        d,
        1,
        da + 4 * r0 * A,
        A,
        va,
        a[ATT.ldv],
        0,
        a[ATT.base] + 4 * (ds + blk + r0 * T),
        T,
      );
    }
    const pb = (p + blk) | 0, db = (ds + blk) | 0, Ti = T | 0;
    for (let r = 0; r < Ti; r++) {
      const k = h.simd, o = r * Ti;
      if (k) k.softmaxGradRow(4 * (pb + o), 4 * (db + o), 4 * (db + o), Ti);
      else softmaxGradRow(h.f32, pb + o, db + o, db + o, Ti);
    }
  }
}

/**
 * a = ATT layout, then [ds, p, dy, q, k, dq, dk, dv, lq, lk, oq, ok, ov]
 * (gradient layouts: leading dimensions and head offsets); units: b * Hkv +
 * j, a key/value head with its query heads in order (the first writes dk
 * and dv with beta = 0, the others add), so no two parts touch one output.
 */
function attnGrads(_h: Heap, a: Float64Array, lo: number, hi: number): void {
  const T = a[ATT.T], H = a[ATT.H], Hkv = a[ATT.Hkv], g = H / Hkv, d = a[ATT.d], A = H * d;
  const t = ATT.t, base = a[ATT.base];
  const lq = a[t + 8], lk = a[t + 9], oq = a[t + 10], ok = a[t + 11], ov = a[t + 12];
  for (let u = lo; u < hi; u++) {
    const b = Math.floor(u / Hkv), j = u % Hkv;
    for (let hd = j * g; hd < (j + 1) * g; hd++) {
      const blk = 4 * (b * H + hd) * T * T;
      const heads = {
        q: headAt(a, a[t + 3], a[ATT.ldq], a[ATT.qOff], b, hd),
        k: headAt(a, a[t + 4], a[ATT.ldk], a[ATT.kOff], b, j),
        dy: headAt(a, a[t + 2], A, 0, b, hd),
        dq: headAt(a, a[t + 5], lq, oq, b, hd),
        dk: headAt(a, a[t + 6], lk, ok, b, j),
        dv: headAt(a, a[t + 7], lk, ov, b, j),
      };
      const beta = hd === j * g ? 0 : 1;
      gradsOfHead(a, base + 4 * a[t] + blk, base + 4 * a[t + 1] + blk, heads, lq, lk, beta);
    }
  }
}

/** One (batch, head)'s dq, dk, dv by row blocks (dq) and column blocks (dk, dv) of dS and P. */
function gradsOfHead(
  a: Float64Array,
  ds: number,
  p: number,
  o: { q: number; k: number; dy: number; dq: number; dk: number; dv: number },
  lq: number,
  lk: number,
  beta: number,
): void {
  const T = a[ATT.T], d = a[ATT.d], ldq = a[ATT.ldq], ldk = a[ATT.ldk], scale = a[ATT.scale];
  const A = a[ATT.H] * d;
  for (let r = 0; r + 1 < a[ATT.ne]; r++) {
    const r0 = a[ATT.e + r], r1 = a[ATT.e + r + 1], rows = r1 - r0, below = T - r0;
    const corner = 4 * (r0 * T + r0);
    // dq rows [r0, r1) read dS columns [0, r1); dk, dv rows [r0, r1) read dS, P rows [r0, T).
    sgemmStridedAt(
      false,
      false,
      rows,
      d,
      r1,
      scale,
      ds + 4 * r0 * T,
      T,
      o.k,
      ldk,
      0,
      o.dq + 4 * r0 * lq,
      lq,
    );
    sgemmStridedAt(
      true,
      false,
      rows,
      d,
      below,
      scale,
      ds + corner,
      T,
      o.q + 4 * r0 * ldq,
      ldq,
      beta,
      o.dk + 4 * r0 * lk,
      lk,
    );
    sgemmStridedAt(
      true,
      false,
      rows,
      d,
      below,
      1,
      p + corner,
      T,
      o.dy + 4 * r0 * A,
      A,
      beta,
      o.dv + 4 * r0 * lk,
      lk,
    );
  }
}

/**
 * Every task by name; pool.ts numbers them in this order on every thread.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TASKS } from "./tasks.ts";
 * const f32 = new Float32Array([1, 2, 3, 0, 0, 0]);
 * const heap = {
 *   f32,
 *   f64: new Float64Array(0),
 *   scratch: new Float64Array(1),
 *   simd: null,
 * };
 * TASKS.geluArg(heap, new Float64Array([0, 3]), 0, 3); // elements [0, 3): x at 0, u2 at 3
 * assert.ok(f32[5] > f32[4] && f32[4] > f32[3]);
 * ```
 */
export const TASKS = {
  sgemmRows,
  layerNorm,
  layerNormGrad,
  rmsNorm,
  rmsNormGrad,
  geluArg,
  geluGrad,
  add,
  mul,
  softmaxGrad,
  sumSquares,
  adamwUpdate,
  attnScores,
  attnPV,
  attnDS,
  attnGrads,
} satisfies Record<string, Task>;

/** A task's name. */
export type TaskName = keyof typeof TASKS;
