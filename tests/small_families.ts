/**
 * Small models that several test files share: the two families of the
 * backend-equivalence tests (ops, native matmul) and the "sharp" model of the
 * clone-exactness tests (width and depth).
 */
import * as tf from "@tensorflow/tfjs-core";
import { crossEntropy, disposeModel, forward, type Model } from "../lib/model/model.ts";
import { defaultConfig, type Family, type ModelConfig } from "../lib/model/config.ts";
import { initParams } from "../lib/model/params.ts";
import { makeRng } from "../lib/rng.ts";
import type { TensorMap } from "../lib/tensor_map.ts";

/** `[label, config]` pairs: "gpt2" and "llama GQA". */
export const SMALL_FAMILIES: [string, ModelConfig][] = [
  [
    "gpt2",
    defaultConfig("gpt2", {
      hiddenSize: 32,
      numHeads: 4,
      numLayers: 2,
      maxPositions: 16,
      vocabSize: 64,
    }),
  ],
  [
    "llama GQA",
    defaultConfig("llama", {
      hiddenSize: 32,
      numHeads: 4,
      numKvHeads: 2,
      numLayers: 2,
      intermediateSize: 48,
      maxPositions: 16,
      vocabSize: 64,
      tieWordEmbeddings: false,
    }),
  ],
];

/**
 * A tiny model (16 wide, 2 layers, vocabulary 64) with weights scaled up so
 * that attention is sharp and norms and biases are far from their defaults:
 * a clone that mishandles any of them changes the logits visibly.
 */
export function sharpModel(
  family: Family,
  sizes: Partial<ModelConfig>,
  seed = 1,
): { cfg: ModelConfig; params: TensorMap } {
  const cfg = defaultConfig(family, {
    hiddenSize: 16,
    numHeads: 4,
    numLayers: 2,
    vocabSize: 64,
    maxPositions: 16,
    ...sizes,
  });
  const params = initParams(cfg, seed);
  const rng = makeRng(seed + 100);
  for (const [name, t] of params) {
    for (let i = 0; i < t.data.length; i++) {
      t.data[i] = /norm|ln_/.test(name) && name.endsWith("weight")
        ? 1 + 0.3 * rng.normal()
        : t.data[i] * 5 + (name.endsWith("bias") ? 0.1 * rng.normal() : 0);
    }
  }
  return { cfg, params };
}

/**
 * Logits, loss and every parameter gradient of `model` on one batch, read
 * back to the host; disposes the batch tensors and the model.
 */
export async function logitsLossGrads(
  model: Model,
  ids: tf.Tensor2D,
  targets: tf.Tensor1D,
): Promise<{ logits: Float32Array; loss: number; grads: Map<string, Float32Array> }> {
  const logits = forward(model, ids);
  const { value, grads } = tf.variableGrads(
    () => crossEntropy(forward(model, ids), targets),
    [...model.vars.values()],
  );
  const out = {
    logits: (await logits.data()) as Float32Array,
    loss: (await value.data())[0],
    grads: new Map<string, Float32Array>(),
  };
  for (const [name, g] of Object.entries(grads)) {
    out.grads.set(name, (await g.data()) as Float32Array);
  }
  tf.dispose([ids, targets, logits, value, ...Object.values(grads)]);
  disposeModel(model);
  return out;
}
