/**
 * Clone options: their types, defaults, validation (one-line errors naming the
 * option and the fix) and the clone's model config.
 *
 * @module
 */
import { configProblems, type ModelConfig } from "../model/config.ts";
import { UsageError } from "../errors.ts";

/** The paper's four variants (block patterns of a cloned weight). */
export const VARIANTS = ["symmetric", "diagonal", "noisy-symmetric", "noisy-diagonal"] as const;
/** One of {@link VARIANTS}. */
export type VariantName = typeof VARIANTS[number];
/** "more": H -> nH heads of the same size; "wider": H heads of size n*d. */
export const HEAD_MODES = ["more", "wider"] as const;
/** One of {@link HEAD_MODES}. */
export type HeadMode = typeof HEAD_MODES[number];
/**
 * What happens to a tied LM head: "untie" gives the clone its own
 * `lm_head.weight = T_{1,n}(wte)/n`; "fold-norm" keeps the tie and divides the
 * final norm's weight (and bias) by n, so the 1/n lives in saved weights.
 */
export const TIED_MODES = ["untie", "fold-norm"] as const;
/** One of {@link TIED_MODES}. */
export type TiedMode = typeof TIED_MODES[number];
/**
 * How depth grows by a factor K (docs/cloning.md, "Depth"):
 * "identity": after each source layer, K-1 copies of it whose residual-writing
 * projections are zero (exact identities; logits preserved);
 * "stack": the whole stack repeated K times, layer i + jL = layer i (G_stack; not
 * function-preserving);
 * "interleave": each layer repeated K times in place, layer iK + j = layer i
 * (not function-preserving).
 */
export const DEPTH_MODES = ["identity", "stack", "interleave"] as const;
/** One of {@link DEPTH_MODES}. */
export type DepthMode = typeof DEPTH_MODES[number];

/** Options of a clone; every field but `width` has a default. */
export interface CloneOptions {
  /** Hidden-width factor n (integer >= 1). */
  width: number;
  /** FFN-width factor m (integer >= 1); defaults to `width`. */
  ffn?: number;
  /** Block pattern; default "noisy-symmetric". */
  variant?: VariantName;
  /** Default "more". */
  heads?: HeadMode;
  /** Default "fold-norm" (only matters when the source's head is tied). */
  tied?: TiedMode;
  /** Noise power relative to the block it is added to, in dB; default 10. */
  snrDb?: number;
  /** Seed of the noise; default 0. */
  seed?: number;
  /** Depth factor K (integer >= 1): the clone has K times the source's layers; default 1. */
  depth?: number;
  /** How new layers are made; default "identity" (the function-preserving one). */
  depthMode?: DepthMode;
}

/** Options with every default filled in. */
export type ResolvedCloneOptions = Required<CloneOptions>;

/**
 * Clone options as specs, grids and records store them: every field set,
 * except that `depth` and `depthMode` may be absent for width-only clones (so
 * the ids hashed from them before depth growth existed stay the same).
 */
export type StoredCloneOptions =
  & Omit<ResolvedCloneOptions, "depth" | "depthMode">
  & Partial<Pick<ResolvedCloneOptions, "depth" | "depthMode">>;

/**
 * Defaults of the optional fields (`ffn` defaults to `width`): the one set
 * the CLI (`hc clone`), specs and {@link validateCloneOptions} use.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CLONE_DEFAULTS } from "./options.ts";
 * assert.equal(CLONE_DEFAULTS.variant, "noisy-symmetric");
 * assert.equal(CLONE_DEFAULTS.snrDb, 10);
 * ```
 */
export const CLONE_DEFAULTS = {
  variant: "noisy-symmetric",
  heads: "more",
  tied: "fold-norm",
  snrDb: 10,
  seed: 0,
  depth: 1,
  depthMode: "identity",
} as const satisfies Omit<ResolvedCloneOptions, "width" | "ffn">;

/** The variants that add noise to their blocks. */
export type NoisyVariant = "noisy-symmetric" | "noisy-diagonal";

/**
 * Whether a variant adds noise (so its clone depends on the noise seed and
 * `snrDb`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isNoisy } from "./options.ts";
 * assert.equal(isNoisy("noisy-diagonal"), true);
 * assert.equal(isNoisy("symmetric"), false);
 * ```
 */
export function isNoisy(variant: string): variant is NoisyVariant {
  return variant === "noisy-symmetric" || variant === "noisy-diagonal";
}

/**
 * A bad clone option or an impossible split: a {@link UsageError}, so the CLI
 * prints its one line and exits with code 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UsageError } from "../errors.ts";
 * import { CloneOptionError } from "./options.ts";
 * assert.ok(new CloneOptionError("clone width: must be a positive integer") instanceof UsageError);
 * ```
 */
export class CloneOptionError extends UsageError {
  override name = "CloneOptionError";
}

const isPosInt = (x: unknown): x is number =>
  typeof x === "number" && Number.isInteger(x) && x >= 1;

/** Accepts camelCase spellings too ("noisySymmetric"). */
function normaliseVariant(v: unknown): unknown {
  return typeof v === "string" ? v.replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase() : v;
}

/**
 * Checks options against a source config and fills in {@link CLONE_DEFAULTS}.
 * Throws a {@link CloneOptionError} (a UsageError: exit 2) with a one-line
 * message naming the option.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CLONE_DEFAULTS, validateCloneOptions } from "./options.ts";
 * import { PRESETS } from "../model/config.ts";
 * const o = validateCloneOptions(PRESETS.tiny, { width: 2 });
 * assert.deepEqual(o, { width: 2, ffn: 2, ...CLONE_DEFAULTS });
 * ```
 */
export function validateCloneOptions(src: ModelConfig, opts: CloneOptions): ResolvedCloneOptions {
  const o = opts as unknown as Record<string, unknown>;
  if (!isPosInt(o.width)) {
    throw new CloneOptionError(`clone width: must be a positive integer, got ${o.width}`);
  }
  const ffn = o.ffn ?? o.width;
  if (!isPosInt(ffn)) {
    throw new CloneOptionError(`clone ffn: must be a positive integer, got ${o.ffn}`);
  }
  const variant = normaliseVariant(o.variant ?? CLONE_DEFAULTS.variant);
  if (!(VARIANTS as readonly unknown[]).includes(variant)) {
    throw new CloneOptionError(
      `clone variant: '${o.variant}' is not one of ${VARIANTS.join(", ")}`,
    );
  }
  const heads = o.heads ?? CLONE_DEFAULTS.heads;
  if (!(HEAD_MODES as readonly unknown[]).includes(heads)) {
    throw new CloneOptionError(`clone heads: '${o.heads}' is not one of ${HEAD_MODES.join(", ")}`);
  }
  const tied = o.tied ?? CLONE_DEFAULTS.tied;
  if (!(TIED_MODES as readonly unknown[]).includes(tied)) {
    throw new CloneOptionError(`clone tied: '${o.tied}' is not one of ${TIED_MODES.join(", ")}`);
  }
  const snrDb = o.snrDb ?? CLONE_DEFAULTS.snrDb;
  if (typeof snrDb !== "number" || !Number.isFinite(snrDb)) {
    throw new CloneOptionError(`clone snrDb: must be a finite number of dB, got ${o.snrDb}`);
  }
  const seed = o.seed ?? CLONE_DEFAULTS.seed;
  if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new CloneOptionError(`clone seed: must be an integer in [0, 2^32), got ${o.seed}`);
  }
  const depth = o.depth ?? CLONE_DEFAULTS.depth;
  if (!isPosInt(depth)) {
    throw new CloneOptionError(`clone depth: must be a positive integer, got ${o.depth}`);
  }
  const depthMode = o.depthMode ?? CLONE_DEFAULTS.depthMode;
  if (!(DEPTH_MODES as readonly unknown[]).includes(depthMode)) {
    throw new CloneOptionError(
      `clone depthMode: '${o.depthMode}' is not one of ${DEPTH_MODES.join(", ")}`,
    );
  }
  const bad = configProblems(src);
  if (bad.length) throw new CloneOptionError(`clone source config: ${bad[0]}`);
  if (src.numHeads % src.numKvHeads !== 0) {
    throw new CloneOptionError(
      `clone source: numHeads ${src.numHeads} is not a multiple of numKvHeads ${src.numKvHeads}; ` +
        `its heads cannot be split into query groups`,
    );
  }
  if (src.family === "gpt2" && src.headDim * src.numHeads !== src.hiddenSize) {
    throw new CloneOptionError(
      `clone source: gpt2 needs numHeads*headDim = hiddenSize, got ${src.numHeads}*${src.headDim}`,
    );
  }
  return {
    width: o.width as number,
    ffn,
    variant: variant as VariantName,
    heads: heads as HeadMode,
    tied: tied as TiedMode,
    snrDb,
    seed,
    depth,
    depthMode: depthMode as DepthMode,
  };
}

/**
 * Whether a clone made with these options computes its source's function
 * (logits equal up to float32 rounding): every width clone does; depth growth
 * only in "identity" mode (or K = 1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isFunctionPreserving } from "./options.ts";
 * assert.equal(isFunctionPreserving({ width: 2, depth: 2, depthMode: "stack" }), false);
 * assert.equal(isFunctionPreserving({ width: 2, depth: 2 }), true);
 * ```
 */
export function isFunctionPreserving(opts: CloneOptions): boolean {
  return (opts.depth ?? CLONE_DEFAULTS.depth) === 1 ||
    (opts.depthMode ?? CLONE_DEFAULTS.depthMode) === "identity";
}

/**
 * Multi-query attention: one KV head shared by several query heads. Its KV
 * weights are only tiled along the input axis, so it stays one head.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isMqa } from "./options.ts";
 * import { PRESETS } from "../model/config.ts";
 * assert.equal(isMqa({ ...PRESETS.tiny, numKvHeads: 1 }), true);
 * ```
 */
export function isMqa(cfg: ModelConfig): boolean {
  return cfg.numKvHeads === 1 && cfg.numHeads > 1;
}

/**
 * The clone's model config: K*L layers, hidden n*E, FFN m*F, heads n*H ("more") or
 * head size n*d ("wider"), KV heads n*Hkv (one stays one, MQA), tie kept only
 * for "fold-norm".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cloneConfig } from "./options.ts";
 * import { PRESETS } from "../model/config.ts";
 * const big = cloneConfig(PRESETS.tiny, { width: 2 });
 * assert.equal(big.hiddenSize, 2 * PRESETS.tiny.hiddenSize);
 * assert.equal(big.numHeads, 2 * PRESETS.tiny.numHeads);
 * ```
 */
export function cloneConfig(src: ModelConfig, opts: CloneOptions): ModelConfig {
  const o = validateCloneOptions(src, opts);
  const n = o.width;
  const more = o.heads === "more";
  const cfg: ModelConfig = {
    ...src,
    numLayers: o.depth * src.numLayers,
    hiddenSize: n * src.hiddenSize,
    intermediateSize: o.ffn * src.intermediateSize,
    numHeads: more ? n * src.numHeads : src.numHeads,
    headDim: more ? src.headDim : n * src.headDim,
    numKvHeads: more && !isMqa(src) ? n * src.numKvHeads : src.numKvHeads,
    tieWordEmbeddings: src.tieWordEmbeddings && o.tied === "fold-norm",
  };
  const bad = configProblems(cfg);
  if (bad.length) throw new CloneOptionError(`clone config: ${bad[0]}`);
  return cfg;
}

/**
 * The source config a clone was made from (inverse of {@link cloneConfig}
 * for the shapes; the tie flag is the clone's). Used by the symmetry report.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cloneConfig, sourceConfigOf } from "./options.ts";
 * import { PRESETS } from "../model/config.ts";
 * const src = sourceConfigOf(cloneConfig(PRESETS.tiny, { width: 2 }), { width: 2 });
 * assert.equal(src.hiddenSize, PRESETS.tiny.hiddenSize);
 * ```
 */
export function sourceConfigOf(
  clone: ModelConfig,
  opts: { width: number; ffn?: number; heads?: HeadMode; depth?: number },
): ModelConfig {
  const n = opts.width, m = opts.ffn ?? opts.width;
  const more = (opts.heads ?? CLONE_DEFAULTS.heads) === "more";
  const div = (x: number, k: number, what: string) => {
    if (!isPosInt(k) || x % k !== 0) {
      throw new CloneOptionError(
        `symmetry: ${what} ${x} is not divisible by the clone factor ${k}`,
      );
    }
    return x / k;
  };
  const numHeads = more ? div(clone.numHeads, n, "numHeads") : clone.numHeads;
  return {
    ...clone,
    numLayers: div(clone.numLayers, opts.depth ?? CLONE_DEFAULTS.depth, "numLayers"),
    hiddenSize: div(clone.hiddenSize, n, "hiddenSize"),
    intermediateSize: div(clone.intermediateSize, m, "intermediateSize"),
    numHeads,
    headDim: more ? clone.headDim : div(clone.headDim, n, "headDim"),
    numKvHeads: more && !(clone.numKvHeads === 1 && numHeads > 1)
      ? div(clone.numKvHeads, n, "numKvHeads")
      : clone.numKvHeads,
  };
}
