/**
 * Causal attention straight on the projections' [B*T, heads * d] layout, as
 * tfjs-wasm kernels that call native `cblas_sgemm` once per (batch, head)
 * with leading dimensions: head h of row block b is the [T, d] matrix at
 * column h * d of rows b T .. b T + T - 1, so no head transposes, no split of
 * GPT-2's fused qkv and no tile of Llama's shared key/value heads (query head
 * h reads key/value head floor(h / (H / Hkv)); their gradients accumulate
 * with beta = 1). The 1/sqrt(d) scale is sgemm's alpha. The softmax forward
 * stays tfjs-wasm's (XNNPACK's exp); its gradient is the fused row loop of
 * act_kernels.ts. Only with the native matmul path; registered by
 * lib/kernels/fused.ts, called through lib/kernels/attention_op.ts.
 *
 * Causal masks: when the mask hides everything right of a block diagonal
 * (row block r sees no column past its own end), each head's products are
 * cut into row blocks of 64 or more that skip the hidden columns, whose
 * probabilities are exactly 0 (a quarter of the products at T = 128, 3/8 at
 * T >= 256); the terms skipped are exact zeros, so the sums are unchanged.
 *
 * Every kernel takes the layout as attrs (`AttnLayout`) and the mask.
 *
 * @module
 */
import { blasSingleThread } from "../blas.ts";
import { heapOffset, heapView, wasmMemory } from "./norm_kernels.ts";
import { parallelFor } from "./pool.ts";
import { ATT } from "./tasks.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/**
 * Where the heads live: B rows of T tokens, H query heads and Hkv key/value
 * heads of size d; q, k, v rows are ldq / ldk / ldv floats apart and their
 * heads start at column qOff / kOff / vOff (GPT-2's fused qkv: one tensor,
 * ld 3A, offsets 0, A, 2A); scale multiplies the scores.
 */
export interface AttnLayout {
  B: number;
  T: number;
  H: number;
  Hkv: number;
  d: number;
  ldq: number;
  ldk: number;
  ldv: number;
  qOff: number;
  kOff: number;
  vOff: number;
  scale: number;
  /** q, k and v are one tensor; the gradient is one tensor of its shape. */
  packed: boolean;
}

/** Value at and below which a mask entry hides its key (causalMask writes -1e9). */
const HIDDEN = -1e9;

/**
 * Row-block ends [0, e1, ..., T] such that row block r = [e_r, e_r+1) sees
 * no column at or past e_r+1 (mask entries there <= -1e9) and every row sees
 * its own key; [0, T] when the mask has no such structure or T < 128.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { causalBlocks } from "./attention_kernel.ts";
 * const T = 128, causal = new Float32Array(T * T);
 * for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) causal[i * T + j] = -1e9;
 * assert.deepEqual(causalBlocks(causal, T), [0, 64, 128]);
 * assert.deepEqual(causalBlocks(new Float32Array(T * T), T), [0, 128]); // sees every key
 * ```
 */
export function causalBlocks(M: Float32Array, T: number): number[] {
  const nb = Math.min(4, Math.floor(T / 64));
  if (nb < 2) return [0, T];
  const e = Array.from({ length: nb + 1 }, (_, r) => Math.round((T * r) / nb));
  for (let r = 0; r < nb; r++) {
    for (let i = e[r]; i < e[r + 1]; i++) {
      // A row that sees nothing would spread its probability over hidden keys too.
      if (!(M[i * T + i] > HIDDEN)) return [0, T];
      for (let j = e[r + 1]; j < T; j++) if (!(M[i * T + j] <= HIDDEN)) return [0, T];
    }
  }
  return e;
}

/**
 * The layout, the causal row-block ends and the tensors' heap offsets as a
 * task's arguments (lib/kernels/tasks.ts `ATT`); blas on one thread, since
 * the products are small and the helper threads call it too.
 */
function attnArgs(backend: Any, L: AttnLayout, mask: Any, tensors: Any[]): number[] {
  const e = causalBlocks(heapView(backend, mask), L.T);
  const a = new Array(ATT.t + tensors.length).fill(0);
  [L.B, L.T, L.H, L.Hkv, L.d, L.ldq, L.ldk, L.ldv, L.qOff, L.kOff, L.vOff, L.scale]
    .forEach((v, i) => a[i] = v);
  const heap: Uint8Array = backend.wasm.HEAPU8;
  a[ATT.base] = Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(heap)));
  a[ATT.ne] = e.length;
  e.forEach((v, i) => a[ATT.e + i] = v);
  tensors.forEach((t, i) => a[ATT.t + i] = typeof t === "number" ? t : heapOffset(backend, t));
  blasSingleThread();
  return a;
}

/** (batch, head) pairs per thread below which a helper is not worth waking. */
const MIN_HEADS = 2;

/**
 * HcAttnScores: q, k, mask [T, T] -> s [B*H, T, T] = scale Q_bh K_bh^T +
 * mask (each block filled with the mask, then the product added, beta = 1;
 * hidden columns keep the mask alone).
 */
export function attnScoresKernel(args: Any): Any {
  const { inputs: { q, k, mask }, attrs, backend } = args;
  const L = attrs as AttnLayout;
  const s = backend.makeOutput([L.B * L.H, L.T, L.T], "float32");
  const a = attnArgs(backend, L, mask, [q, k, mask, s]);
  parallelFor(wasmMemory(backend), "attnScores", a, MIN_HEADS, L.B * L.H);
  return s;
}

/** HcAttnPV: p [B*H, T, T], v, mask -> o [B*T, H*d], O_bh = P_bh V_bh written in place (ldc H*d). */
export function attnPVKernel(args: Any): Any {
  const { inputs: { p, v, mask }, attrs, backend } = args;
  const L = attrs as AttnLayout;
  const o = backend.makeOutput([L.B * L.T, L.H * L.d], "float32");
  const a = attnArgs(backend, L, mask, [p, v, o]);
  parallelFor(wasmMemory(backend), "attnPV", a, MIN_HEADS, L.B * L.H);
  return o;
}

/**
 * HcAttnDS: dy [B*T, H*d], v, p [B*H, T, T], mask -> dS [B*H, T, T] = the
 * softmax gradient p (dP - rowsum(dP p)) of dP = dO_bh V_bh^T, each block in
 * place right after its product (while it is in cache). Hidden columns of dP
 * are not computed: their p is 0, so the row loop never reads them.
 */
export function attnDSKernel(args: Any): Any {
  const { inputs: { dy, v, p, mask }, attrs, backend } = args;
  const L = attrs as AttnLayout;
  const ds = backend.makeOutput([L.B * L.H, L.T, L.T], "float32");
  const a = attnArgs(backend, L, mask, [dy, v, p, ds]);
  parallelFor(wasmMemory(backend), "attnDS", a, MIN_HEADS, L.B * L.H);
  return ds;
}

/**
 * HcAttnGrads: ds, p [B*H, T, T], dy [B*T, H*d], q, k, mask -> dq = scale
 * dS K, dk = scale dS^T Q, dv = P^T dO in q's, k's and v's layouts (one
 * tensor of q's shape when packed). The first query head of a group writes
 * its key/value head's gradient (beta = 0), the others add to it (beta = 1);
 * a thread takes whole groups.
 */
export function attnGradsKernel(args: Any): Any {
  const { inputs: { ds, p, dy, q, k, mask }, attrs, backend } = args;
  const L = attrs as AttnLayout, { B, T, H, Hkv, d } = L;
  const outs = L.packed ? [backend.makeOutput([B * T, L.ldq], "float32")] : [
    backend.makeOutput([B * T, H * d], "float32"),
    backend.makeOutput([B * T, Hkv * d], "float32"),
    backend.makeOutput([B * T, Hkv * d], "float32"),
  ];
  const [dq, dk, dv] = L.packed ? [outs[0], outs[0], outs[0]] : outs;
  // Gradient layouts: the inputs' own (packed) or dense [B*T, heads * d].
  const lay = L.packed ? [L.ldq, L.ldq, L.qOff, L.kOff, L.vOff] : [H * d, Hkv * d, 0, 0, 0];
  const a = attnArgs(backend, L, mask, [ds, p, dy, q, k, dq, dk, dv, ...lay]);
  parallelFor(wasmMemory(backend), "attnGrads", a, Math.max(1, MIN_HEADS / (H / Hkv)), B * Hkv);
  return outs;
}
