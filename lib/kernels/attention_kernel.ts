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
 * Every kernel takes the layout as attrs (`AttnLayout`).
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

/**
 * HcAttnScores: q, k, mask [T, T] -> s [B*H, T, T] = scale Q_bh K_bh^T +
 * mask (each block filled with the mask, then the product added, beta = 1).
 */
export function attnScoresKernel(args: Any): Any {
  const { inputs: { q, k, mask }, attrs, backend } = args;
  const L = attrs as AttnLayout, { B, T, H, d } = L, g = H / L.Hkv;
  const s = backend.makeOutput([B * H, T, T], "float32");
  const S = heapView(backend, s), M = heapView(backend, mask);
  for (let i = 0; i < B * H; i++) S.set(M, i * T * T);
  const at = addressOf(backend), pq = at(q), pk = at(k), ps = at(s);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const qa = headAt(pq, L, L.ldq, L.qOff, b, h),
        ka = headAt(pk, L, L.ldk, L.kOff, b, (h / g) | 0);
      const sa = ps + 4 * (b * H + h) * T * T;
      sgemmStridedAt(false, true, T, T, d, L.scale, qa, L.ldq, ka, L.ldk, 1, sa, T);
    }
  }
  return s;
}

/** HcAttnPV: p [B*H, T, T], v -> o [B*T, H*d], O_bh = P_bh V_bh written in place (ldc H*d). */
export function attnPVKernel(args: Any): Any {
  const { inputs: { p, v }, attrs, backend } = args;
  const L = attrs as AttnLayout, { B, T, H, d } = L, g = H / L.Hkv;
  const o = backend.makeOutput([B * T, H * d], "float32");
  const at = addressOf(backend), pp = at(p), pv = at(v), po = at(o);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const va = headAt(pv, L, L.ldv, L.vOff, b, (h / g) | 0), oa = headAt(po, L, H * d, 0, b, h);
      const pa = pp + 4 * (b * H + h) * T * T;
      sgemmStridedAt(false, false, T, d, T, 1, pa, T, va, L.ldv, 0, oa, H * d);
    }
  }
  return o;
}

/**
 * HcAttnDS: dy [B*T, H*d], v, p [B*H, T, T] -> dS [B*H, T, T] = the softmax
 * gradient p (dP - rowsum(dP p)) of dP = dO_bh V_bh^T, each block in place
 * right after its product (while it is in cache).
 */
export function attnDSKernel(args: Any): Any {
  const { inputs: { dy, v, p }, attrs, backend } = args;
  const L = attrs as AttnLayout, { B, T, H, d } = L, g = H / L.Hkv;
  const ds = backend.makeOutput([B * H, T, T], "float32");
  const at = addressOf(backend), pdy = at(dy), pv = at(v), pds = at(ds);
  const P = heapView(backend, p), DS = heapView(backend, ds);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const da = headAt(pdy, L, H * d, 0, b, h), va = headAt(pv, L, L.ldv, L.vOff, b, (h / g) | 0);
      const blk = (b * H + h) * T * T;
      sgemmStridedAt(false, true, T, T, d, 1, da, H * d, va, L.ldv, 0, pds + 4 * blk, T);
      for (let r = 0; r < T; r++) softmaxGradRow(P, DS, DS, blk + r * T, T);
    }
  }
  return ds;
}

/**
 * HcAttnGrads: ds, p [B*H, T, T], dy [B*T, H*d], q, k -> dq = scale dS K,
 * dk = scale dS^T Q, dv = P^T dO in q's, k's and v's layouts (one tensor of
 * q's shape when packed). The first query head of a group writes its
 * key/value head's gradient (beta = 0), the others add to it (beta = 1).
 */
export function attnGradsKernel(args: Any): Any {
  const { inputs: { ds, p, dy, q, k }, attrs, backend } = args;
  const L = attrs as AttnLayout, { B, T, H, Hkv, d } = L, g = H / Hkv;
  const outs = L.packed ? [backend.makeOutput([B * T, L.ldq], "float32")] : [
    backend.makeOutput([B * T, H * d], "float32"),
    backend.makeOutput([B * T, Hkv * d], "float32"),
    backend.makeOutput([B * T, Hkv * d], "float32"),
  ];
  const at = addressOf(backend), pds = at(ds), pp = at(p), pdy = at(dy), pq = at(q), pk = at(k);
  const [pdq, pdk, pdv] = L.packed ? [0, 0, 0].map(() => at(outs[0])) : outs.map(at);
  // Gradient layouts: the inputs' own (packed) or dense [B*T, heads * d].
  const [lq, lk, oq, ok, ov] = L.packed
    ? [L.ldq, L.ldq, L.qOff, L.kOff, L.vOff]
    : [H * d, Hkv * d, 0, 0, 0];
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const j = (h / g) | 0, beta = h % g === 0 ? 0 : 1, blk = 4 * (b * H + h) * T * T;
      const qa = headAt(pq, L, L.ldq, L.qOff, b, h), ka = headAt(pk, L, L.ldk, L.kOff, b, j);
      const da = headAt(pdy, L, H * d, 0, b, h);
      const dqa = headAt(pdq, L, lq, oq, b, h), dka = headAt(pdk, L, lk, ok, b, j);
      const dva = headAt(pdv, L, lk, ov, b, j);
      sgemmStridedAt(false, false, T, d, T, L.scale, pds + blk, T, ka, L.ldk, 0, dqa, lq);
      sgemmStridedAt(true, false, T, d, T, L.scale, pds + blk, T, qa, L.ldq, beta, dka, lk);
      sgemmStridedAt(true, false, T, d, T, 1, pp + blk, T, da, H * d, beta, dva, lk);
    }
  }
  return outs;
}
