/**
 * Attention on the projections' own layout (lib/kernels/attention_op.ts:
 * per-head strided BLAS products, no transposes) equals the transposed path
 * the model uses elsewhere (reshape, transpose, tile of shared heads, q
 * scaled, `attentionCore`, transpose back): output and the q, k, v (or fused
 * qkv) gradients, with and without grouped-query heads. Tolerances are
 * float32 error bounds of the two evaluation orders, elementwise, computed in
 * float64 from |.| of the terms (u = 2^-24).
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/backend.ts";
import { nativeMatmulActive } from "../lib/native_matmul.ts";
import { packedAttention, stridedAttention } from "../lib/kernels/attention_op.ts";
import { attentionCore, layoutAttentionActive } from "../lib/model/ops.ts";
import { causalMask } from "../lib/model/transformer.ts";
import { makeRng } from "../lib/rng.ts";
import { causalBlocks } from "../lib/kernels/attention_kernel.ts";

await initBackend("wasm");
const U = 2 ** -24;

function host(n: number, seed: number, scale = 1): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
}

/** The transposed path: [B*T, n*d] -> [B*H, T, d] heads (shared heads tiled), attentionCore, back. */
function reference(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, mask: tf.Tensor2D, D: Dims) {
  const { B, T, H, Hkv, d } = D, g = H / Hkv;
  const heads = (x: tf.Tensor, n: number) =>
    tf.transpose(tf.reshape(x, [B, T, n, d]), [0, 2, 1, 3]);
  const rep = (x: tf.Tensor) =>
    tf.reshape(tf.tile(tf.reshape(heads(x, Hkv), [B, Hkv, 1, T * d]), [1, 1, g, 1]), [B * H, T, d]);
  const qh = tf.reshape(heads(tf.mul(q, 1 / Math.sqrt(d)), H), [B * H, T, d]) as tf.Tensor3D;
  const o = attentionCore(qh, rep(k) as tf.Tensor3D, rep(v) as tf.Tensor3D, mask);
  return tf.reshape(tf.transpose(tf.reshape(o, [B, H, T, d]), [0, 2, 1, 3]), [B * T, H * d]);
}

interface Dims {
  B: number;
  T: number;
  H: number;
  Hkv: number;
  d: number;
}

/**
 * Error bounds (float64, from the inputs): scores differ by <= ds_i = (d + 3)
 * u max_j sum_c |q_ic k_jc| / sqrt(d) (two orders, alpha vs a pre-scaled q),
 * so p_ij by <= 2 ds_i p_ij plus softmax's own (T + 8) u p_ij. Then
 * o: sum_j (that) |v_j|; dv: the same over the group's rows with |dO|; dS_ij
 * carries e_i = 2 ds_i + (T + d + 8) u times B_ij = p_ij (W_ij + sum_l p_il
 * W_il), W = |dO| |v|^T; dq and dk sum B |k| and B |q| with their own
 * (T g + 2) u. Each bound is doubled (two evaluation orders).
 */
function bounds(
  Q: Float32Array,
  K: Float32Array,
  V: Float32Array,
  R: Float32Array,
  D: Dims,
  M: Float32Array,
) {
  const { B, T, H, Hkv, d } = D, g = H / Hkv, s = 1 / Math.sqrt(d), A = H * d, KV = Hkv * d;
  const to = new Float64Array(B * T * A), tq = new Float64Array(B * T * A);
  const tk = new Float64Array(B * T * KV), tv = new Float64Array(B * T * KV);
  const qi = (b: number, t: number, h: number, c: number) => (b * T + t) * A + h * d + c;
  const ki = (b: number, t: number, j: number, c: number) => (b * T + t) * KV + j * d + c;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const j = Math.floor(h / g);
      for (let i = 0; i < T; i++) {
        const sc = new Float64Array(T).fill(-Infinity), mag = new Float64Array(T);
        const W = new Float64Array(T), seen = (l: number) => M[i * T + l] > -1e9;
        for (let l = 0; l < T; l++) {
          if (!seen(l)) continue;
          sc[l] = 0;
          for (let c = 0; c < d; c++) {
            sc[l] += s * Q[qi(b, i, h, c)] * K[ki(b, l, j, c)];
            mag[l] += s * Math.abs(Q[qi(b, i, h, c)] * K[ki(b, l, j, c)]);
            W[l] += Math.abs(R[qi(b, i, h, c)] * V[ki(b, l, j, c)]);
          }
        }
        const mx = Math.max(...sc), ex = sc.map((x) => Math.exp(x - mx));
        const sum = ex.reduce((a, x) => a + x, 0), p = ex.map((x) => x / sum);
        const dS = (d + 3) * U * Math.max(...mag), ep = 2 * dS + (T + 8) * U;
        const pw = p.reduce((a, x, l) => a + (x ? x * W[l] : 0), 0), e = 2 * dS + (T + d + 8) * U;
        for (let l = 0; l < T; l++) {
          if (!seen(l)) continue;
          const Bil = p[l] * (W[l] + pw);
          for (let c = 0; c < d; c++) {
            to[qi(b, i, h, c)] += 2 * (ep + T * U) * p[l] * Math.abs(V[ki(b, l, j, c)]);
            tv[ki(b, l, j, c)] += 2 * (ep + (g * T + 8) * U) * p[l] * Math.abs(R[qi(b, i, h, c)]);
            tq[qi(b, i, h, c)] += 2 * s * (2 * e + (T + 2) * U) * Bil * Math.abs(K[ki(b, l, j, c)]);
            tk[ki(b, l, j, c)] += 2 * s * (2 * e + (g * T + 2) * U) * Bil *
              Math.abs(Q[qi(b, i, h, c)]);
          }
        }
      }
    }
  }
  return [to, tq, tk, tv];
}

function assertWithin(got: Float32Array, want: Float32Array, tol: ArrayLike<number>, what: string) {
  assert.equal(got.length, want.length, `${what}: length`);
  let worst = 0, at = 0;
  for (let i = 0; i < want.length; i++) {
    const r = Math.abs(got[i] - want[i]) / (tol[i] + 1e-30);
    if (!(r <= worst)) worst = r, at = i;
  }
  assert(worst <= 1, `${what}: |diff| ${Math.abs(got[at] - want[at])} > tol ${tol[at]} at ${at}`);
}

/** Output and gradients of loss = sum(attn(q, k, v) * r) for `op`, read back. */
function valueAndGrads(
  op: (q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D) => tf.Tensor,
  q: tf.Tensor2D,
  k: tf.Tensor2D,
  v: tf.Tensor2D,
  r: tf.Tensor2D,
): Float32Array[] {
  const ts = tf.tidy(() => [
    op(q, k, v),
    ...tf.grads((a, b, c) =>
      tf.sum(tf.mul(op(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D), r))
    )([q, k, v]),
  ]);
  const out = ts.map((t) => t.dataSync() as Float32Array);
  tf.dispose(ts);
  return out;
}

function compare(D: Dims, packed: boolean, maskOf = (T: number) => causalMask(T)) {
  const { B, T, H, Hkv, d } = D, A = H * d, KV = Hkv * d;
  const Q = host(B * T * A, 21, 2), K = host(B * T * KV, 22, 2), V = host(B * T * KV, 23);
  const R = host(B * T * A, 24);
  const q = tf.tensor2d(Q, [B * T, A]), k = tf.tensor2d(K, [B * T, KV]);
  const v = tf.tensor2d(V, [B * T, KV]), r = tf.tensor2d(R, [B * T, A]), mask = maskOf(T);
  const dims = { batch: B, seqLen: T, numHeads: H, numKvHeads: Hkv, headDim: d };
  const layoutOp = packed
    ? (a: tf.Tensor2D, b: tf.Tensor2D, c: tf.Tensor2D) =>
      packedAttention(tf.concat([a, b, c], 1) as tf.Tensor2D, mask, dims)
    : (a: tf.Tensor2D, b: tf.Tensor2D, c: tf.Tensor2D) => stridedAttention(a, b, c, mask, dims);
  const got = valueAndGrads(layoutOp, q, k, v, r);
  const want = valueAndGrads((a, b, c) => reference(a, b, c, mask, D), q, k, v, r);
  const tol = bounds(Q, K, V, R, D, mask.dataSync() as Float32Array);
  ["output", "dq", "dk", "dv"].forEach((what, i) => assertWithin(got[i], want[i], tol[i], what));
  tf.dispose([q, k, v, r, mask]);
}

Deno.test("layout attention is active on wasm with native BLAS and the fused kernels, off with dropout", () => {
  assert.equal(layoutAttentionActive(false), nativeMatmulActive());
  assert.equal(layoutAttentionActive(true), false);
});

Deno.test({
  name:
    "strided attention: output and q, k, v gradients equal the transposed path's (one kv head per head)",
  ignore: !nativeMatmulActive(),
  fn: () => compare({ B: 2, T: 12, H: 4, Hkv: 4, d: 8 }, false),
});

Deno.test({
  name:
    "strided attention, grouped-query (2 kv heads for 4): output and gradients equal the tiled path's",
  ignore: !nativeMatmulActive(),
  fn: () => compare({ B: 2, T: 12, H: 4, Hkv: 2, d: 8 }, false),
});

Deno.test({
  name: "packed attention (GPT-2's fused qkv): output and the qkv gradient equal the split path's",
  ignore: !nativeMatmulActive(),
  fn: () => compare({ B: 3, T: 10, H: 2, Hkv: 2, d: 16 }, true),
});

Deno.test("causal blocks: row blocks of >= 64 for a causal mask, none for T < 128 or a mask that shows a later key", () => {
  const m = (T: number) => causalMask(T).dataSync() as Float32Array;
  assert.deepEqual(causalBlocks(m(64), 64), [0, 64]);
  assert.deepEqual(causalBlocks(m(130), 130), [0, 65, 130]);
  assert.deepEqual(causalBlocks(m(256), 256), [0, 64, 128, 192, 256]);
  assert.deepEqual(causalBlocks(m(512), 512), [0, 128, 256, 384, 512]);
  const leak = m(128);
  leak[3 * 128 + 100] = 0; // row 3 sees key 100
  assert.deepEqual(causalBlocks(leak, 128), [0, 128]);
  const blind = m(128);
  blind[5 * 128 + 5] = -1e9; // row 5 no longer sees itself
  assert.deepEqual(causalBlocks(blind, 128), [0, 128]);
});

Deno.test({
  name:
    "strided attention by causal row blocks (T = 130, 2 blocks; GQA): equals the transposed path's",
  ignore: !nativeMatmulActive(),
  fn: () => compare({ B: 1, T: 130, H: 4, Hkv: 2, d: 8 }, false),
});

Deno.test({
  name: "packed attention by causal row blocks (T = 256, 4 blocks): equals the split path's",
  ignore: !nativeMatmulActive(),
  fn: () => compare({ B: 1, T: 256, H: 2, Hkv: 2, d: 8 }, true),
});

Deno.test({
  name:
    "strided attention with a mask that is not block-causal (T = 128, packed rows seeing later keys): equals the transposed path's",
  ignore: !nativeMatmulActive(),
  fn: () =>
    compare({ B: 2, T: 128, H: 2, Hkv: 1, d: 8 }, false, (T) => {
      // Two packed documents of 64 tokens, each fully visible to itself.
      const a = new Float32Array(T * T);
      for (let i = 0; i < T; i++) {
        for (let j = 0; j < T; j++) if ((i < 64) !== (j < 64)) a[i * T + j] = -1e9;
      }
      return tf.tensor2d(a, [T, T]);
    }),
});
