/**
 * Attention (any additive mask; causal ones skip hidden keys) on the
 * projections' own layout (lib/kernels/attention_kernel.ts) as differentiable ops: q [B*T, H*d], k and v [B*T, Hkv*d] (or GPT-2's fused
 * qkv [B*T, 3A] in one tensor) in, [B*T, H*d] out, with per-head strided BLAS
 * products and no transposes. Forward: scores (mask and 1/sqrt(d) included),
 * tfjs-wasm's softmax, P V; backward: two kernels. Needs the wasm backend,
 * the fused kernels and native BLAS (lib/model/ops.ts `layoutAttentionActive`
 * checks); the mask gets a zero gradient.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { AttnLayout } from "./attention_kernel.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/** Sizes of one attention call: B rows of T tokens, H query and Hkv key/value heads of size d. */
export interface AttnDims {
  batch: number;
  seqLen: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
}

const run = (name: string, inputs: Any, attrs: Any): Any =>
  tf.engine().runKernel(name, inputs, attrs);

function layout(dims: AttnDims, packed: boolean): AttnLayout {
  const { batch: B, seqLen: T, numHeads: H, numKvHeads: Hkv, headDim: d } = dims;
  if (H % Hkv !== 0) throw new Error(`attention: ${H} heads do not share ${Hkv} key/value heads`);
  const A = H * d, K = Hkv * d;
  return packed
    ? {
      B,
      T,
      H,
      Hkv,
      d,
      ldq: 3 * A,
      ldk: 3 * A,
      ldv: 3 * A,
      qOff: 0,
      kOff: A,
      vOff: 2 * A,
      scale: 1 / Math.sqrt(d),
      packed,
    }
    : {
      B,
      T,
      H,
      Hkv,
      d,
      ldq: A,
      ldk: K,
      ldv: K,
      qOff: 0,
      kOff: 0,
      vOff: 0,
      scale: 1 / Math.sqrt(d),
      packed,
    };
}

/** Forward: probabilities [B*H, T, T] and output [B*T, H*d]. */
function forward(q: Any, k: Any, v: Any, mask: Any, L: AttnLayout): [tf.Tensor, tf.Tensor] {
  const p = tf.softmax(run("HcAttnScores", { q, k, mask }, L));
  return [p, run("HcAttnPV", { p, v, mask }, L)];
}

/** Backward: [dq, dk, dv] (or [dqkv] when packed). */
function backward(dy: Any, q: Any, k: Any, v: Any, p: Any, mask: Any, L: AttnLayout): tf.Tensor[] {
  return tf.tidy(() => {
    const ds = run("HcAttnDS", { dy, v, p, mask }, L);
    const g = run("HcAttnGrads", { ds, p, dy, q, k, mask }, L);
    return Array.isArray(g) ? g : [g];
  });
}

/**
 * softmax(q k^T / sqrt(d) + mask) v per head, q [B*T, H*d], k and v
 * [B*T, Hkv*d] (query head h reads key/value head floor(h / (H / Hkv))),
 * mask [T, T] additive; returns [B*T, H*d].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { nativeMatmulActive } from "../native_matmul.ts";
 * import { stridedAttention } from "./attention_op.ts";
 * await initBackend("wasm");
 * if (nativeMatmulActive()) {
 *   // Equal scores: token 0 reads v0, token 1 the mean of v0 and v1.
 *   const q = tf.zeros([2, 1]) as tf.Tensor2D, v = tf.tensor2d([[2], [4]]);
 *   const dims = { batch: 1, seqLen: 2, numHeads: 1, numKvHeads: 1, headDim: 1 };
 *   const o = stridedAttention(q, q, v, tf.tensor2d([[0, -1e9], [0, 0]]), dims);
 *   assert.deepEqual(await o.array(), [[2], [3]]);
 * }
 * ```
 */
export function stridedAttention(
  q: tf.Tensor2D,
  k: tf.Tensor2D,
  v: tf.Tensor2D,
  mask: tf.Tensor2D,
  dims: AttnDims,
): tf.Tensor2D {
  const L = layout(dims, false);
  const f = tf.customGrad((qi: Any, ki: Any, vi: Any, mi: Any, save: Any) => {
    const [p, o] = forward(qi, ki, vi, mi, L);
    save([qi, ki, vi, p, mi]);
    return {
      value: o,
      gradFunc: (dy: tf.Tensor, [qs, ks, vs, ps, ms]: tf.Tensor[]) => [
        ...backward(dy, qs, ks, vs, ps, ms, L),
        tf.zerosLike(mi),
      ],
    };
  });
  return (f as Any)(q, k, v, mask);
}

/**
 * As {@link stridedAttention} with q, k and v the three column blocks of one
 * [B*T, 3 H d] tensor (GPT-2's fused c_attn output, H = Hkv): no split, and
 * the gradient is one tensor of that shape (no concat).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { nativeMatmulActive } from "../native_matmul.ts";
 * import { packedAttention } from "./attention_op.ts";
 * await initBackend("wasm");
 * if (nativeMatmulActive()) {
 *   const qkv = tf.tensor2d([[0, 0, 2], [0, 0, 4]]); // q = k = 0, v = [2, 4]
 *   const dims = { batch: 1, seqLen: 2, numHeads: 1, numKvHeads: 1, headDim: 1 };
 *   const o = packedAttention(qkv, tf.tensor2d([[0, -1e9], [0, 0]]), dims);
 *   assert.deepEqual(await o.array(), [[2], [3]]);
 * }
 * ```
 */
export function packedAttention(qkv: tf.Tensor2D, mask: tf.Tensor2D, dims: AttnDims): tf.Tensor2D {
  const L = layout(dims, true);
  const f = tf.customGrad((x: Any, mi: Any, save: Any) => {
    const [p, o] = forward(x, x, x, mi, L);
    save([x, p, mi]);
    return {
      value: o,
      gradFunc: (dy: tf.Tensor, [xs, ps, ms]: tf.Tensor[]) => [
        backward(dy, xs, xs, xs, ps, ms, L)[0],
        tf.zerosLike(mi),
      ],
    };
  });
  return (f as Any)(qkv, mask);
}
