/**
 * AdamW (decoupled weight decay, PyTorch's update order) with global-norm
 * gradient clipping. Weight decay applies to matrices and embeddings only
 * (rank >= 2), never to biases or norm weights.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { TensorMap } from "../tensor_map.ts";

/** AdamW hyper-parameters. */
export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Clip the global gradient norm to this value; 0 disables clipping. */
  gradClip: number;
}

/** Optimiser state: moments per parameter and the update count. */
export interface AdamWState {
  step: number;
  m: Map<string, tf.Variable>;
  v: Map<string, tf.Variable>;
}

/**
 * Fresh zero moments for the given variables.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { createAdamW } from "./adamw.ts";
 * const state = createAdamW(new Map([["w", tf.variable(tf.zeros([2, 2]))]]));
 * ```
 */
export function createAdamW(
  vars: Map<string, tf.Variable>,
  from?: { step: number; m: TensorMap; v: TensorMap },
): AdamWState {
  const m = new Map<string, tf.Variable>(), v = new Map<string, tf.Variable>();
  for (const [name, p] of vars) {
    const load = (src: TensorMap | undefined) => {
      const t = src?.get(name);
      if (src && !t) throw new Error(`optimizer state: missing moment for ${name}`);
      return t ? tf.tensor(t.data, t.shape) : tf.zerosLike(p);
    };
    m.set(name, tf.variable(load(from?.m), false));
    v.set(name, tf.variable(load(from?.v), false));
  }
  return { step: from?.step ?? 0, m, v };
}

/** Frees the moment variables. */
export function disposeAdamW(state: AdamWState): void {
  for (const t of [...state.m.values(), ...state.v.values()]) t.dispose();
}

/**
 * Global L2 norm of the gradients, as a scalar tensor.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { globalNorm } from "./adamw.ts";
 * globalNorm({ a: tf.tensor1d([3, 4]) }).print(); // 5
 * ```
 */
export function globalNorm(grads: tf.NamedTensorMap): tf.Scalar {
  return tf.tidy(() => {
    // A chain of adds, not addN: tfjs-webgpu's AddN with more inputs than the
    // adapter's storage-buffer limit silently returns 0 (so no clipping).
    const sums = Object.values(grads).map((g) => tf.sum(tf.square(g)));
    return tf.sqrt(sums.reduce((a, b) => tf.add(a, b))) as tf.Scalar;
  });
}

/**
 * One AdamW update of `vars` in place with learning rate `lr`; clips first.
 * Returns the (pre-clip) global gradient norm as a scalar tensor the caller
 * owns. Nothing is read back to the host.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { adamwStep, createAdamW } from "./adamw.ts";
 * const vars = new Map([["w", tf.variable(tf.ones([2, 2]))]]);
 * const st = createAdamW(vars);
 * adamwStep(vars, { w: tf.ones([2, 2]) }, st, 1e-3, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1 });
 * ```
 */
export function adamwStep(
  vars: Map<string, tf.Variable>,
  grads: tf.NamedTensorMap,
  state: AdamWState,
  lr: number,
  c: AdamWConfig,
): tf.Scalar {
  state.step += 1;
  const t = state.step;
  const bc1 = 1 - Math.pow(c.beta1, t), bc2 = 1 - Math.pow(c.beta2, t);
  return tf.tidy(() => {
    const norm = globalNorm(grads);
    // scale = min(1, clip / (norm + 1e-6)), as torch.nn.utils.clip_grad_norm_.
    const scale = c.gradClip > 0
      ? tf.minimum(1, tf.div(c.gradClip, tf.add(norm, 1e-6)))
      : tf.scalar(1);
    for (const [name, p] of vars) {
      const g0 = grads[name];
      if (!g0) continue;
      const g = tf.mul(g0, scale);
      const m = state.m.get(name)!, v = state.v.get(name)!;
      m.assign(tf.add(tf.mul(m, c.beta1), tf.mul(g, 1 - c.beta1)));
      v.assign(tf.add(tf.mul(v, c.beta2), tf.mul(tf.square(g), 1 - c.beta2)));
      const decayed = p.rank >= 2 && c.weightDecay > 0 ? tf.mul(p, 1 - lr * c.weightDecay) : p;
      const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), c.eps);
      p.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), lr / bc1)));
    }
    return norm;
  });
}
