/**
 * Batches of next-token-prediction windows from a token stream: seeded random
 * windows for training (resumable from a saved state) and fixed, evenly
 * spaced windows for evaluation.
 *
 * @module
 */

import { makeRng, type Rng } from "../rng.ts";

/**
 * Shape and seed of a sampler.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BatchSampler, type SamplerOptions } from "./sampler.ts";
 * const opts: SamplerOptions = { batchSize: 8, seqLen: 128, seed: 0 };
 * assert.equal(new BatchSampler(new Int32Array(1000), opts).next().inputs.length, 8 * 128);
 * ```
 */
export interface SamplerOptions {
  batchSize: number;
  seqLen: number;
  seed: number;
}

/**
 * One batch; row `b` occupies `[b*seqLen, (b+1)*seqLen)` of both arrays.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Batch, fixedBatches } from "./sampler.ts";
 * const tokens = new Int32Array(100).map((_, i) => i);
 * const [batch]: Batch[] = fixedBatches(tokens, { batchSize: 2, seqLen: 8, count: 1 });
 * assert.equal(batch.inputs.length, 16);
 * assert.equal(batch.targets[0], batch.inputs[0] + 1); // targets are the next tokens
 * ```
 */
export interface Batch {
  /** Token ids, `[batchSize*seqLen]` row-major. */
  inputs: Int32Array;
  /** The same windows shifted by one token: `targets[j] = tokens[start+1+j]`. */
  targets: Int32Array;
  batchSize: number;
  seqLen: number;
}

/**
 * JSON-serialisable position of a {@link BatchSampler}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BatchSampler, type SamplerState } from "./sampler.ts";
 * const s = new BatchSampler(new Int32Array(100), { batchSize: 2, seqLen: 8, seed: 3 });
 * s.next();
 * const state: SamplerState = s.state();
 * assert.equal(state.seed, 3);
 * assert.equal(state.step, 1);
 * assert.equal(state.rng.length, 4);
 * ```
 */
export interface SamplerState {
  seed: number;
  /** Batches drawn so far. */
  step: number;
  /** The generator's four 32-bit words (see lib/rng.ts). */
  rng: number[];
}

function checkShape(tokens: Int32Array, batchSize: number, seqLen: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchSize is ${batchSize}; use a positive integer`);
  }
  if (!Number.isInteger(seqLen) || seqLen < 1) {
    throw new Error(`seqLen is ${seqLen}; use a positive integer`);
  }
  if (tokens.length < seqLen + 1) {
    throw new Error(
      `tokens has ${tokens.length} ids but seqLen ${seqLen} needs at least ${seqLen + 1}; ` +
        `use more text or a shorter seqLen`,
    );
  }
}

/** Copies the windows starting at `starts` into a batch. */
function gather(tokens: Int32Array, starts: number[], seqLen: number): Batch {
  const inputs = new Int32Array(starts.length * seqLen);
  const targets = new Int32Array(starts.length * seqLen);
  starts.forEach((s, b) => {
    inputs.set(tokens.subarray(s, s + seqLen), b * seqLen);
    targets.set(tokens.subarray(s + 1, s + 1 + seqLen), b * seqLen);
  });
  return { inputs, targets, batchSize: starts.length, seqLen };
}

/**
 * Random training windows: each row starts uniformly in
 * `[0, tokens.length - seqLen - 1]`. The same seed gives the same batches, and
 * `restore` from a `state()` continues the exact sequence.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BatchSampler } from "./sampler.ts";
 * const tokens = new Int32Array(1000).map((_, i) => i % 256);
 * const opts = { batchSize: 4, seqLen: 32, seed: 1 };
 * const s = new BatchSampler(tokens, opts);
 * s.next();
 * const saved = JSON.stringify(s.state());
 * const resumed = BatchSampler.restore(tokens, opts, JSON.parse(saved));
 * assert.deepEqual(resumed.next(), s.next()); // the resumed sampler draws the same batch
 * ```
 */
export class BatchSampler {
  #tokens: Int32Array;
  #opts: SamplerOptions;
  #rng: Rng;
  #step = 0;

  constructor(tokens: Int32Array, opts: SamplerOptions) {
    checkShape(tokens, opts.batchSize, opts.seqLen);
    this.#tokens = tokens;
    this.#opts = { ...opts };
    this.#rng = makeRng(opts.seed);
  }

  /** Draws the next batch. */
  next(): Batch {
    const { batchSize, seqLen } = this.#opts;
    const range = this.#tokens.length - seqLen; // starts in [0, range - 1]
    const starts = Array.from({ length: batchSize }, () => this.#rng.int(range));
    this.#step++;
    return gather(this.#tokens, starts, seqLen);
  }

  /** Position to save with a checkpoint. */
  state(): SamplerState {
    return { seed: this.#opts.seed, step: this.#step, rng: this.#rng.state() };
  }

  /** A sampler that continues from a saved `state()`; `opts` must match the saving run. */
  static restore(tokens: Int32Array, opts: SamplerOptions, state: SamplerState): BatchSampler {
    if (state?.seed !== opts.seed) {
      throw new Error(
        `sampler state seed ${state?.seed} differs from options seed ${opts.seed}; resume with the saved seed`,
      );
    }
    const words = state.rng;
    if (
      !Array.isArray(words) || words.length !== 4 ||
      // rng.ts may hold a word as a signed int32 (after `^`): accept both readings.
      !words.every((w) => Number.isInteger(w) && w >= -(2 ** 31) && w < 2 ** 32)
    ) {
      throw new Error(
        "sampler state rng must be four 32-bit integers; use state() output",
      );
    }
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new Error(`sampler state step is ${state.step}; use a non-negative integer`);
    }
    const s = new BatchSampler(tokens, opts);
    s.#rng = makeRng(words.slice());
    s.#step = state.step;
    return s;
  }
}

/**
 * Deterministic evaluation batches: `count * batchSize` windows evenly spaced
 * over the stream, so every run scores the same text. `seed` (default 0)
 * only shifts all windows by one common offset smaller than their spacing;
 * seed 0 starts the first window at 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fixedBatches } from "./sampler.ts";
 * const tokens = new Int32Array(1000).map((_, i) => i % 256);
 * const batches = fixedBatches(tokens, { batchSize: 4, seqLen: 32, count: 2 });
 * assert.equal(batches.length, 2);
 * assert.deepEqual(fixedBatches(tokens, { batchSize: 4, seqLen: 32, count: 2 }), batches);
 * ```
 */
export function fixedBatches(
  tokens: Int32Array,
  opts: { batchSize: number; seqLen: number; count: number; seed?: number },
): Batch[] {
  const { batchSize, seqLen, count, seed = 0 } = opts;
  checkShape(tokens, batchSize, seqLen);
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`count is ${count}; use a positive integer`);
  }
  const windows = batchSize * count;
  const step = (tokens.length - seqLen) / windows; // starts stay in [0, length - seqLen - 1]
  const phase = seed === 0 ? 0 : makeRng(seed).next() * step;
  const batches: Batch[] = [];
  for (let c = 0; c < count; c++) {
    const starts = Array.from(
      { length: batchSize },
      (_, b) => Math.floor(phase + (c * batchSize + b) * step),
    );
    batches.push(gather(tokens, starts, seqLen));
  }
  return batches;
}
