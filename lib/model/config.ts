/**
 * One configuration type for both model families, with presets, parameter
 * count and FLOPs per token.
 *
 * @module
 */

/** The two supported decoder-only families. */
export type Family = "gpt2" | "llama";

/**
 * Shape and hyper-parameters of a decoder-only transformer.
 *
 * `gpt2`: learned positions, LayerNorm with bias, GELU(tanh) MLP of width
 * `intermediateSize`, biases everywhere, `numKvHeads === numHeads`.
 * `llama`: RoPE, RMSNorm, SwiGLU MLP, no biases, grouped-query attention.
 */
export interface ModelConfig {
  family: Family;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** Key/value heads (grouped-query attention); equals numHeads for gpt2. */
  numKvHeads: number;
  /** Size of one attention head; hiddenSize / numHeads unless widened. */
  headDim: number;
  intermediateSize: number;
  /** Longest sequence: size of the position table (gpt2) or RoPE range (llama). */
  maxPositions: number;
  normEps: number;
  /** RoPE base (llama only). */
  ropeTheta: number;
  /** Whether the LM head shares the token-embedding matrix. */
  tieWordEmbeddings: boolean;
  /** Dropout probability used in training (embeddings, attention, residual). */
  dropout: number;
}

/**
 * Defaults shared by the families; `family` and the sizes come from the
 * caller. Unset derived sizes follow the given ones: headDim = hiddenSize /
 * numHeads, numKvHeads = numHeads, intermediateSize = 4E (gpt2) or 3E (llama).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "./config.ts";
 * const cfg = defaultConfig("llama", { hiddenSize: 32, numHeads: 4 });
 * assert.equal(cfg.headDim, 8);
 * assert.equal(cfg.numKvHeads, 4);
 * assert.equal(cfg.intermediateSize, 96);
 * ```
 */
export function defaultConfig(
  family: Family,
  sizes: Partial<ModelConfig> = {},
): ModelConfig {
  const hiddenSize = sizes.hiddenSize ?? 64;
  const numHeads = sizes.numHeads ?? 4;
  const base: ModelConfig = {
    family,
    vocabSize: 256,
    hiddenSize,
    numLayers: 2,
    numHeads,
    numKvHeads: family === "gpt2" ? numHeads : numHeads,
    headDim: Math.floor(hiddenSize / numHeads),
    intermediateSize: family === "gpt2" ? 4 * hiddenSize : 3 * hiddenSize,
    maxPositions: 128,
    normEps: family === "gpt2" ? 1e-5 : 1e-6,
    ropeTheta: 10000,
    tieWordEmbeddings: true,
    dropout: 0,
  };
  const cfg = { ...base, ...sizes, family };
  if (sizes.headDim === undefined) {
    cfg.headDim = Math.floor(cfg.hiddenSize / cfg.numHeads);
  }
  if (sizes.numKvHeads === undefined) cfg.numKvHeads = cfg.numHeads;
  if (sizes.intermediateSize === undefined) {
    cfg.intermediateSize = family === "gpt2" ? 4 * cfg.hiddenSize : 3 * cfg.hiddenSize;
  }
  return cfg;
}

/**
 * Named presets. `tiny|small|medium` are the benchmark shapes (gpt2, vocab
 * 256); `llama-tiny` is tiny's Llama counterpart with grouped-query attention.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./config.ts";
 * assert.equal(PRESETS.tiny.family, "gpt2");
 * assert.equal(PRESETS["llama-tiny"].numKvHeads, 2);
 * ```
 */
export const PRESETS: Record<string, ModelConfig> = {
  tiny: defaultConfig("gpt2", {
    hiddenSize: 64,
    numLayers: 2,
    numHeads: 4,
    maxPositions: 64,
  }),
  small: defaultConfig("gpt2", {
    hiddenSize: 128,
    numLayers: 4,
    numHeads: 4,
    maxPositions: 128,
  }),
  medium: defaultConfig("gpt2", {
    hiddenSize: 256,
    numLayers: 6,
    numHeads: 8,
    maxPositions: 256,
  }),
  "llama-tiny": defaultConfig("llama", {
    hiddenSize: 64,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    intermediateSize: 176,
    maxPositions: 64,
  }),
};

/**
 * Problems with a config, as `field: message` strings; empty when valid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configProblems, PRESETS } from "./config.ts";
 * assert.deepEqual(configProblems(PRESETS.tiny), []);
 * assert.deepEqual(configProblems({ ...PRESETS.tiny, numKvHeads: 2 }), [
 *   "numKvHeads: gpt2 has no grouped-query attention; set it to numHeads",
 * ]);
 * ```
 */
export function configProblems(cfg: ModelConfig): string[] {
  const p: string[] = [];
  const posInt = (k: keyof ModelConfig) => {
    const v = cfg[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      p.push(`${k}: must be a positive integer, got ${v}`);
    }
  };
  for (
    const k of [
      "vocabSize",
      "hiddenSize",
      "numLayers",
      "numHeads",
      "numKvHeads",
      "headDim",
      "intermediateSize",
      "maxPositions",
    ] as const
  ) posInt(k);
  if (p.length) return p;
  if (cfg.family === "gpt2") {
    if (cfg.hiddenSize % cfg.numHeads !== 0) {
      p.push(
        `hiddenSize: ${cfg.hiddenSize} is not divisible by numHeads ${cfg.numHeads}`,
      );
    } else if (cfg.headDim !== cfg.hiddenSize / cfg.numHeads) {
      p.push(
        `headDim: gpt2 needs headDim = hiddenSize / numHeads = ${
          cfg.hiddenSize / cfg.numHeads
        }, got ${cfg.headDim}`,
      );
    }
    if (cfg.numKvHeads !== cfg.numHeads) {
      p.push(
        `numKvHeads: gpt2 has no grouped-query attention; set it to numHeads`,
      );
    }
  } else {
    if (cfg.numHeads % cfg.numKvHeads !== 0) {
      p.push(
        `numKvHeads: numHeads ${cfg.numHeads} is not divisible by numKvHeads ${cfg.numKvHeads}`,
      );
    }
    if (cfg.headDim % 2 !== 0) {
      p.push(`headDim: RoPE needs an even head size, got ${cfg.headDim}`);
    }
  }
  if (!(cfg.normEps > 0)) p.push(`normEps: must be > 0, got ${cfg.normEps}`);
  if (!(cfg.dropout >= 0 && cfg.dropout < 1)) {
    p.push(`dropout: must be in [0, 1), got ${cfg.dropout}`);
  }
  if (!(cfg.ropeTheta > 0)) p.push(`ropeTheta: must be > 0`);
  return p;
}

/**
 * Throws a one-line error naming the first bad field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertValidConfig, PRESETS } from "./config.ts";
 * assert.throws(() => assertValidConfig({ ...PRESETS.tiny, dropout: 1 }), /dropout: must be in/);
 * ```
 */
export function assertValidConfig(cfg: ModelConfig): void {
  const p = configProblems(cfg);
  if (p.length) throw new Error(`invalid model config: ${p[0]}`);
}

/**
 * Width of the attention (query) projection: numHeads * headDim.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { attnWidth, PRESETS } from "./config.ts";
 * assert.equal(attnWidth(PRESETS["llama-tiny"]), 4 * 16);
 * ```
 */
export function attnWidth(cfg: ModelConfig): number {
  return cfg.numHeads * cfg.headDim;
}

/**
 * Width of the key/value projections: numKvHeads * headDim.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kvWidth, PRESETS } from "./config.ts";
 * assert.equal(kvWidth(PRESETS["llama-tiny"]), 2 * 16);
 * ```
 */
export function kvWidth(cfg: ModelConfig): number {
  return cfg.numKvHeads * cfg.headDim;
}

/**
 * Number of parameters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paramCount, PRESETS } from "./config.ts";
 * import { paramSpecs } from "./params.ts";
 * assert.equal(paramCount(PRESETS.tiny), 120_576);
 * const sizes = paramSpecs(PRESETS.tiny).map((s) => s.shape.reduce((a, b) => a * b, 1));
 * assert.equal(paramCount(PRESETS.tiny), sizes.reduce((a, b) => a + b));
 * ```
 */
export function paramCount(cfg: ModelConfig): number {
  const E = cfg.hiddenSize, F = cfg.intermediateSize;
  const A = attnWidth(cfg), K = kvWidth(cfg);
  const embed = cfg.vocabSize * E;
  const head = cfg.tieWordEmbeddings ? 0 : cfg.vocabSize * E;
  if (cfg.family === "gpt2") {
    const block = 2 * 2 * E + // two LayerNorms
      E * (A + 2 * K) + (A + 2 * K) + A * E + E + // attention
      E * F + F + F * E + E; // MLP
    return embed + cfg.maxPositions * E + cfg.numLayers * block + 2 * E + head;
  }
  const block = 2 * E + E * (A + 2 * K) + A * E + 3 * E * F;
  return embed + cfg.numLayers * block + E + head;
}

/**
 * Parameters that take part in matrix multiplies per token (head included).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matmulParams, PRESETS } from "./config.ts";
 * // 2 layers of (64 x 192 + 64 x 64 + 2 x 64 x 256) plus the 256 x 64 head
 * assert.equal(matmulParams(PRESETS.tiny), 2 * (12_288 + 4_096 + 32_768) + 16_384);
 * ```
 */
export function matmulParams(cfg: ModelConfig): number {
  const E = cfg.hiddenSize, F = cfg.intermediateSize;
  const A = attnWidth(cfg), K = kvWidth(cfg);
  const mlp = cfg.family === "gpt2" ? 2 * E * F : 3 * E * F;
  return cfg.numLayers * (E * (A + 2 * K) + A * E + mlp) +
    cfg.vocabSize * E;
}

/**
 * Forward FLOPs per token at sequence length `seqLen`: 2 per multiply-add of
 * every weight matrix (LM head included, embedding lookup free) plus the
 * attention scores and weighted sum, 2 * 2 * layers * seqLen * attnWidth
 * (counted over the full square, as Kaplan et al. and nanoGPT do).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forwardFlopsPerToken, matmulParams, PRESETS } from "./config.ts";
 * const cfg = PRESETS.tiny;
 * assert.equal(forwardFlopsPerToken(cfg, 64), 2 * matmulParams(cfg) + 4 * 2 * 64 * 64);
 * ```
 */
export function forwardFlopsPerToken(cfg: ModelConfig, seqLen: number): number {
  return 2 * matmulParams(cfg) +
    4 * cfg.numLayers * seqLen * attnWidth(cfg);
}

/**
 * Training FLOPs per token: forward plus backward (twice the forward).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forwardFlopsPerToken, PRESETS, trainFlopsPerToken } from "./config.ts";
 * assert.equal(trainFlopsPerToken(PRESETS.tiny, 64), 3 * forwardFlopsPerToken(PRESETS.tiny, 64));
 * ```
 */
export function trainFlopsPerToken(cfg: ModelConfig, seqLen: number): number {
  return 3 * forwardFlopsPerToken(cfg, seqLen);
}
