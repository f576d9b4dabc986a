/**
 * The few tensor operations the models are built from, in the forms that are
 * fast on every backend: on tfjs-wasm only the plain 2-D `matMul(a, b)` takes
 * the XNNPACK fast path, so every product here (forward and backward) is
 * written as explicit transposes plus plain 2-D products, and the embedding
 * gradient avoids the missing UnsortedSegmentSum kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
// tfjs-core alone registers no gradients; the union package's bundle does.
import "@tensorflow/tfjs";

/**
 * One-hot rows as float32. tfjs-wasm 4.22's OneHot kernel ignores a float32
 * dtype and writes integer bits (1 reads as 1.4e-45), so build int32 and cast.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { oneHotFloat } from "./ops.ts";
 * oneHotFloat(tf.tensor1d([0, 2], "int32"), 3).print();
 * ```
 */
export function oneHotFloat(indices: tf.Tensor1D, depth: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(indices, depth), "float32")) as tf.Tensor2D;
}

/** Plain 2-D product a @ b for [m, k] x [k, n]. */
function mm(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(a, b);
}

/**
 * y = x @ w for x [N, in] and w [in, out] (GPT-2 Conv1D layout), with a
 * gradient made of plain 2-D products: dx = dy @ w^T, dw = x^T @ dy.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { linear } from "./ops.ts";
 * const y = linear(tf.ones([2, 3]) as tf.Tensor2D, tf.ones([3, 4]) as tf.Tensor2D);
 * ```
 */
export const linear: (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(
  // deno-lint-ignore no-explicit-any
  (x: any, w: any, save: any) => {
    save([x, w]);
    return {
      value: mm(x, w),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as tf.Tensor2D[];
        return [mm(dy as tf.Tensor2D, tf.transpose(ws)), mm(tf.transpose(xs), dy as tf.Tensor2D)];
      },
    };
  },
) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/**
 * y = x @ w^T for x [N, in] and w [out, in] (torch Linear layout, also the
 * tied LM head), with dx = dy @ w and dw = dy^T @ x.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { linearT } from "./ops.ts";
 * const y = linearT(tf.ones([2, 3]) as tf.Tensor2D, tf.ones([4, 3]) as tf.Tensor2D);
 * ```
 */
export const linearT: (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(
  // deno-lint-ignore no-explicit-any
  (x: any, w: any, save: any) => {
    save([x, w]);
    return {
      value: mm(x, tf.transpose(w as tf.Tensor2D)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as tf.Tensor2D[];
        return [mm(dy as tf.Tensor2D, ws), mm(tf.transpose(dy as tf.Tensor2D), xs)];
      },
    };
  },
) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/** Splits [G, m, k] into G plain 2-D products with [G, k, n] (or its transpose). */
function batched(
  a: tf.Tensor3D,
  b: tf.Tensor3D,
  transB: boolean,
): tf.Tensor3D {
  const G = a.shape[0];
  if (G === 1) {
    const a2 = tf.squeeze(a, [0]) as tf.Tensor2D, b2 = tf.squeeze(b, [0]) as tf.Tensor2D;
    return tf.expandDims(mm(a2, transB ? tf.transpose(b2) : b2), 0) as tf.Tensor3D;
  }
  const as = tf.unstack(a) as tf.Tensor2D[];
  const bs = tf.unstack(b) as tf.Tensor2D[];
  return tf.stack(as.map((ai, i) => mm(ai, transB ? tf.transpose(bs[i]) : bs[i]))) as tf.Tensor3D;
}

/**
 * Batched a @ b^T for a [G, m, k], b [G, n, k] (attention scores), with a
 * gradient made of plain batched products.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { bmmNT } from "./ops.ts";
 * const s = bmmNT(tf.ones([2, 3, 4]) as tf.Tensor3D, tf.ones([2, 5, 4]) as tf.Tensor3D);
 * ```
 */
export const bmmNT: (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D = tf.customGrad(
  // deno-lint-ignore no-explicit-any
  (a: any, b: any, save: any) => {
    save([a, b]);
    return {
      value: batched(a, b, true),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [as, bs] = saved as tf.Tensor3D[];
        const d = dy as tf.Tensor3D;
        // da = dy @ b ; db = dy^T @ a
        return [batched(d, bs, false), batched(tf.transpose(d, [0, 2, 1]), as, false)];
      },
    };
  },
) as unknown as (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;

/**
 * Batched a @ b for a [G, m, k], b [G, k, n] (attention-weighted values).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { bmm } from "./ops.ts";
 * const o = bmm(tf.ones([2, 3, 3]) as tf.Tensor3D, tf.ones([2, 3, 4]) as tf.Tensor3D);
 * ```
 */
export const bmm: (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D = tf.customGrad(
  // deno-lint-ignore no-explicit-any
  (a: any, b: any, save: any) => {
    save([a, b]);
    return {
      value: batched(a, b, false),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [as, bs] = saved as tf.Tensor3D[];
        const d = dy as tf.Tensor3D;
        // da = dy @ b^T ; db = a^T @ dy
        return [batched(d, bs, true), batched(tf.transpose(as, [0, 2, 1]), d, false)];
      },
    };
  },
) as unknown as (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;

/**
 * Embedding lookup table[ids] for ids [N] (int32) and table [V, E]. The
 * gradient is onehot(ids)^T @ dy, an exact scatter-add written as one plain
 * product (tfjs-wasm lacks the UnsortedSegmentSum kernel gather's gradient
 * needs).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { embed } from "./ops.ts";
 * const e = embed(tf.tensor1d([0, 2], "int32"), tf.ones([3, 4]) as tf.Tensor2D);
 * ```
 */
export const embed: (ids: tf.Tensor1D, table: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(
  // deno-lint-ignore no-explicit-any
  (ids: any, table: any, save: any) => {
    save([ids]);
    return {
      value: tf.gather(table as tf.Tensor2D, ids as tf.Tensor1D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [idx] = saved as tf.Tensor1D[];
        const V = (table as tf.Tensor2D).shape[0];
        const oneHotT = tf.transpose(oneHotFloat(idx, V)) as tf.Tensor2D;
        return [tf.zerosLike(idx), mm(oneHotT, dy as tf.Tensor2D)];
      },
    };
  },
) as unknown as (ids: tf.Tensor1D, table: tf.Tensor2D) => tf.Tensor2D;
