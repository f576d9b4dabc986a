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
import { sgemmStridedAt } from "../blas.ts";
import { softmaxGradRow } from "./act_kernels.ts";
import { heapView } from "./norm_kernels.ts";

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

/** Byte address of a tensor's data (take it after the last makeOutput: the heap may move). */
function addressOf(backend: Any): (t: Any) => number {
  const heap: Uint8Array = backend.wasm.HEAPU8;
  const base = Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(heap)));
  return (t: Any) => base + backend.dataIdMap.get(t.dataId).memoryOffset;
}

/** Byte address of head `h` of row block `b` in a [B*T, ld] buffer, heads from column `off`. */
const headAt = (p: number, L: AttnLayout, ld: number, off: number, b: number, h: number) =>
  p + 4 * (b * L.T * ld + off + h * L.d);

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
 * HcAttnScores: q, k, mask [T, T] -> s [B*H, T, T] = scale Q_bh K_bh^T +
 * mask (each block filled with the mask, then the product added, beta = 1;
 * hidden columns keep the mask alone).
 */
export function attnScoresKernel(args: Any): Any {
  const { inputs: { q, k, mask }, attrs, backend } = args;
  const L = attrs as AttnLayout, { B, T, H, d, ldq, ldk } = L, g = H / L.Hkv;
  const s = backend.makeOutput([B * H, T, T], "float32");
  const S = heapView(backend, s), M = heapView(backend, mask), e = causalBlocks(M, T);
  for (let i = 0; i < B * H; i++) S.set(M, i * T * T);
  const at = addressOf(backend), pq = at(q), pk = at(k), ps = at(s);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const qa = headAt(pq, L, ldq, L.qOff, b, h), ka = headAt(pk, L, ldk, L.kOff, b, (h / g) | 0);
      const sa = ps + 4 * (b * H + h) * T * T;
      for (let r = 0; r + 1 < e.length; r++) {
        const r0 = e[r], r1 = e[r + 1];
        sgemmStridedAt(
          false,
          true,
          r1 - r0,
          r1,
          d,
          L.scale,
          qa + 4 * r0 * ldq,
          ldq,
          ka,
          ldk,
          1,
          sa + 4 * r0 * T,
          T,
        );
      }
    }
  }
  return s;
}

/** HcAttnPV: p [B*H, T, T], v, mask -> o [B*T, H*d], O_bh = P_bh V_bh written in place (ldc H*d). */
export function attnPVKernel(args: Any): Any {
  const { inputs: { p, v, mask }, attrs, backend } = args;
  const L = attrs as AttnLayout, { B, T, H, d, ldv } = L, g = H / L.Hkv, A = H * d;
  const o = backend.makeOutput([B * T, A], "float32");
  const e = causalBlocks(heapView(backend, mask), T);
  const at = addressOf(backend), pp = at(p), pv = at(v), po = at(o);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const va = headAt(pv, L, ldv, L.vOff, b, (h / g) | 0), oa = headAt(po, L, A, 0, b, h);
      const pa = pp + 4 * (b * H + h) * T * T;
      for (let r = 0; r + 1 < e.length; r++) {
        const r0 = e[r], r1 = e[r + 1];
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
          ldv,
          0,
          oa + 4 * r0 * A,
          A,
        );
      }
    }
  }
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
  const L = attrs as AttnLayout, { B, T, H, d, ldv } = L, g = H / L.Hkv, A = H * d;
  const ds = backend.makeOutput([B * H, T, T], "float32");
  const e = causalBlocks(heapView(backend, mask), T);
  const at = addressOf(backend), pdy = at(dy), pv = at(v), pds = at(ds);
  const P = heapView(backend, p), DS = heapView(backend, ds);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const da = headAt(pdy, L, A, 0, b, h), va = headAt(pv, L, ldv, L.vOff, b, (h / g) | 0);
      const blk = (b * H + h) * T * T;
      for (let r = 0; r + 1 < e.length; r++) {
        const r0 = e[r], r1 = e[r + 1];
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
          ldv,
          0,
          pds + 4 * (blk + r0 * T),
          T,
        );
      }
      for (let r = 0; r < T; r++) softmaxGradRow(P, DS, DS, blk + r * T, T);
    }
  }
  return ds;
}

/**
 * HcAttnGrads: ds, p [B*H, T, T], dy [B*T, H*d], q, k, mask -> dq = scale
 * dS K, dk = scale dS^T Q, dv = P^T dO in q's, k's and v's layouts (one
 * tensor of q's shape when packed). The first query head of a group writes
 * its key/value head's gradient (beta = 0), the others add to it (beta = 1).
 */
export function attnGradsKernel(args: Any): Any {
  const { inputs: { ds, p, dy, q, k, mask }, attrs, backend } = args;
  const L = attrs as AttnLayout, { B, T, H, Hkv, d } = L, g = H / Hkv;
  const outs = L.packed ? [backend.makeOutput([B * T, L.ldq], "float32")] : [
    backend.makeOutput([B * T, H * d], "float32"),
    backend.makeOutput([B * T, Hkv * d], "float32"),
    backend.makeOutput([B * T, Hkv * d], "float32"),
  ];
  const e = causalBlocks(heapView(backend, mask), T);
  const at = addressOf(backend), pds = at(ds), pp = at(p), pdy = at(dy), pq = at(q), pk = at(k);
  const [pdq, pdk, pdv] = L.packed ? [0, 0, 0].map(() => at(outs[0])) : outs.map(at);
  // Gradient layouts: the inputs' own (packed) or dense [B*T, heads * d].
  const [lq, lk, oq, ok, ov] = L.packed
    ? [L.ldq, L.ldq, L.qOff, L.kOff, L.vOff]
    : [H * d, Hkv * d, 0, 0, 0];
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const j = (h / g) | 0, beta = h % g === 0 ? 0 : 1, blk = pds + 4 * (b * H + h) * T * T;
      const heads = {
        q: headAt(pq, L, L.ldq, L.qOff, b, h),
        k: headAt(pk, L, L.ldk, L.kOff, b, j),
        dy: headAt(pdy, L, H * d, 0, b, h),
        dq: headAt(pdq, L, lq, oq, b, h),
        dk: headAt(pdk, L, lk, ok, b, j),
        dv: headAt(pdv, L, lk, ov, b, j),
      };
      gradsOfHead(L, e, blk, blk - pds + pp, heads, lq, lk, beta);
    }
  }
  return outs;
}

/** One (batch, head)'s dq, dk, dv by row blocks (dq) and column blocks (dk, dv) of dS and P. */
function gradsOfHead(
  L: AttnLayout,
  e: number[],
  ds: number,
  p: number,
  a: { q: number; k: number; dy: number; dq: number; dk: number; dv: number },
  lq: number,
  lk: number,
  beta: number,
): void {
  const { T, d, ldq, ldk, scale } = L, A = L.H * d;
  for (let r = 0; r + 1 < e.length; r++) {
    const r0 = e[r], r1 = e[r + 1], rows = r1 - r0, below = T - r0, corner = 4 * (r0 * T + r0);
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
      a.k,
      ldk,
      0,
      a.dq + 4 * r0 * lq,
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
      a.q + 4 * r0 * ldq,
      ldq,
      beta,
      a.dk + 4 * r0 * lk,
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
      a.dy + 4 * r0 * A,
      A,
      beta,
      a.dv + 4 * r0 * lk,
      lk,
    );
  }
}
