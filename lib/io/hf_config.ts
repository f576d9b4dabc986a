/**
 * Conversion between {@link ModelConfig} and Hugging Face `config.json`
 * (`GPT2LMHeadModel`, `LlamaForCausalLM`). Reading accepts real HF configs:
 * unknown keys are ignored, absent keys take the HF defaults, and features
 * the kit does not implement are rejected with the field named.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { configProblems, type Family, type ModelConfig } from "../model/config.ts";

/**
 * HF key that each ModelConfig field comes from, per family (for error messages).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HF_FIELD } from "./hf_config.ts";
 * assert.equal(HF_FIELD.gpt2.hiddenSize, "n_embd");
 * assert.equal(HF_FIELD.llama.hiddenSize, "hidden_size");
 * ```
 */
export const HF_FIELD: Record<Family, Record<keyof ModelConfig, string>> = {
  gpt2: {
    family: "model_type",
    vocabSize: "vocab_size",
    hiddenSize: "n_embd",
    numLayers: "n_layer",
    numHeads: "n_head",
    numKvHeads: "n_head",
    headDim: "n_embd / n_head",
    intermediateSize: "n_inner",
    maxPositions: "n_positions",
    normEps: "layer_norm_epsilon",
    ropeTheta: "(none)",
    tieWordEmbeddings: "tie_word_embeddings",
    dropout: "resid_pdrop",
  },
  llama: {
    family: "model_type",
    vocabSize: "vocab_size",
    hiddenSize: "hidden_size",
    numLayers: "num_hidden_layers",
    numHeads: "num_attention_heads",
    numKvHeads: "num_key_value_heads",
    headDim: "head_dim",
    intermediateSize: "intermediate_size",
    maxPositions: "max_position_embeddings",
    normEps: "rms_norm_eps",
    ropeTheta: "rope_theta",
    tieWordEmbeddings: "tie_word_embeddings",
    dropout: "attention_dropout",
  },
};

/**
 * The HF `config.json` object for a config. GPT-2 requires
 * headDim = hiddenSize / numHeads (HF GPT-2 has no separate head size).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toHfConfig } from "./hf_config.ts";
 * import { PRESETS } from "../model/config.ts";
 * const json = toHfConfig(PRESETS.tiny);
 * assert.equal(json.model_type, "gpt2");
 * assert.equal(json.n_embd, 64);
 * ```
 */
export function toHfConfig(cfg: ModelConfig): Record<string, unknown> {
  const p = configProblems(cfg);
  if (p.length) throw new Error(`cannot write config.json: invalid model config: ${p[0]}`);
  if (cfg.family === "gpt2") {
    return {
      model_type: "gpt2",
      architectures: ["GPT2LMHeadModel"],
      vocab_size: cfg.vocabSize,
      n_embd: cfg.hiddenSize,
      n_layer: cfg.numLayers,
      n_head: cfg.numHeads,
      n_positions: cfg.maxPositions,
      n_ctx: cfg.maxPositions,
      n_inner: cfg.intermediateSize,
      layer_norm_epsilon: cfg.normEps,
      activation_function: "gelu_new",
      resid_pdrop: cfg.dropout,
      embd_pdrop: cfg.dropout,
      attn_pdrop: cfg.dropout,
      tie_word_embeddings: cfg.tieWordEmbeddings,
      scale_attn_weights: true,
      torch_dtype: "float32",
      bos_token_id: cfg.vocabSize - 1,
      eos_token_id: cfg.vocabSize - 1,
    };
  }
  return {
    model_type: "llama",
    architectures: ["LlamaForCausalLM"],
    vocab_size: cfg.vocabSize,
    hidden_size: cfg.hiddenSize,
    intermediate_size: cfg.intermediateSize,
    num_attention_heads: cfg.numHeads,
    num_key_value_heads: cfg.numKvHeads,
    num_hidden_layers: cfg.numLayers,
    head_dim: cfg.headDim,
    rms_norm_eps: cfg.normEps,
    rope_theta: cfg.ropeTheta,
    max_position_embeddings: cfg.maxPositions,
    tie_word_embeddings: cfg.tieWordEmbeddings,
    hidden_act: "silu",
    attention_bias: false,
    mlp_bias: false,
    attention_dropout: cfg.dropout,
    torch_dtype: "float32",
  };
}

/**
 * `config.json` text: pretty JSON with a trailing newline, as HF writes it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromHfConfig, hfConfigText } from "./hf_config.ts";
 * import { PRESETS } from "../model/config.ts";
 * const text = hfConfigText(PRESETS.tiny);
 * assert.ok(text.endsWith("\n"));
 * assert.deepEqual(fromHfConfig(JSON.parse(text)), PRESETS.tiny); // round trip
 * ```
 */
export function hfConfigText(cfg: ModelConfig): string {
  return JSON.stringify(toHfConfig(cfg), null, 2) + "\n";
}

/** Typed field access on a parsed config.json, with errors naming the field. */
class Fields {
  constructor(private obj: Record<string, unknown>, private src: string) {}
  fail(key: string, msg: string): never {
    throw new Error(`${this.src}: ${key} ${msg}`);
  }
  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }
  posInt(key: string, dflt?: number): number {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (dflt !== undefined) return dflt;
      this.fail(key, "is missing; it must be a positive integer");
    }
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      this.fail(key, `must be a positive integer, got ${JSON.stringify(v)}`);
    }
    return v;
  }
  num(key: string, dflt: number, check: (x: number) => boolean, what: string): number {
    const v = this.obj[key];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== "number" || !Number.isFinite(v) || !check(v)) {
      this.fail(key, `must be ${what}, got ${JSON.stringify(v)}`);
    }
    return v;
  }
  bool(key: string, dflt: boolean): boolean {
    const v = this.obj[key];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== "boolean") this.fail(key, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }
  str(key: string, dflt: string): string {
    const v = this.obj[key];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== "string") this.fail(key, `must be a string, got ${JSON.stringify(v)}`);
    return v;
  }
}

const isProb = (x: number) => x >= 0 && x < 1;

/**
 * Model config from a parsed HF `config.json`. `src` names the file in
 * errors. Throws a one-line error naming the offending HF field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromHfConfig } from "./hf_config.ts";
 * const cfg = fromHfConfig({ model_type: "gpt2", vocab_size: 256, n_embd: 64, n_layer: 2,
 *   n_head: 4, n_positions: 64 });
 * assert.equal(cfg.family, "gpt2");
 * assert.equal(cfg.headDim, 16);
 * assert.throws(() => fromHfConfig({ model_type: "bert" }), /model_type/);
 * ```
 */
export function fromHfConfig(json: unknown, src = "config.json"): ModelConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Error(`${src}: must be a JSON object`);
  }
  const obj = json as Record<string, unknown>;
  const f = new Fields(obj, src);
  const type = obj.model_type;
  let cfg: ModelConfig;
  if (type === "gpt2") {
    const act = f.str("activation_function", "gelu_new");
    if (act !== "gelu_new" && act !== "gelu_pytorch_tanh") {
      f.fail("activation_function", `${JSON.stringify(act)} is not supported (use gelu_new)`);
    }
    if (f.bool("scale_attn_weights", true) !== true) {
      f.fail("scale_attn_weights", "false is not supported (attention is always scaled)");
    }
    if (f.bool("scale_attn_by_inverse_layer_idx", false)) {
      f.fail("scale_attn_by_inverse_layer_idx", "true is not supported");
    }
    if (f.has("add_cross_attention") && f.bool("add_cross_attention", false)) {
      f.fail("add_cross_attention", "true is not supported (decoder-only models)");
    }
    const E = f.posInt("n_embd");
    const H = f.posInt("n_head");
    if (E % H !== 0) f.fail("n_head", `${H} does not divide n_embd ${E}`);
    const P = f.has("n_positions") ? f.posInt("n_positions") : f.posInt("n_ctx");
    cfg = {
      family: "gpt2",
      vocabSize: f.posInt("vocab_size"),
      hiddenSize: E,
      numLayers: f.posInt("n_layer"),
      numHeads: H,
      numKvHeads: H,
      headDim: E / H,
      intermediateSize: f.posInt("n_inner", 4 * E),
      maxPositions: P,
      normEps: f.num("layer_norm_epsilon", 1e-5, (x) => x > 0, "> 0"),
      ropeTheta: 10000,
      tieWordEmbeddings: f.bool("tie_word_embeddings", true),
      dropout: f.num("resid_pdrop", 0.1, isProb, "in [0, 1)"),
    };
    // Only one dropout rate exists in the kit; read the others for their type.
    f.num("embd_pdrop", 0.1, isProb, "in [0, 1)");
    f.num("attn_pdrop", 0.1, isProb, "in [0, 1)");
  } else if (type === "llama") {
    const act = f.str("hidden_act", "silu");
    if (act !== "silu") f.fail("hidden_act", `${JSON.stringify(act)} is not supported (use silu)`);
    if (f.has("rope_scaling")) {
      f.fail("rope_scaling", "is set; RoPE scaling is not supported (it must be null)");
    }
    if (f.bool("attention_bias", false)) f.fail("attention_bias", "true is not supported");
    if (f.bool("mlp_bias", false)) f.fail("mlp_bias", "true is not supported");
    const E = f.posInt("hidden_size");
    const H = f.posInt("num_attention_heads");
    if (!f.has("head_dim") && E % H !== 0) {
      f.fail("num_attention_heads", `${H} does not divide hidden_size ${E}; set head_dim`);
    }
    cfg = {
      family: "llama",
      vocabSize: f.posInt("vocab_size"),
      hiddenSize: E,
      numLayers: f.posInt("num_hidden_layers"),
      numHeads: H,
      numKvHeads: f.posInt("num_key_value_heads", H),
      headDim: f.posInt("head_dim", Math.floor(E / H)),
      intermediateSize: f.posInt("intermediate_size"),
      maxPositions: f.posInt("max_position_embeddings", 2048),
      normEps: f.num("rms_norm_eps", 1e-6, (x) => x > 0, "> 0"),
      ropeTheta: f.num("rope_theta", 10000, (x) => x > 0, "> 0"),
      tieWordEmbeddings: f.bool("tie_word_embeddings", false),
      dropout: f.num("attention_dropout", 0, isProb, "in [0, 1)"),
    };
  } else {
    throw new Error(
      `${src}: model_type ${JSON.stringify(type)} is not supported (use "gpt2" or "llama")`,
    );
  }
  const p = configProblems(cfg);
  if (p.length) {
    const field = p[0].split(":")[0] as keyof ModelConfig;
    const hf = HF_FIELD[cfg.family][field] ?? field;
    throw new Error(`${src}: ${hf} is invalid (${p[0]})`);
  }
  return cfg;
}

/**
 * Reads and converts a `config.json` file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hfConfigText, readHfConfig } from "./hf_config.ts";
 * import { PRESETS } from "../model/config.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/config.json`, hfConfigText(PRESETS["llama-tiny"]));
 * assert.deepEqual(await readHfConfig(`${dir}/config.json`), PRESETS["llama-tiny"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readHfConfig(path: string): Promise<ModelConfig> {
  const text = await readFile(path, "utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return fromHfConfig(json, path);
}
