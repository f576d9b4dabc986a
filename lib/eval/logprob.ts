/**
 * A `LogProbFn` backed by a model: summed log-likelihood of each request's
 * continuation given its context.
 *
 * Consecutive requests with the same context (the choices of one item, as
 * `scoreTask` sends them) are packed into one row when each fits in one
 * window: the context once, then every continuation, each at the positions it
 * would have alone and seeing only the context and itself. The model then
 * reads a shared context once for all its choices; the log-probabilities are
 * those of scoring each request alone (exactly the same tokens, positions and
 * attention; only float rounding of the masked sums may differ). Other
 * requests are run one window each, with right padding (positions after a
 * sequence's end cannot influence it under the causal mask). Only the scored
 * positions' log-probabilities leave the device.
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

/** A packed row: a shared context, then each request's continuation but its last token. */
interface PackedRow {
  requests: number[];
  tokens: Int32Array;
  positions: Int32Array;
  /** Index in the row of the token that predicts each target, and the target, per request. */
  scored: { at: Int32Array; targets: Int32Array }[];
  /** First continuation token's row index, per request (for the visibility mask). */
  starts: number[];
  contextLength: number;
}

/**
 * The packed row of a group of requests sharing one context, or null when one
 * of them needs several windows or would see a different part of the context
 * alone than the others (then they are scored one window each).
 */
function packGroup(requests: LogProbRequest[], ids: number[], P: number): PackedRow | null {
  const ctx = requests[ids[0]].context;
  let from = -1;
  for (const i of ids) {
    const w = windowsOf(requests[i], i, P);
    if (w.length !== 1) return null;
    const start = ctx.length + requests[i].continuation.length - 1 - w[0].inputs.length;
    if (from !== -1 && start !== from) return null;
    from = start;
  }
  const context = ctx.subarray(from);
  const C = context.length;
  let T = C;
  for (const i of ids) T += requests[i].continuation.length - 1;
  const tokens = new Int32Array(T), positions = new Int32Array(T);
  tokens.set(context);
  for (let j = 0; j < C; j++) positions[j] = j;
  const scored: PackedRow["scored"] = [], starts: number[] = [];
  let off = C;
  for (const i of ids) {
    const cont = requests[i].continuation, n = cont.length;
    tokens.set(cont.subarray(0, n - 1), off);
    const at = new Int32Array(n);
    at[0] = C - 1;
    for (let j = 1; j < n; j++) at[j] = off + j - 1;
    for (let j = 0; j < n - 1; j++) positions[off + j] = C + j;
    scored.push({ at, targets: cont });
    starts.push(off);
    off += n - 1;
  }
  return { requests: ids, tokens, positions, scored, starts, contextLength: C };
}

/** Which tokens each token of a packed row sees: the context is causal, each continuation sees the context and itself. */
function visibility(row: PackedRow): Uint8Array {
  const C = row.contextLength, T = row.tokens.length;
  const out = new Uint8Array(T * T);
  for (let i = 0; i < C; i++) out.fill(1, i * T, i * T + i + 1);
  row.starts.forEach((s, k) => {
    const e = k + 1 < row.starts.length ? row.starts[k + 1] : T;
    for (let i = s; i < e; i++) {
      out.fill(1, i * T, i * T + C);
      out.fill(1, i * T + s, i * T + i + 1);
    }
  });
  return out;
}

/** Log-probabilities of `targets` at flat positions `rows` of logits [N, V], gathered on the device. */
async function gatherLogProbs(
  logits: tf.Tensor2D,
  rows: Int32Array,
  targets: Int32Array,
): Promise<Float32Array> {
  const V = logits.shape[1];
  const picked = tf.tidy(() => {
    const lp = tf.logSoftmax(tf.gather(logits, tf.tensor1d(rows, "int32")), -1);
    const flat = new Int32Array(rows.length);
    for (let r = 0; r < rows.length; r++) flat[r] = r * V + targets[r];
    return tf.gather(tf.reshape(lp, [-1]), tf.tensor1d(flat, "int32"));
  });
  const out = (await picked.data()) as Float32Array;
  picked.dispose();
  return out;
}

/**
 * Wraps a model as a LogProbFn. `stats.tokens` (when given) accumulates the
 * positions actually run through the model, padding included, for FLOPs
 * accounting.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { modelLogProb } from "./logprob.ts";
 * import { initBackend } from "../backend.ts";
 * import { PRESETS } from "../model/config.ts";
 * import { createModel, disposeModel } from "../model/model.ts";
 * import { initParams } from "../model/params.ts";
 * await initBackend("cpu");
 * const model = createModel(PRESETS.tiny, initParams(PRESETS.tiny, 0));
 * const stats = { tokens: 0 };
 * const lp = modelLogProb(model, 16, stats);
 * const context = new Int32Array([72, 105]), continuation = new Int32Array([33, 33]);
 * const [ll] = await lp([{ context, continuation }]);
 * disposeModel(model);
 * // log p of two tokens under an untrained model: close to 2 ln(1/256)
 * assert.ok(Math.abs(ll + 2 * Math.log(256)) < 1);
 * assert.ok(stats.tokens >= 3); // positions run through the model
 * ```
 */
export function modelLogProb(
  model: Model,
  batchSize = 16,
  stats?: { tokens: number },
): LogProbFn {
  const P = model.config.maxPositions;
  // Positions per forward call: `batchSize` full windows. Packing only groups requests of
  // one call: pass a whole task per call (scoreTask's batchSize) for full batches.
  const budget = batchSize * P;
  return async (requests: LogProbRequest[]) => {
    const out = new Array<number>(requests.length).fill(0);
    // Groups of consecutive requests with the same context.
    const packed: PackedRow[] = [];
    const single: Window[] = [];
    for (let s = 0; s < requests.length;) {
      let e = s + 1;
      while (e < requests.length && sameIds(requests[e].context, requests[s].context)) e++;
      const ids = Array.from({ length: e - s }, (_, k) => s + k);
      const row = ids.length > 1 ? packGroup(requests, ids, P) : null;
      if (row) packed.push(row);
      else for (const i of ids) single.push(...windowsOf(requests[i], i, P));
      s = e;
    }
    // Rows with the same layout (context length, continuation lengths) share one
    // forward call's positions and mask; as many rows per call as the budget allows.
    const layouts = new Map<string, PackedRow[]>();
    for (const r of packed) {
      const key = `${r.contextLength}:${r.scored.map((q) => q.targets.length).join(",")}`;
      const list = layouts.get(key) ?? [];
      layouts.set(key, list);
      list.push(r);
    }
    for (const rows of layouts.values()) {
      const T = rows[0].tokens.length;
      const packing = { positions: rows[0].positions, visible: visibility(rows[0]) };
      const perCall = Math.max(1, Math.floor(budget / T));
      for (let s = 0; s < rows.length; s += perCall) {
        const chunk = rows.slice(s, s + perCall), n = chunk.length;
        const ids = new Int32Array(n * T);
        chunk.forEach((r, b) => ids.set(r.tokens, b * T));
        if (stats) stats.tokens += n * T;
        const at: number[] = [], targets: number[] = [];
        chunk.forEach((r, b) =>
          r.scored.forEach((q) =>
            q.targets.forEach((t, j) => {
              at.push(b * T + q.at[j]), targets.push(t);
            })
          )
        );
        const logits = tf.tidy(() =>
          forward(model, tf.tensor2d(ids, [n, T], "int32"), { packing })
        );
        const lp = await gatherLogProbs(logits, Int32Array.from(at), Int32Array.from(targets));
        logits.dispose();
        let k = 0;
        chunk.forEach((r) =>
          r.scored.forEach((q, m) => {
            let sum = 0;
            for (let j = 0; j < q.targets.length; j++) sum += lp[k++];
            out[r.requests[m]] += sum;
          })
        );
      }
    }
    for (let s = 0; s < single.length; s += batchSize) {
      const chunk = single.slice(s, s + batchSize);
      const T = Math.max(...chunk.map((w) => w.inputs.length));
      const ids = new Int32Array(chunk.length * T);
      if (stats) stats.tokens += chunk.length * T;
      chunk.forEach((w, b) => ids.set(w.inputs, b * T));
      const count = chunk.reduce((n, w) => n + w.targets.length, 0);
      const rows = new Int32Array(count), targets = new Int32Array(count);
      let k = 0;
      chunk.forEach((w, b) => {
        for (let j = 0; j < w.targets.length; j++) {
          rows[k] = b * T + w.from + j, targets[k++] = w.targets[j];
        }
      });
      const logits = tf.tidy(() => forward(model, tf.tensor2d(ids, [chunk.length, T], "int32")));
      const lp = await gatherLogProbs(logits, rows, targets);
      logits.dispose();
      k = 0;
      for (const w of chunk) {
        let sum = 0;
        for (let j = 0; j < w.targets.length; j++) sum += lp[k++];
        out[w.request] += sum;
      }
    }
    return out;
  };
}

function sameIds(a: Int32Array, b: Int32Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
