/**
 * GPT-2: token + learned position embeddings, pre-LayerNorm blocks, causal
 * multi-head attention with a fused c_attn, GELU(tanh) MLP, final LayerNorm,
 * LM head tied to the token embedding unless `lm_head.weight` exists.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { attnWidth, type ModelConfig } from "./config.ts";
import { affine, embed, linearT } from "./ops.ts";
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
  const pos = ctx.positions
    ? tf.gather(p("transformer.wpe.weight"), ctx.positions)
    : tf.slice(p("transformer.wpe.weight"), [0, 0], [T, E]);
  let x = ctx.dropout(tf.reshape(tf.add(tf.reshape(tok, [B, T, E]), pos), [B * T, E]));
  for (let i = 0; i < cfg.numLayers; i++) {
    const l = (n: string) => p(`transformer.h.${i}.${n}`);
    const b = (n: string) => ctx.param(`transformer.h.${i}.${n}`) as tf.Tensor1D;
    const h1 = layerNorm(x, l("ln_1.weight"), l("ln_1.bias"), cfg.normEps) as tf.Tensor2D;
    const qkv = affine(h1, l("attn.c_attn.weight"), b("attn.c_attn.bias"));
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
    const a = affine(att, l("attn.c_proj.weight"), b("attn.c_proj.bias"));
    x = tf.add(x, ctx.dropout(a));
    const h2 = layerNorm(x, l("ln_2.weight"), l("ln_2.bias"), cfg.normEps) as tf.Tensor2D;
    const f = geluTanh(affine(h2, l("mlp.c_fc.weight"), b("mlp.c_fc.bias"))) as tf.Tensor2D;
    const m = affine(f, l("mlp.c_proj.weight"), b("mlp.c_proj.bias"));
    x = tf.add(x, ctx.dropout(m));
  }
  const h = layerNorm(x, p("transformer.ln_f.weight"), p("transformer.ln_f.bias"), cfg.normEps);
  const head = cfg.tieWordEmbeddings ? p("transformer.wte.weight") : p("lm_head.weight");
  return linearT(h as tf.Tensor2D, head);
}
