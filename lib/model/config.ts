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

/** Defaults shared by the families; `family` and the sizes come from the caller. */
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
 * 256); `quick` and `main` are the source sizes of the CPU-scale experiments.
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

/** Problems with a config, as `field: message` strings; empty when valid. */
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

/** Throws a one-line error naming the first bad field. */
export function assertValidConfig(cfg: ModelConfig): void {
  const p = configProblems(cfg);
  if (p.length) throw new Error(`invalid model config: ${p[0]}`);
}

/** Width of the attention (query) projection: numHeads * headDim. */
export function attnWidth(cfg: ModelConfig): number {
  return cfg.numHeads * cfg.headDim;
}

/** Width of the key/value projections: numKvHeads * headDim. */
export function kvWidth(cfg: ModelConfig): number {
  return cfg.numKvHeads * cfg.headDim;
}

/**
 * Number of parameters.
 *
 * @example
 * ```ts
 * import { paramCount, PRESETS } from "./config.ts";
 * console.log(paramCount(PRESETS.tiny)); // 118,400 + 4,096 positions
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

/** Parameters that take part in matrix multiplies per token (head included). */
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
 */
export function forwardFlopsPerToken(cfg: ModelConfig, seqLen: number): number {
  return 2 * matmulParams(cfg) +
    4 * cfg.numLayers * seqLen * attnWidth(cfg);
}

/** Training FLOPs per token: forward plus backward (twice the forward). */
export function trainFlopsPerToken(cfg: ModelConfig, seqLen: number): number {
  return 3 * forwardFlopsPerToken(cfg, seqLen);
}
