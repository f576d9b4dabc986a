/**
 * The fused kernels (lib/kernels/fused.ts) as differentiable ops: each a
 * `tf.customGrad` whose forward and backward are one kernel call each (and
 * the softmax gradient of attentionCore, whose forward stays tf.softmax:
 * XNNPACK's is faster than a JS loop with exp). Only
 * for the wasm backend with the kernels registered (`fusedKernelsActive()`);
 * lib/model/ops.ts picks them there and keeps its composite forms elsewhere.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

// deno-lint-ignore no-explicit-any
type Any = any;

const run = (name: string, inputs: Any, attrs: Any = {}): Any =>
  tf.engine().runKernel(name, inputs, attrs);

/**
 * LayerNorm over the last axis of x [N, E] with weight and bias [E].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { fusedLayerNorm } from "./fused_ops.ts";
 * await initBackend("wasm");
 * const y = fusedLayerNorm(tf.tensor2d([[1, 3]]), tf.ones([2]) as tf.Tensor1D, tf.zeros([2]) as tf.Tensor1D, 0);
 * assert.deepEqual(Array.from(y.dataSync()), [-1, 1]);
 * ```
 */
export function fusedLayerNorm(
  x: tf.Tensor2D,
  w: tf.Tensor1D,
  b: tf.Tensor1D,
  eps: number,
): tf.Tensor2D {
  const f = tf.customGrad((xi: Any, wi: Any, bi: Any, save: Any) => {
    const [y, mean, rstd] = run("HcLayerNorm", { x: xi, w: wi, b: bi }, { eps });
    save([xi, wi, mean, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [xs, ws, ms, rs]: tf.Tensor[]) =>
        run("HcLayerNormGrad", { dy, x: xs, w: ws, mean: ms, rstd: rs }),
    };
  });
  return (f as Any)(x, w, b);
}

/**
 * RMSNorm over the last axis of x [N, E] with weight [E].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { fusedRmsNorm } from "./fused_ops.ts";
 * await initBackend("wasm");
 * const y = fusedRmsNorm(tf.tensor2d([[3, 4]]), tf.ones([2]) as tf.Tensor1D, 0);
 * assert.ok(Math.abs(y.dataSync()[1] - 4 / Math.sqrt(12.5)) < 1e-6);
 * ```
 */
export function fusedRmsNorm(x: tf.Tensor2D, w: tf.Tensor1D, eps: number): tf.Tensor2D {
  const f = tf.customGrad((xi: Any, wi: Any, save: Any) => {
    const [y, rstd] = run("HcRmsNorm", { x: xi, w: wi }, { eps });
    save([xi, wi, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [xs, ws, rs]: tf.Tensor[]) =>
        run("HcRmsNormGrad", { dy, x: xs, w: ws, rstd: rs }),
    };
  });
  return (f as Any)(x, w);
}

/**
 * GELU (tanh approximation), any shape.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { fusedGelu } from "./fused_ops.ts";
 * await initBackend("wasm");
 * assert.equal(fusedGelu(tf.tensor1d([0])).dataSync()[0], 0);
 * ```
 */
export const fusedGelu: (x: tf.Tensor) => tf.Tensor = tf.customGrad((x: Any, save: Any) => {
  // 0.5 x (1 + tanh(u)) = x sigmoid(2u): one JS pass for 2u, then XNNPACK.
  const s = tf.sigmoid(run("HcGeluArg", { x }));
  save([x, s]);
  return {
    value: tf.mul(x, s),
    gradFunc: (dy: tf.Tensor, [xs, ss]: tf.Tensor[]) => run("HcGeluGrad", { dy, x: xs, s: ss }),
  };
}) as Any;

/**
 * The softmax gradient p (dp - rowsum(dp p)) over the last axis.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { fusedSoftmaxGrad } from "./fused_ops.ts";
 * await initBackend("wasm");
 * const ds = fusedSoftmaxGrad(tf.tensor1d([0.5, 0.5]), tf.tensor1d([1, 1]));
 * assert.deepEqual(Array.from(ds.dataSync()), [0, 0]);
 * ```
 */
export function fusedSoftmaxGrad(p: tf.Tensor, dp: tf.Tensor): tf.Tensor {
  return run("HcSoftmaxGrad", { p, dp });
}

/**
 * Mean softmax cross-entropy of logits [N, V] against int32 targets [N].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { fusedSoftmaxCrossEntropy } from "./fused_ops.ts";
 * await initBackend("wasm");
 * const l = fusedSoftmaxCrossEntropy(tf.zeros([1, 4]) as tf.Tensor2D, tf.tensor1d([2], "int32"));
 * assert.ok(Math.abs(l.dataSync()[0] - Math.log(4)) < 1e-6);
 * ```
 */
export const fusedSoftmaxCrossEntropy: (logits: tf.Tensor2D, targets: tf.Tensor1D) => tf.Scalar = tf
  .customGrad((logits: Any, targets: Any, save: Any) => {
    const probs = tf.softmax(logits);
    const loss = run("HcXentLoss", { logits, probs, targets });
    save([probs, targets]);
    return {
      value: loss,
      gradFunc: (dy: tf.Tensor, [ps, ts]: tf.Tensor[]) => [
        run("HcSoftmaxXentGrad", { probs: ps, targets: ts, dy }),
        tf.zerosLike(ts),
      ],
    };
  }) as Any;

/**
 * Embedding lookup table[ids] for int32 ids [N] and table [V, E]; the
 * gradient is a scatter-add of dy's rows (ids get zeros).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { fusedEmbed } from "./fused_ops.ts";
 * await initBackend("wasm");
 * const e = fusedEmbed(tf.tensor1d([1], "int32"), tf.tensor2d([[1, 2], [3, 4]]));
 * assert.deepEqual(Array.from(e.dataSync()), [3, 4]);
 * ```
 */
export const fusedEmbed: (ids: tf.Tensor1D, table: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(
  (ids: Any, table: Any, save: Any) => {
    save([ids]);
    const vocab = (table as tf.Tensor2D).shape[0];
    return {
      value: run("HcEmbed", { ids, table }),
      gradFunc: (dy: tf.Tensor, [idx]: tf.Tensor[]) => [
        tf.zerosLike(idx),
        run("HcEmbedGrad", { ids: idx, dy }, { vocab }),
      ],
    };
  },
) as Any;

/**
 * x @ w + b (x [N, K], w [K, M], b [M]) as one BLAS call with beta = 1 onto
 * b's rows. Forward only (lib/model/ops.ts `affine` carries the gradient);
 * needs the native matmul path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { nativeMatmulActive } from "../native_matmul.ts";
 * import { fusedAffineValue } from "./fused_ops.ts";
 * await initBackend("wasm");
 * if (nativeMatmulActive()) {
 *   const y = fusedAffineValue(tf.tensor2d([[1, 2]]), tf.tensor2d([[1], [1]]), tf.tensor1d([10]));
 *   assert.deepEqual(Array.from(y.dataSync()), [13]);
 * }
 * ```
 */
export function fusedAffineValue(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  return run("HcAffine", { x, w, b });
}
