/**
 * The two small models that the backend-equivalence tests (ops, native
 * matmul) run forward and backward: a GPT-2 and an untied Llama with grouped
 * KV heads, both small enough for a full gradient comparison in a test.
 */
import { defaultConfig, type ModelConfig } from "../lib/model/config.ts";

/** `[label, config]` pairs: "gpt2" and "llama GQA". */
export const SMALL_FAMILIES: [string, ModelConfig][] = [
  [
    "gpt2",
    defaultConfig("gpt2", {
      hiddenSize: 32,
      numHeads: 4,
      numLayers: 2,
      maxPositions: 16,
      vocabSize: 64,
    }),
  ],
  [
    "llama GQA",
    defaultConfig("llama", {
      hiddenSize: 32,
      numHeads: 4,
      numKvHeads: 2,
      numLayers: 2,
      intermediateSize: 48,
      maxPositions: 16,
      vocabSize: 64,
      tieWordEmbeddings: false,
    }),
  ],
];
