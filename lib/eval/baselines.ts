/**
 * Context-free reference scorers for multiple-choice tasks: what a task's
 * accuracy looks like when the "model" ignores the context entirely.
 *
 * @module
 */
import type { LogProbFn, LogProbRequest } from "./multiple_choice.ts";

function checkVocab(vocabSize: number): void {
  if (!Number.isInteger(vocabSize) || vocabSize < 1) {
    throw new RangeError(`vocabSize = ${vocabSize}; use a positive integer`);
  }
}

function checkToken(t: number, vocabSize: number): void {
  if (!Number.isInteger(t) || t < 0 || t >= vocabSize) {
    throw new RangeError(
      `token id ${t} is outside [0, ${vocabSize}); pass the tokenizer's vocab size`,
    );
  }
}

/**
 * A unigram model: each token's probability is its add-one smoothed frequency
 * in `trainTokens`, `(count + 1) / (N + V)`, independent of the context.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unigramLogProb } from "./baselines.ts";
 * const lp = unigramLogProb(new Int32Array([0, 0, 1]), 4); // add-one: p(0) = 3/7, p(2) = 1/7
 * const [ll] = await lp([{ context: new Int32Array([1]), continuation: new Int32Array([0, 2]) }]);
 * assert.ok(Math.abs(ll - (Math.log(3 / 7) + Math.log(1 / 7))) < 1e-12);
 * ```
 */
export function unigramLogProb(trainTokens: Int32Array, vocabSize: number): LogProbFn {
  checkVocab(vocabSize);
  const counts = new Float64Array(vocabSize);
  for (const t of trainTokens) {
    checkToken(t, vocabSize);
    counts[t]++;
  }
  const denom = Math.log(trainTokens.length + vocabSize);
  const logp = Array.from(counts, (c) => Math.log(c + 1) - denom);
  return (requests: LogProbRequest[]) =>
    Promise.resolve().then(() =>
      requests.map((r) => {
        let s = 0;
        for (const t of r.continuation) {
          checkToken(t, vocabSize);
          s += logp[t];
        }
        return s;
      })
    );
}

/**
 * Every token equally likely: `-log(V)` per continuation token, so every
 * choice of the same token length ties (and the first choice wins the tie).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { uniformLogProb } from "./baselines.ts";
 * const lp = uniformLogProb(256);
 * const lls = await lp([{ context: new Int32Array([1]), continuation: new Int32Array([2, 3]) }]);
 * assert.deepEqual(lls, [-2 * Math.log(256)]);
 * ```
 */
export function uniformLogProb(vocabSize: number): LogProbFn {
  checkVocab(vocabSize);
  const per = -Math.log(vocabSize);
  return (requests: LogProbRequest[]) =>
    Promise.resolve(requests.map((r) => r.continuation.length * per));
}
