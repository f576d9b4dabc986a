/**
 * Function-preservation check shared by every variant: the clone's logits
 * must equal the source's up to float32 rounding. The tolerance is derived in
 * docs/cloning.md ("Verification tolerance").
 *
 * @module
 */
import { attnWidth, type ModelConfig } from "../model/config.ts";
import { computeLogits } from "../model/model.ts";
import type { TensorMap } from "../tensor_map.ts";
import { makeRng } from "../rng.ts";
import { isNoisy } from "./options.ts";

/** Unit roundoff of float32. */
export const FLOAT32_U = 2 ** -24;
/** Safety factor of the tolerance (see docs/cloning.md). */
export const TOLERANCE_FACTOR = 4;
/**
 * Largest tolerance ever granted: a source so ill-conditioned that float32
 * rounding moves its logits by more than this cannot be told apart from a
 * broken clone (layout bugs give differences of order 1e-2 to 1).
 */
export const MAX_TOLERANCE = 1e-3;
/** Number of sensitivity probes (the largest response is used). */
export const PROBES = 2;

/** Options of {@link verifyClone}. */
export interface VerifyOptions {
  /** Extra token sequences, e.g. the bytes of real text. */
  sequences?: Int32Array[];
  /** Number of seeded random-id sequences (default 3). */
  randomSequences?: number;
  /** Length of the random sequences (default min(32, maxPositions)); keep it short for big models. */
  seqLen?: number;
  /** Seed of the random sequences and of the sensitivity probe (default 0). */
  seed?: number;
  /** Noise amplification of the variant, 1 + 10^(-snr/20) for noisy ones (default 1). */
  noiseGain?: number;
}

/** What {@link verifyClone} found. */
export interface VerifyReport {
  sequences: number;
  tokens: number;
  /** max |clone - source| over all logits. */
  maxAbsDiff: number;
  /** maxAbsDiff / max |source logit|. */
  maxRelDiff: number;
  maxAbsLogit: number;
  /** Relative float32 sensitivity of the source to a u-sized weight perturbation. */
  sensitivity: number;
  /** Longest dot product in the clone. */
  kMax: number;
  /** Allowed maxRelDiff. */
  tolerance: number;
  pass: boolean;
}

/**
 * Longest dot product of a forward pass: hidden, FFN, head size or sequence length.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { longestDot } from "./verify.ts";
 * import { PRESETS } from "../model/config.ts";
 * assert.equal(longestDot(PRESETS.tiny, 1 << 20), 1 << 20);
 * ```
 */
export function longestDot(cfg: ModelConfig, seqLen: number): number {
  return Math.max(cfg.hiddenSize, cfg.intermediateSize, attnWidth(cfg), cfg.headDim, seqLen);
}

/**
 * The verification tolerance on maxRelDiff:
 * min(c * noiseGain * sqrt(kMax) * max((2L + 1) u, sensitivity), MAX_TOLERANCE).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cloneTolerance, MAX_TOLERANCE } from "./verify.ts";
 * const tol = cloneTolerance({ kMax: 128, numLayers: 2, sensitivity: 1e-7 });
 * assert.ok(tol > 0 && tol < MAX_TOLERANCE);
 * assert.equal(cloneTolerance({ kMax: 128, numLayers: 2, sensitivity: 1 }), MAX_TOLERANCE);
 * ```
 */
export function cloneTolerance(
  a: { kMax: number; numLayers: number; sensitivity: number; noiseGain?: number },
): number {
  const floor = (2 * a.numLayers + 1) * FLOAT32_U;
  const tol = TOLERANCE_FACTOR * (a.noiseGain ?? 1) * Math.sqrt(a.kMax) *
    Math.max(floor, a.sensitivity);
  return Number.isNaN(tol) ? 0 : Math.min(tol, MAX_TOLERANCE);
}

/**
 * Noise amplification of a variant's cancelling pairs (1 for noise-free variants).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { noiseGainOf } from "./verify.ts";
 * assert.equal(noiseGainOf("noisy-symmetric", 20), 1.1);
 * assert.equal(noiseGainOf("symmetric", 20), 1);
 * ```
 */
export function noiseGainOf(variant: string, snrDb: number): number {
  return isNoisy(variant) ? 1 + Math.pow(10, -snrDb / 20) : 1;
}

/**
 * Seeded random-id sequences.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { randomSequences } from "./verify.ts";
 * const s = randomSequences(256, 3, 8, 0);
 * assert.deepEqual(s.map((x) => x.length), [8, 8, 8]);
 * assert.deepEqual(randomSequences(256, 3, 8, 0), s);
 * ```
 */
export function randomSequences(
  vocab: number,
  count: number,
  len: number,
  seed: number,
): Int32Array[] {
  const rng = makeRng(seed);
  return Array.from(
    { length: count },
    () => Int32Array.from({ length: len }, () => rng.int(vocab)),
  );
}

function maxAbs(xs: Float32Array[]): number {
  let m = 0;
  // A NaN or infinite logit makes the result non-finite, which fails the check.
  for (const x of xs) for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let d = 0;
  for (let s = 0; s < a.length; s++) {
    if (a[s].length !== b[s].length) throw new Error("verifyClone: logits of different sizes");
    // NaN compares false: turn it into an infinite difference so it fails.
    for (let i = 0; i < a[s].length; i++) {
      const x = Math.abs(a[s][i] - b[s][i]);
      d = Number.isNaN(x) ? Infinity : Math.max(d, x);
    }
  }
  return d;
}

/**
 * Runs source and clone on the same token sequences (seeded random ids plus
 * any given ones) and checks that the logits agree within the float32
 * tolerance. Also measures the source's own float32 sensitivity: the logit
 * change when every weight is perturbed by a relative N(0, u^2).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { verifyClone } from "./verify.ts";
 * import { cloneParams } from "./plan.ts";
 * import { initBackend } from "../backend.ts";
 * import { PRESETS } from "../model/config.ts";
 * import { initParams } from "../model/params.ts";
 * await initBackend("cpu");
 * const src = initParams(PRESETS.tiny, 0);
 * const c = cloneParams(PRESETS.tiny, src, { width: 2 });
 * const r = await verifyClone(PRESETS.tiny, src, c.config, c.params);
 * assert.equal(r.pass, true);
 * ```
 */
export async function verifyClone(
  srcCfg: ModelConfig,
  srcParams: TensorMap,
  cloneCfg: ModelConfig,
  cloneParams: TensorMap,
  opts: VerifyOptions = {},
): Promise<VerifyReport> {
  const seed = opts.seed ?? 0;
  const len = Math.min(opts.seqLen ?? 32, srcCfg.maxPositions);
  const seqs = [
    ...randomSequences(srcCfg.vocabSize, opts.randomSequences ?? 3, len, seed),
    ...(opts.sequences ?? []).map((s) => s.subarray(0, srcCfg.maxPositions)),
  ].filter((s) => s.length > 0);
  for (const s of seqs) {
    for (const id of s) {
      if (!(id >= 0 && id < srcCfg.vocabSize)) {
        throw new Error(
          `verifyClone: token id ${id} is outside the vocabulary [0, ${srcCfg.vocabSize})`,
        );
      }
    }
  }
  const src = await computeLogits(srcCfg, srcParams, seqs);
  const clone = await computeLogits(cloneCfg, cloneParams, seqs);
  // Sensitivity probes: the same source with every weight perturbed by a
  // relative N(0, u^2); the largest response of PROBES draws.
  const rng = makeRng((seed ^ 0x5bd1e995) >>> 0);
  const probed: Float32Array[][] = [];
  for (let k = 0; k < PROBES; k++) {
    const probe: TensorMap = new Map();
    for (const [name, t] of srcParams) {
      const d = new Float32Array(t.data.length);
      for (let i = 0; i < d.length; i++) d[i] = t.data[i] * (1 + FLOAT32_U * rng.normal());
      probe.set(name, { shape: t.shape, data: d });
    }
    probed.push(await computeLogits(srcCfg, probe, seqs));
  }
  const maxAbsLogit = maxAbs(src);
  const scale = maxAbsLogit > 0 ? maxAbsLogit : 1;
  const maxAbsDiff = maxDiff(src, clone);
  const sensitivity = Math.max(...probed.map((p) => maxDiff(src, p))) / scale;
  const kMax = longestDot(cloneCfg, Math.max(...seqs.map((s) => s.length)));
  const tolerance = cloneTolerance({
    kMax,
    numLayers: cloneCfg.numLayers,
    sensitivity,
    noiseGain: opts.noiseGain,
  });
  const maxRelDiff = maxAbsDiff / scale;
  return {
    sequences: seqs.length,
    tokens: seqs.reduce((a, s) => a + s.length, 0),
    maxAbsDiff,
    maxRelDiff,
    maxAbsLogit,
    sensitivity,
    kMax,
    tolerance,
    pass: Number.isFinite(maxAbsLogit) && maxRelDiff <= tolerance,
  };
}
