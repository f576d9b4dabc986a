/**
 * GPT-2: token + learned position embeddings, pre-LayerNorm blocks, causal
 * multi-head attention with a fused c_attn, GELU(tanh) MLP, final LayerNorm,
 * LM head tied to the token embedding unless `lm_head.weight` exists.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { attnWidth, type ModelConfig } from "./config.ts";
import { embed, linear, linearT } from "./ops.ts";
import { attention, geluTanh, layerNorm } from "./layers.ts";
import type { ForwardContext } from "./model.ts";

/**
 * Logits [B*T, V] of a GPT-2 model for token ids [B*T].
 *
 * @example
 * ```ts
 * // Called through forward() in model.ts.
 * ```
 */
export function gpt2Forward(cfg: ModelConfig, ctx: ForwardContext): tf.Tensor2D {
  const p = (name: string) => ctx.param(name) as tf.Tensor2D;
  const { batch: B, seqLen: T } = ctx;
  const A = attnWidth(cfg), E = cfg.hiddenSize;
  const tok = embed(ctx.ids, p("transformer.wte.weight"));
  const pos = tf.slice(p("transformer.wpe.weight"), [0, 0], [T, E]);
  let x = ctx.dropout(tf.reshape(tf.add(tf.reshape(tok, [B, T, E]), pos), [B * T, E]));
  for (let i = 0; i < cfg.numLayers; i++) {
    const l = (n: string) => p(`transformer.h.${i}.${n}`);
    const h1 = layerNorm(x, l("ln_1.weight"), l("ln_1.bias"), cfg.normEps) as tf.Tensor2D;
    const qkv = tf.add(linear(h1, l("attn.c_attn.weight")), l("attn.c_attn.bias"));
    const [q, k, v] = tf.split(qkv, [A, A, A], -1);
    const att = attention(q, k, v, {
      batch: B,
      seqLen: T,
      numHeads: cfg.numHeads,
      numKvHeads: cfg.numHeads,
      headDim: cfg.headDim,
      mask: ctx.mask,
      dropout: ctx.training ? ctx.dropout : undefined,
    }) as tf.Tensor2D;
    const a = tf.add(linear(att, l("attn.c_proj.weight")), l("attn.c_proj.bias"));
    x = tf.add(x, ctx.dropout(a));
    const h2 = layerNorm(x, l("ln_2.weight"), l("ln_2.bias"), cfg.normEps) as tf.Tensor2D;
    const f = geluTanh(tf.add(linear(h2, l("mlp.c_fc.weight")), l("mlp.c_fc.bias"))) as tf.Tensor2D;
    const m = tf.add(linear(f, l("mlp.c_proj.weight")), l("mlp.c_proj.bias"));
    x = tf.add(x, ctx.dropout(m));
  }
  const h = layerNorm(x, p("transformer.ln_f.weight"), p("transformer.ln_f.bias"), cfg.normEps);
  const head = cfg.tieWordEmbeddings ? p("transformer.wte.weight") : p("lm_head.weight");
  return linearT(h as tf.Tensor2D, head);
}
