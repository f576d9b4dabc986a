/**
 * Building blocks shared by both families, on 2-D activations [B*T, E].
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { attentionCore, bmm, bmmNT, geluOp, layerNormOp, rmsNormOp } from "./ops.ts";

/**
 * LayerNorm over the last axis: (x - mean) / sqrt(var + eps) * w + b.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { layerNorm } from "./layers.ts";
 * const y = layerNorm(tf.ones([2, 4]), tf.ones([4]), tf.zeros([4]), 1e-5);
 * ```
 */
export function layerNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const E = x.shape[x.rank - 1];
    const y = layerNormOp(
      tf.reshape(x, [-1, E]) as tf.Tensor2D,
      w as tf.Tensor1D,
      b as tf.Tensor1D,
      eps,
    );
    return x.rank === 2 ? y : tf.reshape(y, x.shape);
  });
}

/**
 * RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * w (Llama).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { rmsNorm } from "./layers.ts";
 * const y = rmsNorm(tf.ones([2, 4]), tf.ones([4]), 1e-6);
 * ```
 */
export function rmsNorm(x: tf.Tensor, w: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const E = x.shape[x.rank - 1];
    const y = rmsNormOp(tf.reshape(x, [-1, E]) as tf.Tensor2D, w as tf.Tensor1D, eps);
    return x.rank === 2 ? y : tf.reshape(y, x.shape);
  });
}

/**
 * GELU, tanh approximation (HF "gelu_new"):
 * 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { geluTanh } from "./layers.ts";
 * const y = geluTanh(tf.tensor1d([-1, 0, 1]));
 * ```
 */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  return geluOp(x);
}

/**
 * RoPE tables in HF layout: cos and sin of shape [T, d], where column i and
 * i + d/2 share frequency theta^(-2i/d) (the rotate_half convention).
 *
 * @example
 * ```ts
 * import { ropeTables } from "./layers.ts";
 * const { cos, sin } = ropeTables(8, 4, 10000);
 * ```
 */
export function ropeTables(
  T: number,
  d: number,
  theta: number,
): { cos: Float32Array; sin: Float32Array } {
  const cos = new Float32Array(T * d), sin = new Float32Array(T * d);
  const half = d / 2;
  for (let i = 0; i < half; i++) {
    // HF computes inv_freq in float32, then the angle t * inv_freq in float32.
    const invFreq = Math.fround(1 / Math.pow(theta, (2 * i) / d));
    for (let t = 0; t < T; t++) {
      const ang = Math.fround(t * invFreq);
      const c = Math.cos(ang), s = Math.sin(ang);
      cos[t * d + i] = c, cos[t * d + i + half] = c;
      sin[t * d + i] = s, sin[t * d + i + half] = s;
    }
  }
  return { cos, sin };
}

/**
 * Applies RoPE to x [B, T, H, d] with tables [T, d] (as tensors [1, T, 1, d]):
 * x * cos + rotate_half(x) * sin, rotate_half(x) = [-x2, x1].
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { applyRope, ropeTables } from "./layers.ts";
 * const { cos, sin } = ropeTables(3, 4, 10000);
 * const y = applyRope(tf.ones([1, 3, 2, 4]), tf.tensor(cos, [1, 3, 1, 4]), tf.tensor(sin, [1, 3, 1, 4]));
 * ```
 */
export function applyRope(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const d = x.shape[x.rank - 1];
    const [x1, x2] = tf.split(x, [d / 2, d / 2], -1);
    const rotated = tf.concat([tf.neg(x2), x1], -1);
    return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
  });
}

/** Additive causal mask [T, T]: 0 on and below the diagonal, -1e9 above. */
export function causalMask(T: number): tf.Tensor2D {
  const m = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) m[i * T + j] = -1e9;
  return tf.tensor2d(m, [T, T]);
}

/** Options of `attention`. */
export interface AttentionOptions {
  batch: number;
  seqLen: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  mask: tf.Tensor2D;
  /** Applied to q and k ([B, T, H, d]) before the scores (RoPE). */
  rotate?: (t: tf.Tensor) => tf.Tensor;
  dropout?: (t: tf.Tensor) => tf.Tensor;
}

/** [B*T, heads*d] -> [B, heads, T, d] via [B, T, heads, d]. */
function toHeads(x: tf.Tensor, o: AttentionOptions, heads: number, rotate?: boolean): tf.Tensor {
  let t = tf.reshape(x, [o.batch, o.seqLen, heads, o.headDim]);
  if (rotate && o.rotate) t = o.rotate(t);
  return tf.transpose(t, [0, 2, 1, 3]);
}

/**
 * Causal scaled dot-product attention with grouped-query sharing: q
 * [B*T, H*d], k and v [B*T, Hkv*d]; query head h reads key/value head
 * floor(h / (H / Hkv)) (HF repeat_kv). Returns [B*T, H*d].
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { attention, causalMask } from "./layers.ts";
 * const q = tf.ones([3, 4]);
 * const y = attention(q, q, q, { batch: 1, seqLen: 3, numHeads: 2, numKvHeads: 2, headDim: 2, mask: causalMask(3) });
 * ```
 */
export function attention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  o: AttentionOptions,
): tf.Tensor {
  return tf.tidy(() => {
    const { batch: B, seqLen: T, numHeads: H, numKvHeads: Hkv, headDim: d } = o;
    let kh = toHeads(k, o, Hkv, true), vh = toHeads(v, o, Hkv);
    if (Hkv !== H) {
      const g = H / Hkv;
      // Rank-4 tile (tfjs has no gradient for rank-5 tile/broadcastTo).
      const rep = (t: tf.Tensor) =>
        tf.reshape(tf.tile(tf.reshape(t, [B, Hkv, 1, T * d]), [1, 1, g, 1]), [B, H, T, d]);
      kh = rep(kh), vh = rep(vh);
    }
    // Scaling q ([B*T, H*d]) is cheaper than scaling the [B*H, T, T] scores.
    const qh = toHeads(tf.mul(q, 1 / Math.sqrt(d)), o, H, true);
    const q3 = tf.reshape(qh, [B * H, T, d]) as tf.Tensor3D;
    const k3 = tf.reshape(kh, [B * H, T, d]) as tf.Tensor3D;
    const v3 = tf.reshape(vh, [B * H, T, d]) as tf.Tensor3D;
    let out: tf.Tensor3D; // [B*H, T, d]
    if (o.dropout) {
      // Dropout on the probabilities: the composable (slower) path.
      const probs = o.dropout(tf.softmax(tf.add(bmmNT(q3, k3), o.mask)));
      out = bmm(probs as tf.Tensor3D, v3);
    } else {
      out = attentionCore(q3, k3, v3, o.mask);
    }
    return tf.reshape(tf.transpose(tf.reshape(out, [B, H, T, d]), [0, 2, 1, 3]), [B * T, H * d]);
  });
}
