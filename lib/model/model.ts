/**
 * A model is a config plus named tf.Variables in Hugging Face naming and
 * layout; `forward` maps token ids to logits, `lossAndAccuracy` gives the
 * next-token cross-entropy.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { assertValidConfig, type ModelConfig } from "./config.ts";
import { paramSpecs } from "./params.ts";
import type { TensorMap } from "../tensor_map.ts";
import { causalMask, ropeTables } from "./layers.ts";
import { softmaxCrossEntropy } from "./ops.ts";
import { gpt2Forward } from "./gpt2.ts";
import { llamaForward } from "./llama.ts";

/** A model: its config and its trainable variables by HF name. */
export interface Model {
  config: ModelConfig;
  vars: Map<string, tf.Variable>;
}

/** What the family forward functions read. */
export interface ForwardContext {
  ids: tf.Tensor1D;
  batch: number;
  seqLen: number;
  training: boolean;
  mask: tf.Tensor2D;
  /** Position id of each of the T tokens of a row (packed rows); absent: 0..T-1. */
  positions?: tf.Tensor1D;
  rope?: { cos: tf.Tensor; sin: tf.Tensor };
  param(name: string): tf.Tensor;
  dropout<T extends tf.Tensor>(t: T): T;
}

/** Options of `forward`. */
export interface ForwardOptions {
  /** Enables dropout (when config.dropout > 0). */
  training?: boolean;
  /** Seed of this call's dropout masks (vary it per step for fresh masks). */
  dropoutSeed?: number;
  /**
   * Several sequences packed in each row (e.g. a shared context followed by
   * each of its continuations), with one layout for every row: the position
   * id of each of the T tokens (each < maxPositions) and which tokens each
   * token sees (`visible[i * T + j]` = 1 when token i attends to token j).
   * Rows may then be longer than maxPositions. Default: one causal sequence
   * per row at positions 0..T-1.
   */
  packing?: { positions: Int32Array; visible: Uint8Array };
}

/**
 * Builds a model from host tensors (checked against the config's specs).
 *
 * @example
 * ```ts
 * import { createModel } from "./model.ts";
 * import { initParams } from "./params.ts";
 * import { PRESETS } from "./config.ts";
 * const model = createModel(PRESETS.tiny, initParams(PRESETS.tiny, 0));
 * ```
 */
export function createModel(config: ModelConfig, params: TensorMap): Model {
  assertValidConfig(config);
  const vars = new Map<string, tf.Variable>();
  for (const spec of paramSpecs(config)) {
    const t = params.get(spec.name);
    if (!t) throw new Error(`missing parameter ${spec.name}`);
    if (t.shape.join() !== spec.shape.join()) {
      throw new Error(
        `parameter ${spec.name} has shape [${t.shape}], config needs [${spec.shape}]`,
      );
    }
    vars.set(spec.name, tf.variable(tf.tensor(t.data, t.shape, "float32"), true, spec.name));
  }
  return { config, vars };
}

/** Frees the model's variables. */
export function disposeModel(model: Model): void {
  for (const v of model.vars.values()) v.dispose();
  model.vars.clear();
}

/**
 * Copies the variables back to host tensors (bit-exact).
 *
 * @example
 * ```ts
 * import { createModel, modelToHost } from "./model.ts";
 * import { initParams } from "./params.ts";
 * import { PRESETS } from "./config.ts";
 * const host = await modelToHost(createModel(PRESETS.tiny, initParams(PRESETS.tiny, 0)));
 * ```
 */
export async function modelToHost(model: Model): Promise<TensorMap> {
  const out: TensorMap = new Map();
  for (const [name, v] of model.vars) {
    out.set(name, { shape: [...v.shape], data: (await v.data()) as Float32Array });
  }
  return out;
}

const maskCache = new Map<string, tf.Tensor2D>();
const ropeCache = new Map<string, { cos: tf.Tensor; sin: tf.Tensor }>();

// Constant tensors are cached per backend and size: made once and kept (tf.keep),
// so an enclosing tidy (a training step) does not free them.
function cached<T extends tf.TensorContainer>(
  cache: Map<string, T>,
  key: string,
  make: () => T,
): T {
  const k = `${tf.getBackend()}:${key}`;
  let v = cache.get(k);
  if (v === undefined) {
    const made = make();
    const tensors = made instanceof tf.Tensor ? [made] : Object.values(made as object);
    for (const t of tensors) if (t instanceof tf.Tensor) tf.keep(t);
    cache.set(k, made);
    v = made;
  }
  return v;
}

/**
 * Logits [B*T, V] for token ids (int32, row-major [B, T]).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { createModel, forward } from "./model.ts";
 * import { initParams } from "./params.ts";
 * import { PRESETS } from "./config.ts";
 * const model = createModel(PRESETS.tiny, initParams(PRESETS.tiny, 0));
 * const logits = forward(model, tf.tensor2d([[1, 2, 3]], [1, 3], "int32"));
 * ```
 */
export function forward(
  model: Model,
  ids: tf.Tensor2D,
  opts: ForwardOptions = {},
): tf.Tensor2D {
  const cfg = model.config;
  const [B, T] = ids.shape;
  const packing = opts.packing;
  if (packing) checkPacking(packing, T, cfg.maxPositions);
  else if (T > cfg.maxPositions) {
    throw new Error(`sequence length ${T} exceeds maxPositions ${cfg.maxPositions}`);
  }
  if (packing) return tf.tidy(() => packedForward(model, ids, packing));
  const mask = cached(maskCache, `mask:${T}`, () => causalMask(T));
  const rope = cfg.family === "llama"
    ? cached(ropeCache, `rope:${T}:${cfg.headDim}:${cfg.ropeTheta}`, () => {
      const { cos, sin } = ropeTables(T, cfg.headDim, cfg.ropeTheta);
      return {
        cos: tf.tensor(cos, [1, T, 1, cfg.headDim]),
        sin: tf.tensor(sin, [1, T, 1, cfg.headDim]),
      };
    })
    : undefined;
  const training = (opts.training ?? false) && cfg.dropout > 0;
  let dropCount = 0;
  return tf.tidy(() => {
    const ctx: ForwardContext = {
      ids: tf.reshape(ids, [B * T]) as tf.Tensor1D,
      batch: B,
      seqLen: T,
      training,
      mask,
      rope,
      param: (name) => {
        const v = model.vars.get(name);
        if (!v) throw new Error(`model has no parameter ${name}`);
        return v;
      },
      dropout: <X extends tf.Tensor>(t: X): X =>
        training
          ? tf.dropout(t, cfg.dropout, undefined, (opts.dropoutSeed ?? 0) * 1000 + dropCount++) as X
          : t,
    };
    return cfg.family === "gpt2" ? gpt2Forward(cfg, ctx) : llamaForward(cfg, ctx);
  });
}

function checkPacking(
  p: { positions: Int32Array; visible: Uint8Array },
  T: number,
  P: number,
): void {
  if (p.positions.length !== T || p.visible.length !== T * T) {
    throw new RangeError(
      `packing: expected ${T} positions and ${T * T} visibility flags for rows of ${T} tokens`,
    );
  }
  for (const q of p.positions) {
    if (q < 0 || q >= P) throw new RangeError(`packing: position ${q} outside [0, ${P})`);
  }
}

/** Inference forward of packed rows sharing one layout (no dropout). */
function packedForward(
  model: Model,
  ids: tf.Tensor2D,
  packing: { positions: Int32Array; visible: Uint8Array },
): tf.Tensor2D {
  const cfg = model.config;
  const [B, T] = ids.shape;
  const additive = new Float32Array(T * T);
  for (let i = 0; i < additive.length; i++) if (!packing.visible[i]) additive[i] = -1e9;
  const mask = tf.tensor2d(additive, [T, T]);
  const positions = tf.tensor1d(packing.positions, "int32");
  let rope: { cos: tf.Tensor; sin: tf.Tensor } | undefined;
  if (cfg.family === "llama") {
    const P = cfg.maxPositions, d = cfg.headDim;
    const { cos, sin } = ropeTables(P, d, cfg.ropeTheta);
    const at = (t: Float32Array) =>
      tf.reshape(tf.gather(tf.tensor2d(t, [P, d]), positions), [1, T, 1, d]);
    rope = { cos: at(cos), sin: at(sin) };
  }
  const ctx: ForwardContext = {
    ids: tf.reshape(ids, [B * T]) as tf.Tensor1D,
    batch: B,
    seqLen: T,
    training: false,
    mask,
    positions,
    rope,
    param: (name) => {
      const v = model.vars.get(name);
      if (!v) throw new Error(`model has no parameter ${name}`);
      return v;
    },
    dropout: (t) => t,
  };
  return cfg.family === "gpt2" ? gpt2Forward(cfg, ctx) : llamaForward(cfg, ctx);
}

/**
 * Mean next-token cross-entropy (nats) and the count of correct argmax
 * predictions, for logits [N, V] and targets [N].
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { crossEntropy } from "./model.ts";
 * const loss = crossEntropy(tf.zeros([2, 4]) as tf.Tensor2D, tf.tensor1d([0, 1], "int32"));
 * ```
 */
export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  // A one-hot product instead of gather (its gradient exists on every backend),
  // with a hand-written gradient (softmax - onehot) / N.
  return softmaxCrossEntropy(logits, targets);
}

/** Number of positions whose argmax logit equals the target. */
export function correctCount(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), targets), "int32")));
}

/**
 * Logits of each sequence (batch 1), as host arrays [T*V]: the shared path for
 * `score`, clone verification and tests. Builds and frees its own model.
 *
 * @example
 * ```ts
 * import { computeLogits } from "./model.ts";
 * import { initParams } from "./params.ts";
 * import { PRESETS } from "./config.ts";
 * const [l] = await computeLogits(PRESETS.tiny, initParams(PRESETS.tiny, 0), [new Int32Array([1, 2])]);
 * ```
 */
export async function computeLogits(
  cfg: ModelConfig,
  params: TensorMap,
  sequences: Int32Array[],
): Promise<Float32Array[]> {
  const model = createModel(cfg, params);
  try {
    return await logitsOf(model, sequences);
  } finally {
    disposeModel(model);
  }
}

/**
 * Logits of each sequence under an existing model, as host arrays [T*V].
 *
 * @example
 * ```ts
 * import { createModel, logitsOf } from "./model.ts";
 * import { initParams } from "./params.ts";
 * import { PRESETS } from "./config.ts";
 * const model = createModel(PRESETS.tiny, initParams(PRESETS.tiny, 0));
 * const [l] = await logitsOf(model, [new Int32Array([1, 2])]);
 * ```
 */
export async function logitsOf(model: Model, sequences: Int32Array[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const seq of sequences) {
    const ids = tf.tensor2d(seq, [1, seq.length], "int32");
    const logits = forward(model, ids);
    out.push((await logits.data()) as Float32Array);
    ids.dispose(), logits.dispose();
  }
  return out;
}
