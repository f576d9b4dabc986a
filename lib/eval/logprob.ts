/**
 * A `LogProbFn` backed by a model: summed log-likelihood of each request's
 * continuation given its context, batched with right padding (positions after
 * a sequence's end cannot influence it under the causal mask).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { forward, type Model } from "../model/model.ts";
import type { LogProbFn, LogProbRequest } from "./multiple_choice.ts";

/**
 * Wraps a model as a LogProbFn. Requests longer than maxPositions keep the
 * end of the context (the continuation is never cut).
 *
 * @example
 * ```ts
 * import { modelLogProb } from "./logprob.ts";
 * // const lp = modelLogProb(model); const [ll] = await lp([{ context, continuation }]);
 * ```
 */
export function modelLogProb(model: Model, batchSize = 16): LogProbFn {
  const P = model.config.maxPositions, V = model.config.vocabSize;
  return async (requests: LogProbRequest[]) => {
    const out: number[] = [];
    for (let s = 0; s < requests.length; s += batchSize) {
      const chunk = requests.slice(s, s + batchSize);
      const seqs = chunk.map((r) => {
        if (r.continuation.length >= P) {
          throw new RangeError(
            `continuation of ${r.continuation.length} tokens does not fit maxPositions ${P}`,
          );
        }
        const all = new Int32Array(r.context.length + r.continuation.length);
        all.set(r.context), all.set(r.continuation, r.context.length);
        return all.slice(Math.max(0, all.length - P - 1)); // +1: the last token is only a target
      });
      const T = Math.max(...seqs.map((q) => q.length)) - 1;
      const ids = new Int32Array(chunk.length * T);
      seqs.forEach((q, b) => ids.set(q.subarray(0, q.length - 1), b * T));
      const logp = tf.tidy(() =>
        tf.logSoftmax(forward(model, tf.tensor2d(ids, [chunk.length, T], "int32")), -1)
      );
      const lp = (await logp.data()) as Float32Array;
      logp.dispose();
      chunk.forEach((r, b) => {
        const q = seqs[b], n = r.continuation.length;
        let sum = 0;
        // Token q[t + 1] is predicted at position t.
        for (let t = q.length - 1 - n; t < q.length - 1; t++) sum += lp[(b * T + t) * V + q[t + 1]];
        out.push(sum);
      });
    }
    return out;
  };
}
