/**
 * A model is a config plus named tf.Variables in Hugging Face naming and
 * layout. `forward` maps token ids to logits through the transformer of
 * transformer.ts (the whole model math, both families); `crossEntropy` is the
 * next-token loss.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { assertValidConfig, type ModelConfig } from "./config.ts";
import { paramSpecs } from "./params.ts";
import type { TensorMap } from "../tensor_map.ts";
import { fast } from "./ops.ts";
import {
  causalMask,
  type ForwardContext,
  type Rope,
  ropeTables,
  transformer,
} from "./transformer.ts";

/** A model: its config and its trainable variables by HF name. */
export interface Model {
  config: ModelConfig;
  vars: Map<string, tf.Variable>;
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
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend.ts";
 * import { createModel } from "./model.ts";
 * import { initParams, paramSpecs } from "./params.ts";
 * import { PRESETS } from "./config.ts";
 * await initBackend("cpu");
 * const model = createModel(PRESETS.tiny, initParams(PRESETS.tiny, 0));
 * assert.equal(model.vars.size, paramSpecs(PRESETS.tiny).length);
 * assert.deepEqual(model.vars.get("transformer.wte.weight")!.shape, [256, 64]);
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
    // The variable shares the tensor's data; the tensor itself must be freed.
    const init = tf.tensor(t.data, t.shape, "float32");
    vars.set(spec.name, tf.variable(init, true, spec.name));
    init.dispose();
  }
  return { config, vars };
}

/**
 * Frees the model's variables.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { createModel, disposeModel } from "./model.ts";
 * import { initParams } from "./params.ts";
 * import { PRESETS } from "./config.ts";
 * await initBackend("cpu");
 * const before = tf.memory();
 * disposeModel(createModel(PRESETS.tiny, initParams(PRESETS.tiny, 0)));
 * assert.equal(tf.memory().numTensors, before.numTensors);
 * assert.equal(tf.memory().numBytes, before.numBytes);
 * ```
 */
export function disposeModel(model: Model): void {
  for (const v of model.vars.values()) v.dispose();
  model.vars.clear();
}

/**
 * Copies the variables back to host tensors (bit-exact).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend.ts";
 * import { createModel, modelToHost } from "./model.ts";
 * import { initParams } from "./params.ts";
 * import { PRESETS } from "./config.ts";
 * await initBackend("cpu");
 * const params = initParams(PRESETS.tiny, 0);
 * const host = await modelToHost(createModel(PRESETS.tiny, params));
 * assert.deepEqual(host, params);
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
const ropeCache = new Map<string, Rope>();

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

const isMat = (t: tf.Tensor): t is tf.Tensor2D => t.rank === 2;
const isVec = (t: tf.Tensor): t is tf.Tensor1D => t.rank === 1;

/** The model's weights by HF name, as matrices or vectors (rank checked). */
function weights(model: Model): Pick<ForwardContext, "mat" | "vec"> {
  const get = (name: string) => {
    const v = model.vars.get(name);
    if (!v) throw new Error(`model has no parameter ${name}`);
    return v;
  };
  const wrongRank = (name: string, rank: number, want: number) =>
    new Error(`parameter ${name} has rank ${rank}, the model reads it as rank ${want}`);
  return {
    mat(name) {
      const v = get(name);
      if (!isMat(v)) throw wrongRank(name, v.rank, 2);
      return v;
    },
    vec(name) {
      const v = get(name);
      if (!isVec(v)) throw wrongRank(name, v.rank, 1);
      return v;
    },
  };
}

/**
 * Logits [B*T, V] for token ids (int32, row-major [B, T]).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { createModel, forward } from "./model.ts";
 * import { initParams } from "./params.ts";
 * import { PRESETS } from "./config.ts";
 * await initBackend("cpu");
 * const model = createModel(PRESETS.tiny, initParams(PRESETS.tiny, 0));
 * const logits = forward(model, tf.tensor2d([[1, 2, 3]], [1, 3], "int32"));
 * assert.deepEqual(logits.shape, [3, PRESETS.tiny.vocabSize]);
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
        cos: tf.tensor4d(cos, [1, T, 1, cfg.headDim]),
        sin: tf.tensor4d(sin, [1, T, 1, cfg.headDim]),
      };
    })
    : undefined;
  const training = (opts.training ?? false) && cfg.dropout > 0;
  let dropCount = 0;
  return tf.tidy(() =>
    transformer({
      cfg,
      ids: tf.reshape<tf.Rank.R1>(ids, [B * T]),
      batch: B,
      seqLen: T,
      training,
      mask,
      rope,
      ...weights(model),
      dropout: <X extends tf.Tensor>(t: X): X =>
        training
          // tf.dropout is typed Tensor; it keeps the shape and rank of t.
          ? tf.dropout(t, cfg.dropout, undefined, (opts.dropoutSeed ?? 0) * 1000 + dropCount++) as X
          : t,
    })
  );
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
  let rope: Rope | undefined;
  if (cfg.family === "llama") {
    const P = cfg.maxPositions, d = cfg.headDim;
    const { cos, sin } = ropeTables(P, d, cfg.ropeTheta);
    const at = (t: Float32Array) =>
      tf.reshape<tf.Rank.R4>(tf.gather(tf.tensor2d(t, [P, d]), positions), [1, T, 1, d]);
    rope = { cos: at(cos), sin: at(sin) };
  }
  return transformer({
    cfg,
    ids: tf.reshape<tf.Rank.R1>(ids, [B * T]),
    batch: B,
    seqLen: T,
    training: false,
    mask,
    positions,
    rope,
    ...weights(model),
    dropout: (t) => t,
  });
}

/**
 * Mean next-token cross-entropy (nats) of logits [N, V] against targets [N]
 * (int32): the softmax cross-entropy op, whose gradient is (softmax -
 * onehot) / N.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { crossEntropy } from "./model.ts";
 * await initBackend("cpu");
 * const loss = crossEntropy(tf.zeros([2, 4]), tf.tensor1d([0, 1], "int32"));
 * assert.ok(Math.abs((await loss.array()) - Math.log(4)) < 1e-6); // uniform over 4
 * ```
 */
export const crossEntropy: (logits: tf.Tensor2D, targets: tf.Tensor1D) => tf.Scalar =
  fast.softmaxCrossEntropy;

/**
 * Number of positions whose argmax logit equals the target.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { correctCount } from "./model.ts";
 * await initBackend("cpu");
 * const logits = tf.tensor2d([[0, 1], [1, 0], [1, 0]]);
 * assert.equal(await correctCount(logits, tf.tensor1d([1, 0, 1], "int32")).array(), 2);
 * ```
 */
export function correctCount(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), targets), "int32")));
}

/**
 * Logits of each sequence (batch 1), as host arrays [T*V]: the shared path for
 * `score`, clone verification and tests. Builds and frees its own model.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend.ts";
 * import { computeLogits } from "./model.ts";
 * import { initParams } from "./params.ts";
 * import { PRESETS } from "./config.ts";
 * await initBackend("cpu");
 * const ids = [new Int32Array([1, 2]), new Int32Array([3])];
 * const [a, b] = await computeLogits(PRESETS.tiny, initParams(PRESETS.tiny, 0), ids);
 * assert.equal(a.length, 2 * PRESETS.tiny.vocabSize);
 * assert.equal(b.length, PRESETS.tiny.vocabSize);
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
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend.ts";
 * import { createModel, logitsOf } from "./model.ts";
 * import { initParams } from "./params.ts";
 * import { PRESETS } from "./config.ts";
 * await initBackend("cpu");
 * const model = createModel(PRESETS.tiny, initParams(PRESETS.tiny, 0));
 * // Causal: the first position's logits do not depend on the tokens after it.
 * const [short] = await logitsOf(model, [new Int32Array([1])]);
 * const [long] = await logitsOf(model, [new Int32Array([1, 2])]);
 * assert.deepEqual(long.subarray(0, short.length), short);
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
