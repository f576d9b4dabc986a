/**
 * Llama: token embedding, RMSNorm, RoPE, grouped-query attention, SwiGLU MLP,
 * final RMSNorm, tied or untied LM head. Linear weights are [out, in].
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { ModelConfig } from "./config.ts";
import { embed, linearT } from "./ops.ts";
import { applyRope, attention, rmsNorm } from "./layers.ts";
import type { ForwardContext } from "./model.ts";

/**
 * Logits [B*T, V] of a Llama model for token ids [B*T].
 *
 * @example
 * ```ts
 * // Called through forward() in model.ts.
 * ```
 */
export function llamaForward(cfg: ModelConfig, ctx: ForwardContext): tf.Tensor2D {
  const p = (name: string) => ctx.param(name) as tf.Tensor2D;
  const { batch: B, seqLen: T } = ctx;
  const { cos, sin } = ctx.rope!;
  const rotate = (t: tf.Tensor) => applyRope(t, cos, sin);
  let x: tf.Tensor2D = ctx.dropout(embed(ctx.ids, p("model.embed_tokens.weight"))) as tf.Tensor2D;
  for (let i = 0; i < cfg.numLayers; i++) {
    const l = (n: string) => p(`model.layers.${i}.${n}`);
    const h1 = rmsNorm(x, l("input_layernorm.weight"), cfg.normEps) as tf.Tensor2D;
    const att = attention(
      linearT(h1, l("self_attn.q_proj.weight")),
      linearT(h1, l("self_attn.k_proj.weight")),
      linearT(h1, l("self_attn.v_proj.weight")),
      {
        batch: B,
        seqLen: T,
        numHeads: cfg.numHeads,
        numKvHeads: cfg.numKvHeads,
        headDim: cfg.headDim,
        mask: ctx.mask,
        rotate,
        dropout: ctx.training ? ctx.dropout : undefined,
      },
    ) as tf.Tensor2D;
    x = tf.add(x, ctx.dropout(linearT(att, l("self_attn.o_proj.weight"))));
    const h2 = rmsNorm(x, l("post_attention_layernorm.weight"), cfg.normEps) as tf.Tensor2D;
    const gate = linearT(h2, l("mlp.gate_proj.weight"));
    const up = linearT(h2, l("mlp.up_proj.weight"));
    const swiglu = tf.mul(tf.mul(gate, tf.sigmoid(gate)), up) as tf.Tensor2D;
    x = tf.add(x, ctx.dropout(linearT(swiglu, l("mlp.down_proj.weight"))));
  }
  const h = rmsNorm(x, p("model.norm.weight"), cfg.normEps) as tf.Tensor2D;
  const head = cfg.tieWordEmbeddings ? p("model.embed_tokens.weight") : p("lm_head.weight");
  return linearT(h, head);
}
