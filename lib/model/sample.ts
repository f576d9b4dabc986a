/**
 * Text generation: temperature and top-k sampling, seeded.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { forward, type Model } from "./model.ts";
import { makeRng } from "../rng.ts";

/** Options of `sample`. */
export interface SampleOptions {
  maxNewTokens?: number;
  /** 0 means greedy (argmax). */
  temperature?: number;
  /** Keep only the k most likely tokens (0: all). */
  topK?: number;
  seed?: number;
}

/**
 * Continues `prompt` (token ids) by up to `maxNewTokens` tokens. The context
 * is cropped to the model's maxPositions (no KV cache: models here are small).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend.ts";
 * import { createModel } from "./model.ts";
 * import { initParams } from "./params.ts";
 * import { PRESETS } from "./config.ts";
 * import { sample } from "./sample.ts";
 * await initBackend("cpu");
 * const model = createModel(PRESETS.tiny, initParams(PRESETS.tiny, 0));
 * const ids = await sample(model, [72, 105], { maxNewTokens: 5, seed: 1 });
 * assert.equal(ids.length, 5);
 * assert.deepEqual(await sample(model, [72, 105], { maxNewTokens: 5, seed: 1 }), ids);
 * ```
 */
export async function sample(
  model: Model,
  prompt: ArrayLike<number>,
  opts: SampleOptions = {},
): Promise<number[]> {
  const { maxNewTokens = 100, temperature = 0.8, topK = 40, seed = 0 } = opts;
  const rng = makeRng(seed);
  const ids = Array.from(prompt);
  if (ids.length === 0) ids.push(10); // an empty prompt starts after a newline
  const V = model.config.vocabSize;
  for (let n = 0; n < maxNewTokens; n++) {
    const ctx = ids.slice(-model.config.maxPositions);
    const last = tf.tidy(() => {
      const logits = forward(model, tf.tensor2d(ctx, [1, ctx.length], "int32"));
      return tf.slice(logits, [ctx.length - 1, 0], [1, V]);
    });
    const logits = (await last.data()) as Float32Array;
    last.dispose();
    ids.push(pickToken(logits, temperature, topK, rng.next()));
  }
  return ids.slice(prompt.length || 1);
}

/**
 * Draws one token from logits with temperature and top-k, given a uniform
 * number u in [0, 1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pickToken } from "./sample.ts";
 * assert.equal(pickToken(new Float32Array([0, 5, 1]), 0, 0, 0.5), 1); // greedy
 * assert.equal(pickToken(new Float32Array([0, 5, 1]), 1, 1, 0.99), 1); // top-1
 * ```
 */
export function pickToken(
  logits: Float32Array,
  temperature: number,
  topK: number,
  u: number,
): number {
  const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]);
  if (temperature <= 0) return order[0];
  const kept = topK > 0 ? order.slice(0, topK) : order;
  const max = logits[kept[0]];
  const w = kept.map((i) => Math.exp((logits[i] - max) / temperature));
  const total = w.reduce((a, b) => a + b, 0);
  let acc = 0;
  for (let j = 0; j < kept.length; j++) {
    acc += w[j] / total;
    if (u < acc) return kept[j];
  }
  return kept[kept.length - 1];
}
