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

/** One forward window: inputs and which of its positions are scored. */
interface Window {
  request: number;
  inputs: Int32Array;
  /** Scored positions: position i predicts inputs-token i + 1 = targets[i]. */
  from: number;
  targets: Int32Array;
}

/**
 * Splits a request into windows of at most `P` input tokens. When everything
 * fits, that is one window; otherwise continuation tokens are scored in
 * strides of P/2, each with at least P/2 tokens of preceding context (the
 * rolling scheme of lm-evaluation-harness for long texts).
 */
function windowsOf(r: LogProbRequest, request: number, P: number): Window[] {
  const all = new Int32Array(r.context.length + r.continuation.length);
  all.set(r.context), all.set(r.continuation, r.context.length);
  const L = all.length, first = r.context.length;
  const stride = L - 1 <= P ? L : Math.max(1, Math.floor(P / 2));
  const out: Window[] = [];
  for (let s = first; s < L; s += stride) {
    const e = Math.min(L, s + stride);
    const a = Math.max(0, e - 1 - P);
    out.push({
      request,
      inputs: all.slice(a, e - 1),
      from: s - 1 - a,
      targets: all.slice(s, e),
    });
  }
  return out;
}

/**
 * Wraps a model as a LogProbFn. `stats.tokens` (when given) accumulates the
 * positions actually run through the model, padding included, for FLOPs
 * accounting.
 *
 * @example
 * ```ts
 * import { modelLogProb } from "./logprob.ts";
 * // const lp = modelLogProb(model); const [ll] = await lp([{ context, continuation }]);
 * ```
 */
export function modelLogProb(
  model: Model,
  batchSize = 16,
  stats?: { tokens: number },
): LogProbFn {
  const P = model.config.maxPositions, V = model.config.vocabSize;
  return async (requests: LogProbRequest[]) => {
    const out = new Array<number>(requests.length).fill(0);
    const windows = requests.flatMap((r, i) => windowsOf(r, i, P));
    for (let s = 0; s < windows.length; s += batchSize) {
      const chunk = windows.slice(s, s + batchSize);
      const T = Math.max(...chunk.map((w) => w.inputs.length));
      const ids = new Int32Array(chunk.length * T);
      if (stats) stats.tokens += chunk.length * T;
      chunk.forEach((w, b) => ids.set(w.inputs, b * T));
      const logp = tf.tidy(() =>
        tf.logSoftmax(forward(model, tf.tensor2d(ids, [chunk.length, T], "int32")), -1)
      );
      const lp = (await logp.data()) as Float32Array;
      logp.dispose();
      chunk.forEach((w, b) => {
        let sum = 0;
        for (let j = 0; j < w.targets.length; j++) {
          sum += lp[(b * T + w.from + j) * V + w.targets[j]];
        }
        out[w.request] += sum;
      });
    }
    return out;
  };
}
