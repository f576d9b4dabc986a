/**
 * Held-out loss, perplexity and next-token accuracy of a model on fixed
 * batches.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { correctCount, crossEntropy, forward, type Model } from "../model/model.ts";
import type { Batch } from "../data/sampler.ts";

/** Result of `evaluateBatches`. */
export interface EvalResult {
  /** Mean next-token cross-entropy in nats. */
  loss: number;
  /** exp(loss). */
  perplexity: number;
  /** Fraction of positions whose argmax prediction is the next token. */
  accuracy: number;
  /** Positions scored. */
  tokens: number;
}

/**
 * Evaluates `model` on `batches` (no dropout). Every batch has the same size,
 * so the mean of batch means is the mean over tokens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluateBatches } from "./evaluate.ts";
 * import { initBackend } from "../backend.ts";
 * import { fixedBatches } from "../data/sampler.ts";
 * import { PRESETS } from "../model/config.ts";
 * import { createModel, disposeModel } from "../model/model.ts";
 * import { initParams } from "../model/params.ts";
 * await initBackend("cpu");
 * const model = createModel(PRESETS.tiny, initParams(PRESETS.tiny, 0));
 * const tokens = new Int32Array(2000).map((_, i) => (i * 7) % 256);
 * const r = await evaluateBatches(model, fixedBatches(tokens, { batchSize: 2, seqLen: 16, count: 3 }));
 * disposeModel(model);
 * assert.equal(r.tokens, 2 * 16 * 3);
 * assert.ok(Math.abs(r.loss - Math.log(256)) < 0.5); // untrained: close to uniform over 256 ids
 * assert.ok(Math.abs(r.perplexity - Math.exp(r.loss)) < 1e-9 * r.perplexity);
 * ```
 */
export async function evaluateBatches(model: Model, batches: Batch[]): Promise<EvalResult> {
  let lossSum = 0, correct = 0, tokens = 0;
  for (const b of batches) {
    const [loss, corr] = tf.tidy(() => {
      const ids = tf.tensor2d(b.inputs, [b.batchSize, b.seqLen], "int32");
      const targets = tf.tensor1d(b.targets, "int32");
      const logits = forward(model, ids);
      return [crossEntropy(logits, targets), correctCount(logits, targets)];
    });
    lossSum += (await loss.data())[0] * b.inputs.length;
    correct += (await corr.data())[0];
    tokens += b.inputs.length;
    loss.dispose(), corr.dispose();
  }
  const loss = lossSum / tokens;
  return { loss, perplexity: Math.exp(loss), accuracy: correct / tokens, tokens };
}
