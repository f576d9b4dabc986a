/**
 * Parameter names and shapes of each family, exactly as Hugging Face's
 * `GPT2LMHeadModel` and `LlamaForCausalLM` name them, and their
 * initialisation.
 *
 * @module
 */
import { attnWidth, kvWidth, type ModelConfig } from "./config.ts";
import { hostTensor, type TensorMap } from "../tensor_map.ts";
import { makeRng } from "../rng.ts";

/** How a parameter is initialised and whether weight decay applies. */
export type ParamKind = "embedding" | "matrix" | "bias" | "norm";

/** Name, shape and kind of one parameter. */
export interface ParamSpec {
  name: string;
  shape: number[];
  kind: ParamKind;
  /** Output projection into the residual stream (scaled init, GPT-2 style). */
  residualOut?: boolean;
}

/**
 * Every parameter of a model in HF naming and HF layout (GPT-2 Conv1D weights
 * are [in, out]; Llama Linear weights are [out, in]).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paramSpecs } from "./params.ts";
 * import { PRESETS } from "./config.ts";
 * const specs = paramSpecs(PRESETS.tiny);
 * assert.deepEqual(specs[0], { name: "transformer.wte.weight", shape: [256, 64], kind: "embedding" });
 * const cAttn = specs.find((s) => s.name === "transformer.h.0.attn.c_attn.weight");
 * assert.deepEqual(cAttn?.shape, [64, 3 * 64]); // Conv1D: [in, out]
 * ```
 */
export function paramSpecs(cfg: ModelConfig): ParamSpec[] {
  return cfg.family === "gpt2" ? gpt2Specs(cfg) : llamaSpecs(cfg);
}

function gpt2Specs(cfg: ModelConfig): ParamSpec[] {
  const E = cfg.hiddenSize, F = cfg.intermediateSize, A = attnWidth(cfg);
  const s: ParamSpec[] = [
    {
      name: "transformer.wte.weight",
      shape: [cfg.vocabSize, E],
      kind: "embedding",
    },
    {
      name: "transformer.wpe.weight",
      shape: [cfg.maxPositions, E],
      kind: "embedding",
    },
  ];
  for (let i = 0; i < cfg.numLayers; i++) {
    const p = `transformer.h.${i}.`;
    s.push(
      { name: p + "ln_1.weight", shape: [E], kind: "norm" },
      { name: p + "ln_1.bias", shape: [E], kind: "bias" },
      { name: p + "attn.c_attn.weight", shape: [E, 3 * A], kind: "matrix" },
      { name: p + "attn.c_attn.bias", shape: [3 * A], kind: "bias" },
      {
        name: p + "attn.c_proj.weight",
        shape: [A, E],
        kind: "matrix",
        residualOut: true,
      },
      { name: p + "attn.c_proj.bias", shape: [E], kind: "bias" },
      { name: p + "ln_2.weight", shape: [E], kind: "norm" },
      { name: p + "ln_2.bias", shape: [E], kind: "bias" },
      { name: p + "mlp.c_fc.weight", shape: [E, F], kind: "matrix" },
      { name: p + "mlp.c_fc.bias", shape: [F], kind: "bias" },
      {
        name: p + "mlp.c_proj.weight",
        shape: [F, E],
        kind: "matrix",
        residualOut: true,
      },
      { name: p + "mlp.c_proj.bias", shape: [E], kind: "bias" },
    );
  }
  s.push(
    { name: "transformer.ln_f.weight", shape: [E], kind: "norm" },
    { name: "transformer.ln_f.bias", shape: [E], kind: "bias" },
  );
  if (!cfg.tieWordEmbeddings) {
    s.push({
      name: "lm_head.weight",
      shape: [cfg.vocabSize, E],
      kind: "matrix",
    });
  }
  return s;
}

function llamaSpecs(cfg: ModelConfig): ParamSpec[] {
  const E = cfg.hiddenSize, F = cfg.intermediateSize;
  const A = attnWidth(cfg), K = kvWidth(cfg);
  const s: ParamSpec[] = [
    {
      name: "model.embed_tokens.weight",
      shape: [cfg.vocabSize, E],
      kind: "embedding",
    },
  ];
  for (let i = 0; i < cfg.numLayers; i++) {
    const p = `model.layers.${i}.`;
    s.push(
      { name: p + "input_layernorm.weight", shape: [E], kind: "norm" },
      { name: p + "self_attn.q_proj.weight", shape: [A, E], kind: "matrix" },
      { name: p + "self_attn.k_proj.weight", shape: [K, E], kind: "matrix" },
      { name: p + "self_attn.v_proj.weight", shape: [K, E], kind: "matrix" },
      {
        name: p + "self_attn.o_proj.weight",
        shape: [E, A],
        kind: "matrix",
        residualOut: true,
      },
      { name: p + "post_attention_layernorm.weight", shape: [E], kind: "norm" },
      { name: p + "mlp.gate_proj.weight", shape: [F, E], kind: "matrix" },
      { name: p + "mlp.up_proj.weight", shape: [F, E], kind: "matrix" },
      {
        name: p + "mlp.down_proj.weight",
        shape: [E, F],
        kind: "matrix",
        residualOut: true,
      },
    );
  }
  s.push({ name: "model.norm.weight", shape: [E], kind: "norm" });
  if (!cfg.tieWordEmbeddings) {
    s.push({
      name: "lm_head.weight",
      shape: [cfg.vocabSize, E],
      kind: "matrix",
    });
  }
  return s;
}

/**
 * Random initialisation, GPT-2 style: normal(0, 0.02) for matrices and
 * embeddings, 0.02 / sqrt(2 * layers) for projections into the residual
 * stream, zero biases, unit norm weights. Deterministic in `seed`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initParams } from "./params.ts";
 * import { PRESETS } from "./config.ts";
 * const params = initParams(PRESETS.tiny, 0);
 * assert.ok(params.get("transformer.h.0.ln_1.weight")!.data.every((v) => v === 1));
 * assert.ok(params.get("transformer.h.0.ln_1.bias")!.data.every((v) => v === 0));
 * assert.deepEqual(initParams(PRESETS.tiny, 0), params); // deterministic in the seed
 * ```
 */
export function initParams(cfg: ModelConfig, seed: number): TensorMap {
  const rng = makeRng(seed);
  const out: TensorMap = new Map();
  for (const spec of paramSpecs(cfg)) {
    const t = hostTensor(spec.shape);
    if (spec.kind === "norm") t.data.fill(1);
    else if (spec.kind !== "bias") {
      const std = spec.residualOut ? 0.02 / Math.sqrt(2 * cfg.numLayers) : 0.02;
      for (let i = 0; i < t.data.length; i++) t.data[i] = std * rng.normal();
    }
    out.set(spec.name, t);
  }
  return out;
}
