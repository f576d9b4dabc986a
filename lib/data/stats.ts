/**
 * Corpus statistics used as baselines for training loss.
 *
 * @module
 */

/**
 * Entropy in nats of the token frequency distribution, `-Σ p ln p`: the loss a
 * model reaches by predicting only unigram frequencies, so a trained model's
 * cross-entropy should fall below it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unigramEntropy } from "./stats.ts";
 * const h = unigramEntropy(new Int32Array([0, 1, 0, 1]), 256);
 * assert.ok(Math.abs(h - Math.LN2) < 1e-12); // two equally frequent ids: ln 2 nats
 * ```
 */
export function unigramEntropy(tokens: Int32Array, vocabSize: number): number {
  if (tokens.length === 0) throw new Error("unigramEntropy: tokens is empty; pass at least one id");
  const counts = new Float64Array(vocabSize);
  for (let i = 0; i < tokens.length; i++) {
    const id = tokens[i];
    if (id < 0 || id >= vocabSize) {
      throw new RangeError(
        `unigramEntropy: tokens[${i}] = ${id} is outside [0, ${vocabSize}); pass the tokenizer's vocabSize`,
      );
    }
    counts[id]++;
  }
  let h = 0;
  for (const c of counts) {
    if (c > 0) {
      const p = c / tokens.length;
      h -= p * Math.log(p);
    }
  }
  return h;
}
