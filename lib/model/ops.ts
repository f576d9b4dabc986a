/**
 * The few tensor operations the models are built from, in the forms that are
 * fast on every backend. On tfjs-wasm only the plain 2-D `matMul(a, b)` takes
 * the XNNPACK fast path, and every kernel call costs tens of microseconds of
 * engine overhead, so:
 * - with native BLAS (lib/native_matmul.ts) every product is one `matMul`
 *   with transpose flags, batched or not (BLAS takes the flags for free);
 * - without it, every product (forward and backward) is an explicit transpose
 *   plus a plain 2-D product; batched products are split into 2-D products
 *   after one bulk transpose (never one small transpose per matrix);
 * - reductions over rows (bias and norm-weight gradients) are `ones @ dy`
 *   products instead of axis-0 sums (which wasm runs as transpose + sum);
 * - layers with long autodiff chains (attention, LayerNorm, GELU, softmax
 *   cross-entropy) carry hand-written gradients with few kernels;
 * - the embedding gradient avoids the missing UnsortedSegmentSum kernel;
 * - splitting batched products (wasm's Unpack/SplitV) and autodiff's many
 *   Identity calls are cheap only with the kernels `initBackend` registers
 *   in place of tfjs-wasm's (lib/wasm_patches.ts).
 *
 * The model (lib/model/transformer.ts) calls these ops through one object,
 * `fast`, at the end of this file.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
// tfjs-core alone registers no gradients; the union package's bundle does.
import "@tensorflow/tfjs";
import { nativeMatmulActive } from "../native_matmul.ts";
import { fusedKernelsActive } from "../kernels/fused.ts";
import {
  fusedAffineValue,
  fusedEmbed,
  fusedGelu,
  fusedLayerNorm,
  fusedRmsNorm,
  fusedSoftmaxCrossEntropy,
  fusedSoftmaxGrad,
} from "../kernels/fused_ops.ts";
import { packedAttention, stridedAttention } from "../kernels/attention_op.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/**
 * One-hot rows as float32. tfjs-wasm 4.22's OneHot kernel ignores a float32
 * dtype and writes integer bits (1 reads as 1.4e-45), so build int32 and cast.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { oneHotFloat } from "./ops.ts";
 * await initBackend("cpu");
 * const h = oneHotFloat(tf.tensor1d([0, 2], "int32"), 3);
 * assert.equal(h.dtype, "float32");
 * assert.deepEqual(await h.array(), [[1, 0, 0], [0, 0, 1]]);
 * ```
 */
export function oneHotFloat(indices: tf.Tensor1D, depth: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(indices, depth), "float32") as tf.Tensor2D);
}

/** Plain 2-D product a @ b for [m, k] x [k, n]. */
function mm(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
}

const T2 = (t: tf.Tensor) => tf.transpose(t as tf.Tensor2D) as tf.Tensor2D;

/** op(a) @ op(b), op = transpose where asked: BLAS flags natively, else explicit transposes. */
function mmT(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): tf.Tensor2D {
  if (nativeMatmulActive()) return tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, ta, tb);
  return mm(ta ? T2(a) : a, tb ? T2(b) : b);
}

/** Column sums of a 2-D tensor as a plain product ones[1, N] @ x -> [C]. */
function colSum(x: tf.Tensor): tf.Tensor1D {
  const [n, c] = x.shape;
  return tf.reshape(mm(tf.ones([1, n]), x), [c]) as tf.Tensor1D;
}

/**
 * y = x @ w for x [N, in] and w [in, out] (GPT-2 Conv1D layout), with a
 * gradient made of plain 2-D products: dx = dy @ w^T, dw = x^T @ dy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { linear } from "./ops.ts";
 * await initBackend("cpu");
 * const y = linear(tf.tensor2d([[1, 2, 3]]), tf.tensor2d([[1, 0], [0, 1], [1, 1]]));
 * assert.deepEqual(await y.array(), [[4, 5]]);
 * ```
 */
export const linear: (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(
  (x: Any, w: Any, save: Any) => {
    save([x, w]);
    return {
      value: mm(x, w),
      gradFunc: (dy: tf.Tensor, [xs, ws]: tf.Tensor[]) =>
        tf.tidy(() => [mmT(dy, ws, false, true), mmT(xs, dy, true, false)]),
    };
  },
) as Any;

/**
 * y = x @ w + b for x [N, in], w [in, out], b [out] (GPT-2 Conv1D with bias):
 * dx = dy @ w^T, dw = x^T @ dy, db = ones @ dy, all plain 2-D products.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { affine } from "./ops.ts";
 * await initBackend("cpu");
 * const w = tf.tensor2d([[1, 0], [0, 1], [1, 1]]);
 * const y = affine(tf.tensor2d([[1, 2, 3]]), w, tf.tensor1d([10, 20]));
 * assert.deepEqual(await y.array(), [[14, 25]]);
 * ```
 */
export const affine: (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D = tf
  .customGrad(
    (x: Any, w: Any, b: Any, save: Any) => {
      save([x, w]);
      return {
        // Native BLAS: the bias is added by the product itself (beta = 1).
        value: fusedKernelsActive() && nativeMatmulActive() && x.dtype === "float32"
          ? fusedAffineValue(x, w, b)
          : tf.add(mm(x, w), b),
        gradFunc: (dy: tf.Tensor, [xs, ws]: tf.Tensor[]) =>
          tf.tidy(() => [
            mmT(dy, ws, false, true),
            mmT(xs, dy, true, false),
            colSum(dy),
          ]),
      };
    },
  ) as Any;

/**
 * y = x @ w^T for x [N, in] and w [out, in] (torch Linear layout, also the
 * tied LM head), with dx = dy @ w and dw = dy^T @ x.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { linearT } from "./ops.ts";
 * await initBackend("cpu");
 * const y = linearT(tf.tensor2d([[1, 2, 3]]), tf.tensor2d([[1, 0, 1], [0, 1, 1]])); // w [out, in]
 * assert.deepEqual(await y.array(), [[4, 5]]);
 * ```
 */
export const linearT: (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(
  (x: Any, w: Any, save: Any) => {
    save([x, w]);
    return {
      value: mmT(x, w, false, true),
      gradFunc: (dy: tf.Tensor, [xs, ws]: tf.Tensor[]) =>
        tf.tidy(() => [mm(dy, ws), mmT(dy, xs, true, false)]),
    };
  },
) as Any;

/** [G, m, k] -> [G, k, m] in one kernel. */
const T3 = (t: tf.Tensor) => tf.transpose(t, [0, 2, 1]) as tf.Tensor3D;

/** G plain 2-D products a[g] @ b[g] for a [G, m, k], b [G, k, n], stacked. */
function batched(a: tf.Tensor, b: tf.Tensor): tf.Tensor3D {
  if (nativeMatmulActive()) return tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D);
  if (a.shape[0] === 1) {
    return tf.expandDims(mm(tf.squeeze(a, [0]), tf.squeeze(b, [0])), 0) as tf.Tensor3D;
  }
  // tidy: the G slices and G products are freed as soon as they are stacked
  // (inside a gradient they would otherwise live until backprop ends).
  return tf.tidy(() => {
    const as = tf.unstack(a), bs = tf.unstack(b);
    return tf.stack(as.map((ai, i) => mm(ai, bs[i]))) as tf.Tensor3D;
  });
}

/** Batched op(a) @ op(b): BLAS flags natively, else bulk transposes + `batched`. */
function batchedT(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): tf.Tensor3D {
  if (nativeMatmulActive()) return tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, ta, tb);
  return batched(ta ? T3(a) : a, tb ? T3(b) : b);
}

/**
 * Batched a @ b^T for a [G, m, k], b [G, n, k] (attention scores), with a
 * gradient made of plain batched products.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { bmmNT } from "./ops.ts";
 * await initBackend("cpu");
 * const s = bmmNT(tf.tensor3d([[[1, 2]]]), tf.tensor3d([[[3, 4], [5, 6]]]));
 * assert.deepEqual(await s.array(), [[[11, 17]]]);
 * ```
 */
export const bmmNT: (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D = tf.customGrad(
  (a: Any, b: Any, save: Any) => {
    save([a, b]);
    return {
      value: batchedT(a, b, false, true),
      // da = dy @ b ; db = dy^T @ a
      gradFunc: (dy: tf.Tensor, [as, bs]: tf.Tensor[]) =>
        tf.tidy(() => [batched(dy, bs), batchedT(dy, as, true, false)]),
    };
  },
) as Any;

/**
 * Batched a @ b for a [G, m, k], b [G, k, n] (attention-weighted values).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { bmm } from "./ops.ts";
 * await initBackend("cpu");
 * const o = bmm(tf.tensor3d([[[1, 2]]]), tf.tensor3d([[[3, 4], [5, 6]]]));
 * assert.deepEqual(await o.array(), [[[13, 16]]]);
 * ```
 */
export const bmm: (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D = tf.customGrad(
  (a: Any, b: Any, save: Any) => {
    save([a, b]);
    return {
      value: batched(a, b),
      // da = dy @ b^T ; db = a^T @ dy
      gradFunc: (
        dy: tf.Tensor,
        [as, bs]: tf.Tensor[],
      ) => tf.tidy(() => [batchedT(dy, bs, false, true), batchedT(as, dy, true, false)]),
    };
  },
) as Any;

/**
 * Causal attention core for one group of G = batch * heads matrices: q, k, v
 * [G, T, d] (q already scaled by 1/sqrt(d)), additive mask [T, T]; returns
 * softmax(q k^T + mask) v [G, T, d]. Forward and backward are 6G plain 2-D
 * products plus a few whole-tensor kernels (one softmax, bulk transposes):
 * dP = dO v^T, dS = P * (dP - rowsum(dP * P)), dq = dS k, dk = dS^T q,
 * dv = P^T dO. The mask gets no gradient (zeros).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { attentionCore } from "./ops.ts";
 * await initBackend("cpu");
 * // Equal scores: token 0 reads v0, token 1 the mean of v0 and v1.
 * const q = tf.zeros<tf.Rank.R3>([1, 2, 1]), v = tf.tensor3d([[[2], [4]]]);
 * const o = attentionCore(q, q, v, tf.tensor2d([[0, -1e9], [0, 0]]));
 * assert.deepEqual(await o.array(), [[[2], [3]]]);
 * ```
 */
export const attentionCore: (
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  mask: tf.Tensor2D,
) => tf.Tensor3D = tf.customGrad(
  (q: Any, k: Any, v: Any, mask: Any, save: Any) => {
    // Fused (wasm): the softmax gradient in one kernel instead of four.
    const fused = fusedKernelsActive();
    const probs = tf.softmax(tf.add(batchedT(q, k, false, true), mask));
    save([q, k, v, probs]);
    return {
      value: batched(probs, v),
      gradFunc: (dy: tf.Tensor, [qs, ks, vs, p]: tf.Tensor[]) =>
        tf.tidy(() => {
          const dP = batchedT(dy, vs, false, true);
          const dS = fused
            ? fusedSoftmaxGrad(p, dP)
            : tf.mul(p, tf.sub(dP, tf.sum(tf.mul(dP, p), -1, true)));
          return [
            batched(dS, ks),
            batchedT(dS, qs, true, false),
            batchedT(p, dy, true, false),
            tf.zerosLike(mask),
          ];
        }),
    };
  },
) as Any;

/**
 * Whether attention runs on the projections' own [B*T, heads * d] layout
 * (lib/kernels/attention_op.ts: per-head strided BLAS products, no head
 * transposes): the wasm backend with the fused kernels and native BLAS, and
 * no dropout on the probabilities (`dropoutOnProbs`). Elsewhere the model
 * keeps the transposed path through `attentionCore`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend.ts";
 * import { layoutAttentionActive } from "./ops.ts";
 * await initBackend("cpu");
 * assert.equal(layoutAttentionActive(false), false);
 * ```
 */
export function layoutAttentionActive(dropoutOnProbs: boolean): boolean {
  return !dropoutOnProbs && fusedKernelsActive() && nativeMatmulActive();
}

/**
 * Embedding lookup table[ids] for ids [N] (int32) and table [V, E]. The
 * gradient is onehot(ids)^T @ dy, an exact scatter-add written as one plain
 * product (tfjs-wasm lacks the UnsortedSegmentSum kernel gather's gradient
 * needs).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { embed } from "./ops.ts";
 * await initBackend("cpu");
 * const table = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
 * assert.deepEqual(await embed(tf.tensor1d([2, 0, 2], "int32"), table).array(), [
 *   [5, 6],
 *   [1, 2],
 *   [5, 6],
 * ]);
 * ```
 */
export const embed = (ids: tf.Tensor1D, table: tf.Tensor2D): tf.Tensor2D =>
  fusedKernelsActive() && ids.dtype === "int32"
    ? fusedEmbed(ids, table)
    : embedComposite(ids, table);

const embedComposite: (ids: tf.Tensor1D, table: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(
  (ids: Any, table: Any, save: Any) => {
    save([ids]);
    const V = (table as tf.Tensor2D).shape[0];
    return {
      value: tf.gather(table as tf.Tensor2D, ids as tf.Tensor1D),
      gradFunc: (dy: tf.Tensor, [idx]: tf.Tensor[]) =>
        tf.tidy(() => {
          // (wasm's broadcasting Equal is ~50x slower than OneHot + Transpose.)
          return [tf.zerosLike(idx), mmT(oneHotFloat(idx as tf.Tensor1D, V), dy, true, false)];
        }),
    };
  },
) as Any;

/**
 * LayerNorm over the last axis of x [N, E]: (x - mean) / sqrt(var + eps) * w
 * + b, with the closed-form gradient dx = rstd * (g - mean(g) - xhat *
 * mean(g * xhat)), g = dy * w; dw = ones @ (dy * xhat); db = ones @ dy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { layerNormOp } from "./ops.ts";
 * await initBackend("cpu");
 * // mean 2, variance 1: xhat = [-1, 1], then * 2 + 1.
 * const y = layerNormOp(tf.tensor2d([[1, 3]]), tf.tensor1d([2, 2]), tf.tensor1d([1, 1]), 0);
 * assert.deepEqual(await y.array(), [[-1, 3]]);
 * ```
 */
export function layerNormOp(
  x: tf.Tensor2D,
  w: tf.Tensor1D,
  b: tf.Tensor1D,
  eps: number,
): tf.Tensor2D {
  if (fusedKernelsActive()) return fusedLayerNorm(x, w, b, eps);
  const f = tf.customGrad((xi: Any, wi: Any, bi: Any, save: Any) => {
    const { mean, variance } = tf.moments(xi, -1, true);
    const rstd = tf.rsqrt(tf.add(variance, eps));
    const xhat = tf.mul(tf.sub(xi, mean), rstd);
    save([xhat, rstd, wi]);
    return {
      value: tf.add(tf.mul(xhat, wi), bi),
      gradFunc: (dy: tf.Tensor, [xh, rs, ws]: tf.Tensor[]) =>
        tf.tidy(() => {
          const g = tf.mul(dy, ws);
          const dx = tf.mul(
            tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(xh, tf.mean(tf.mul(g, xh), -1, true))),
            rs,
          );
          return [dx, colSum(tf.mul(dy, xh)), colSum(dy)];
        }),
    };
  });
  return (f as Any)(x, w, b);
}

/**
 * RMSNorm over the last axis of x [N, E]: x * rsqrt(mean(x^2) + eps) * w,
 * with dx = r * (g - xhat * mean(g * xhat)), g = dy * w, xhat = x * r, and
 * dw = ones @ (dy * xhat).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { rmsNormOp } from "./ops.ts";
 * await initBackend("cpu");
 * // mean(x^2) = 4: xhat = x / 2 = [1, -1], then * w.
 * const y = rmsNormOp(tf.tensor2d([[2, -2]]), tf.tensor1d([3, 4]), 0);
 * assert.deepEqual(await y.array(), [[3, -4]]);
 * ```
 */
export function rmsNormOp(x: tf.Tensor2D, w: tf.Tensor1D, eps: number): tf.Tensor2D {
  if (fusedKernelsActive()) return fusedRmsNorm(x, w, eps);
  const f = tf.customGrad((xi: Any, wi: Any, save: Any) => {
    const r = tf.rsqrt(tf.add(tf.mean(tf.square(xi), -1, true), eps));
    const xhat = tf.mul(xi, r);
    save([xhat, r, wi]);
    return {
      value: tf.mul(xhat, wi),
      gradFunc: (dy: tf.Tensor, [xh, rs, ws]: tf.Tensor[]) =>
        tf.tidy(() => {
          const g = tf.mul(dy, ws);
          const dx = tf.mul(tf.sub(g, tf.mul(xh, tf.mean(tf.mul(g, xh), -1, true))), rs);
          return [dx, colSum(tf.mul(dy, xh))];
        }),
    };
  });
  return (f as Any)(x, w);
}

const GELU_C = Math.sqrt(2 / Math.PI);

/**
 * GELU, tanh approximation (HF "gelu_new"): 0.5 x (1 + tanh(u)), u = c (x +
 * 0.044715 x^3), c = sqrt(2/pi); gradient 0.5 (1 + t) + 0.5 x (1 - t^2) c (1
 * + 3 * 0.044715 x^2) with t = tanh(u). x^3 is x*x*x (wasm's Pow is slow).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { geluOp } from "./ops.ts";
 * await initBackend("cpu");
 * const y = await geluOp(tf.tensor1d([-1, 0, 1])).data();
 * [-0.158808, 0, 0.841192].forEach((want, i) => assert.ok(Math.abs(y[i] - want) < 1e-6));
 * ```
 */
export const geluOp = (x: tf.Tensor): tf.Tensor =>
  fusedKernelsActive() ? fusedGelu(x) : geluComposite(x);

const geluComposite: (x: tf.Tensor) => tf.Tensor = tf.customGrad((x: Any, save: Any) => {
  const x2 = tf.square(x);
  // tanh(u) = 2 sigmoid(2u) - 1: wasm's Sigmoid (XNNPACK) is ~4x faster than its Tanh.
  const u2 = tf.mul(tf.mul(x, tf.add(tf.mul(x2, 0.044715), 1)), 2 * GELU_C);
  const t = tf.sub(tf.mul(tf.sigmoid(u2), 2), 1);
  save([x, x2, t]);
  return {
    value: tf.mul(tf.mul(x, 0.5), tf.add(t, 1)),
    gradFunc: (dy: tf.Tensor, [xs, x2s, ts]: tf.Tensor[]) =>
      tf.tidy(() => {
        const du = tf.mul(tf.add(tf.mul(x2s, 3 * 0.044715), 1), GELU_C);
        const sech2 = tf.sub(1, tf.square(ts));
        const d = tf.mul(tf.add(tf.add(ts, 1), tf.mul(tf.mul(xs, sech2), du)), 0.5);
        return [tf.mul(dy, d)];
      }),
  };
}) as Any;

/**
 * Mean softmax cross-entropy of logits [N, V] against targets [N] (int32),
 * with the gradient (softmax - onehot) / N in three kernels instead of the
 * autodiff chain through logSoftmax and the one-hot product.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { softmaxCrossEntropy } from "./ops.ts";
 * await initBackend("cpu");
 * const l = softmaxCrossEntropy(tf.zeros([2, 4]), tf.tensor1d([0, 1], "int32"));
 * assert.ok(Math.abs((await l.array()) - Math.log(4)) < 1e-6); // uniform over 4
 * ```
 */
export const softmaxCrossEntropy = (logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar =>
  fusedKernelsActive()
    ? fusedSoftmaxCrossEntropy(logits, targets)
    : softmaxCrossEntropyComposite(logits, targets);

const softmaxCrossEntropyComposite: (logits: tf.Tensor2D, targets: tf.Tensor1D) => tf.Scalar = tf
  .customGrad((logits: Any, targets: Any, save: Any) => {
    const [N, V] = (logits as tf.Tensor2D).shape;
    const logp = tf.logSoftmax(logits);
    const onehot = oneHotFloat(targets, V);
    save([logp, onehot]);
    return {
      value: tf.neg(tf.div(tf.sum(tf.mul(logp, onehot)), N)) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, [lp, oh]: tf.Tensor[]) =>
        tf.tidy(() => [
          tf.mul(tf.sub(tf.exp(lp), oh), tf.div(dy, N)),
          tf.zerosLike(targets),
        ]),
    };
  }) as Any;

/**
 * The fast ops behind one object, as the model (lib/model/transformer.ts)
 * calls them. Each is the op of that name above (`layerNorm` is `layerNormOp`,
 * `rmsNorm` is `rmsNormOp`, `gelu` is `geluOp`; `stridedAttention` and
 * `packedAttention` come from lib/kernels/attention_op.ts), with its
 * hand-written gradient.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { fast } from "./ops.ts";
 * await initBackend("cpu");
 * const x = tf.tensor2d([[1, 2, 3]]);
 * assert.deepEqual(await fast.linear(x, tf.ones([3, 2])).array(), [[6, 6]]);
 * assert.deepEqual(await fast.gelu(tf.zeros([2, 2])).array(), [[0, 0], [0, 0]]);
 * const loss = fast.softmaxCrossEntropy(tf.zeros([2, 4]), tf.tensor1d([0, 3], "int32"));
 * assert.ok(Math.abs((await loss.array()) - Math.log(4)) < 1e-6);
 * ```
 */
export const fast = {
  linear,
  affine,
  linearT,
  bmm,
  bmmNT,
  attentionCore,
  stridedAttention,
  packedAttention,
  layoutAttentionActive,
  embed,
  layerNorm: layerNormOp,
  rmsNorm: rmsNormOp,
  // customGrad's result is untyped; GELU is elementwise, so it keeps the rank.
  gelu: geluOp as <T extends tf.Tensor>(x: T) => T,
  softmaxCrossEntropy,
} as const;
