/**
 * AdamW (decoupled weight decay, PyTorch's update order) with global-norm
 * gradient clipping. Weight decay applies to matrices and embeddings only
 * (rank >= 2), never to biases or norm weights.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { TensorMap } from "../tensor_map.ts";
import { fusedKernelsActive } from "../kernels/fused.ts";

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
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { createAdamW } from "./adamw.ts";
 * await initBackend("cpu");
 * const state = createAdamW(new Map([["w", tf.variable(tf.zeros([2, 2]))]]));
 * assert.equal(state.step, 0);
 * assert.deepEqual(state.m.get("w")!.arraySync(), [[0, 0], [0, 0]]);
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

/** Frees the moment variables (and the cached weight-decay mask). */
export function disposeAdamW(state: AdamWState): void {
  for (const t of [...state.m.values(), ...state.v.values()]) t.dispose();
  decayMasks.get(state)?.mask.dispose();
  decayMasks.delete(state);
}

/**
 * Global L2 norm of the gradients, as a scalar tensor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { globalNorm } from "./adamw.ts";
 * await initBackend("cpu");
 * assert.equal(globalNorm({ a: tf.tensor1d([3, 4]), b: tf.tensor1d([12]) }).dataSync()[0], 13);
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

/** Flattens and concatenates tensors into one vector (one kernel when alone). */
function flatAll(ts: tf.Tensor[]): tf.Tensor1D {
  const flat = ts.map((t) => tf.reshape(t, [-1]) as tf.Tensor1D);
  return flat.length === 1 ? flat[0] : tf.concat1d(flat);
}

/** Which parameters decay (rank >= 2), as a boolean vector over the concatenation; cached. */
const decayMasks = new WeakMap<AdamWState, { key: string; mask: tf.Tensor1D }>();

function decayMask(state: AdamWState, ps: tf.Variable[], key: string): tf.Tensor1D {
  const hit = decayMasks.get(state);
  if (hit && hit.key === key && !hit.mask.isDisposed) return hit.mask;
  hit?.mask.dispose();
  const parts = ps.map((p) => [p.rank >= 2 ? 1 : 0, p.size]);
  const data = new Uint8Array(ps.reduce((a, p) => a + p.size, 0));
  let o = 0;
  for (const [d, n] of parts) data.fill(d, o, o += n);
  const mask = tf.keep(tf.tensor1d(Array.from(data), "bool"));
  decayMasks.set(state, { key, mask });
  return mask;
}

/**
 * One AdamW update of `vars` in place with learning rate `lr`; clips first.
 * Returns the (pre-clip) global gradient norm as a scalar tensor the caller
 * owns. Nothing is read back to the host.
 *
 * Fused: parameters, gradients and moments are concatenated into one vector
 * each, updated by ~15 whole-vector kernels and split back, instead of ~12
 * kernels per parameter tensor (tfjs kernel calls cost tens of microseconds
 * each on wasm). On wasm with the fused kernels (lib/kernels/fused.ts) the
 * whole step is one kernel. The arithmetic per element is the per-tensor
 * formula's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { adamwStep, createAdamW } from "./adamw.ts";
 * await initBackend("cpu");
 * const vars = new Map([["w", tf.variable(tf.ones([2, 2]))]]);
 * const st = createAdamW(vars);
 * const norm = adamwStep(vars, { w: tf.ones([2, 2]) }, st, 1e-3, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1 });
 * assert.equal(norm.dataSync()[0], 2); // the gradient's norm before clipping
 * // Clipped to norm 1, the first Adam step moves each weight by about lr, plus decay lr * 0.1 * w.
 * const w = vars.get("w")!.dataSync();
 * assert.ok(w.every((x) => Math.abs(x - (1 - 1e-3 - 1e-4)) < 1e-6));
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
  const names = [...vars.keys()].filter((n) => grads[n]);
  if (names.length === 0) return tf.scalar(0);
  const ps = names.map((n) => vars.get(n)!);
  const ms = names.map((n) => state.m.get(n)!), vs = names.map((n) => state.v.get(n)!);
  if (fusedKernelsActive()) return fusedAdamw(ps, names.map((n) => grads[n]), ms, vs, lr, c, t);
  const mask = c.weightDecay > 0 ? decayMask(state, ps, names.join("\n")) : null;
  return tf.tidy(() => {
    const g0 = flatAll(names.map((n) => grads[n]));
    const norm = tf.sqrt(tf.sum(tf.square(g0))) as tf.Scalar;
    // scale = min(1, clip / (norm + 1e-6)), as torch.nn.utils.clip_grad_norm_.
    const g = c.gradClip > 0
      ? tf.mul(g0, tf.minimum(1, tf.div(c.gradClip, tf.add(norm, 1e-6))))
      : g0;
    const m = tf.add(tf.mul(flatAll(ms), c.beta1), tf.mul(g, 1 - c.beta1));
    const v = tf.add(tf.mul(flatAll(vs), c.beta2), tf.mul(tf.square(g), 1 - c.beta2));
    const p = flatAll(ps);
    const decayed = mask ? tf.where(mask, tf.mul(p, 1 - lr * c.weightDecay), p) : p;
    const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), c.eps);
    const pNew = tf.sub(decayed, tf.mul(tf.div(m, denom), lr / bc1));
    const sizes = ps.map((x) => x.size);
    const split = (x: tf.Tensor) => (sizes.length === 1 ? [x] : tf.split(x, sizes));
    const [pp, mm, vv] = [split(pNew), split(m), split(v)];
    for (let i = 0; i < names.length; i++) {
      ps[i].assign(tf.reshape(pp[i], ps[i].shape));
      ms[i].assign(tf.reshape(mm[i], ms[i].shape));
      vs[i].assign(tf.reshape(vv[i], vs[i].shape));
    }
    return norm;
  });
}

/** The step as one HcAdamW kernel (wasm): see lib/kernels/adamw_kernel.ts. */
function fusedAdamw(
  ps: tf.Variable[],
  gs: tf.Tensor[],
  ms: tf.Variable[],
  vs: tf.Variable[],
  lr: number,
  c: AdamWConfig,
  t: number,
): tf.Scalar {
  const inputs: tf.NamedTensorMap = {};
  ps.forEach((p, i) => {
    inputs[`p${i}`] = p, inputs[`g${i}`] = gs[i], inputs[`m${i}`] = ms[i], inputs[`v${i}`] = vs[i];
  });
  const attrs = {
    ...c,
    lr,
    count: ps.length,
    bc1: 1 - Math.pow(c.beta1, t),
    bc2: 1 - Math.pow(c.beta2, t),
    decay: ps.map((p) => c.weightDecay > 0 && p.rank >= 2),
  };
  const outs = tf.engine().runKernel("HcAdamW", inputs, attrs as never) as tf.Tensor[];
  const K = ps.length;
  for (let i = 0; i < K; i++) {
    ps[i].assign(outs[1 + i]), ms[i].assign(outs[1 + K + i]), vs[i].assign(outs[1 + 2 * K + i]);
  }
  tf.dispose(outs.slice(1));
  return outs[0] as tf.Scalar;
}
