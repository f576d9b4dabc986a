/**
 * The transformer of both families in one file, in the spirit of nanoGPT's
 * model.py: an embedding, a stack of identical pre-norm blocks, a final norm
 * and the LM head. Activations are 2-D, [B*T, E] (B rows of T tokens, E the
 * hidden size); attention works on [B*H, T, d] (H heads of size d), or with
 * native BLAS per head in place on [B*T, H*d] (`attend`).
 *
 * The families differ only where their papers do (`GPT2` and `LLAMA` below):
 *
 * |           | GPT-2                               | Llama                                 |
 * | --------- | ----------------------------------- | ------------------------------------- |
 * | norm      | LayerNorm (weight, bias)            | RMSNorm (weight)                      |
 * | positions | learned table added to the tokens   | RoPE on queries and keys              |
 * | MLP       | c_proj(gelu_tanh(c_fc(h)))          | down(silu(gate(h)) * up(h)) (SwiGLU)  |
 * | KV heads  | one per query head (fused c_attn)   | Hkv, each read by H / Hkv query heads |
 * | linears   | Conv1D: weight [in, out], with bias | Linear: weight [out, in], no bias     |
 *
 * Both tie the LM head to the token embedding unless the config unties it
 * (`lm_head.weight`). Parameters keep Hugging Face's names and layouts
 * (params.ts). Products, norms, GELU and attention are the `fast` ops
 * (ops.ts), which carry hand-written gradients.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { attnWidth, type ModelConfig } from "./config.ts";
import { fast } from "./ops.ts";

/** RoPE tables at the T positions of a row, each [1, T, 1, d]. */
export interface Rope {
  cos: tf.Tensor4D;
  sin: tf.Tensor4D;
}

/** What one forward pass reads: the config, the input and the weights. */
export interface ForwardContext {
  cfg: ModelConfig;
  /** Token ids [B*T] (int32), row-major [B, T]. */
  ids: tf.Tensor1D;
  batch: number;
  seqLen: number;
  /** Additive attention mask [T, T]: 0 where token i sees token j, -1e9 elsewhere. */
  mask: tf.Tensor2D;
  /** Position id of each of the T tokens of a row (packed rows); absent: 0..T-1. */
  positions?: tf.Tensor1D;
  /** Llama only. */
  rope?: Rope;
  /** Dropout also on the attention probabilities (training with dropout > 0). */
  training: boolean;
  /** A weight matrix by HF name. */
  mat(name: string): tf.Tensor2D;
  /** A weight vector (bias or norm weight) by HF name. */
  vec(name: string): tf.Tensor1D;
  /** Dropout with this pass's next seed; the identity when not training. */
  dropout<X extends tf.Tensor>(t: X): X;
}

/**
 * Logits [B*T, V] for the token ids of `c`: embed, `numLayers` blocks, final
 * norm, LM head.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { PRESETS } from "./config.ts";
 * import { initParams } from "./params.ts";
 * import { causalMask, type ForwardContext, transformer } from "./transformer.ts";
 * await initBackend("cpu");
 * const cfg = PRESETS.tiny, params = initParams(cfg, 0);
 * const host = (name: string) => params.get(name)!;
 * const c: ForwardContext = {
 *   cfg, ids: tf.tensor1d([1, 2, 3], "int32"), batch: 1, seqLen: 3,
 *   mask: causalMask(3), training: false,
 *   mat: (name) => tf.tensor2d(host(name).data, [host(name).shape[0], host(name).shape[1]]),
 *   vec: (name) => tf.tensor1d(host(name).data),
 *   dropout: (t) => t,
 * };
 * assert.deepEqual(transformer(c).shape, [3, cfg.vocabSize]);
 * ```
 */
export function transformer(c: ForwardContext): tf.Tensor2D {
  const f = c.cfg.family === "gpt2" ? GPT2 : LLAMA;
  let x = c.dropout(f.embed(c)); // [B*T, E]
  for (let i = 0; i < c.cfg.numLayers; i++) x = block(x, f.layer(i), f, c);
  const h = f.norm(x, f.finalNorm, c); // [B*T, E]
  const head = c.cfg.tieWordEmbeddings ? c.mat(f.tokens) : c.mat("lm_head.weight"); // [V, E]
  return fast.linearT(h, head); // [B*T, V]
}

/**
 * One pre-norm block, the same for both families, on x [B*T, E]:
 * x + attn(norm1(x)), then + mlp(norm2(x)). `p` is the layer's HF prefix.
 */
function block(x: tf.Tensor2D, p: string, f: Family, c: ForwardContext): tf.Tensor2D {
  const h1 = f.norm(x, p + f.norm1, c); // [B*T, E]
  const a = f.attnOut(attend(h1, p, f, c), p, c); // [B*T, H*d] -> [B*T, E]
  x = tf.add(x, c.dropout(a));
  const h2 = f.norm(x, p + f.norm2, c); // [B*T, E]
  const m = f.mlp(h2, p, c); // [B*T, E] -> [B*T, F] -> [B*T, E]
  return tf.add(x, c.dropout(m));
}

/**
 * Attention of h [B*T, E] -> [B*T, H*d]. With native BLAS and the fused wasm
 * kernels it runs on the projections' own layout (per-head strided products:
 * no head transposes, and GPT-2's fused qkv is not split); else `attention`.
 */
function attend(h: tf.Tensor2D, p: string, f: Family, c: ForwardContext): tf.Tensor2D {
  if (!fast.layoutAttentionActive(c.training)) return attention(...f.qkv(h, p, c), c);
  const { batch, seqLen } = c, { numHeads, numKvHeads, headDim } = c.cfg;
  const dims = { batch, seqLen, numHeads, numKvHeads, headDim };
  if (f.qkvPacked) return fast.packedAttention(f.qkvPacked(h, p, c), c.mask, dims);
  const [q, k, v] = f.qkv(h, p, c); // [B*T, H*d], [B*T, Hkv*d], [B*T, Hkv*d]
  const turn = (x: tf.Tensor2D, n: number): tf.Tensor2D =>
    c.rope ? tf.reshape(applyRope(tf.reshape(x, [batch, seqLen, n, headDim]), c.rope), x.shape) : x;
  return fast.stridedAttention(turn(q, numHeads), turn(k, numKvHeads), v, c.mask, dims);
}

/**
 * Causal scaled dot-product attention with grouped-query sharing: q
 * [B*T, H*d], k and v [B*T, Hkv*d]; query head h reads key/value head
 * floor(h / (H / Hkv)) (HF repeat_kv). RoPE (when `c.rope`) turns q and k.
 * Returns [B*T, H*d].
 */
function attention(
  q: tf.Tensor2D,
  k: tf.Tensor2D,
  v: tf.Tensor2D,
  c: ForwardContext,
): tf.Tensor2D {
  return tf.tidy(() => {
    const { batch: B, seqLen: T } = c, { numHeads: H, numKvHeads: Hkv, headDim: d } = c.cfg;
    // [B*T, n*d] -> [B, T, n, d] (RoPE here) -> [B, n, T, d]
    const heads = (x: tf.Tensor2D, n: number, rotate: boolean): tf.Tensor4D => {
      let t = tf.reshape<tf.Rank.R4>(x, [B, T, n, d]);
      if (rotate && c.rope) t = applyRope(t, c.rope);
      return tf.transpose(t, [0, 2, 1, 3]);
    };
    let kh = heads(k, Hkv, true), vh = heads(v, Hkv, false); // [B, Hkv, T, d]
    if (Hkv !== H) {
      // Each KV head serves g query heads: [B, Hkv, T, d] -> [B, H, T, d]. A
      // rank-4 tile (tfjs has no gradient for rank-5 tile/broadcastTo).
      const g = H / Hkv;
      const rep = (t: tf.Tensor4D) =>
        tf.reshape<tf.Rank.R4>(
          tf.tile(tf.reshape(t, [B, Hkv, 1, T * d]), [1, 1, g, 1]),
          [B, H, T, d],
        );
      kh = rep(kh), vh = rep(vh);
    }
    // Scaling q ([B*T, H*d]) is cheaper than scaling the [B*H, T, T] scores.
    const qh = heads(tf.mul(q, 1 / Math.sqrt(d)), H, true); // [B, H, T, d]
    const q3 = tf.reshape<tf.Rank.R3>(qh, [B * H, T, d]);
    const k3 = tf.reshape<tf.Rank.R3>(kh, [B * H, T, d]);
    const v3 = tf.reshape<tf.Rank.R3>(vh, [B * H, T, d]);
    // softmax(q k^T + mask) v: [B*H, T, d]. With dropout on the probabilities,
    // the composable (slower) path.
    const out = c.training
      ? fast.bmm(c.dropout(tf.softmax(tf.add(fast.bmmNT(q3, k3), c.mask))), v3)
      : fast.attentionCore(q3, k3, v3, c.mask);
    // [B*H, T, d] -> [B, H, T, d] -> [B, T, H, d] -> [B*T, H*d]
    return tf.reshape(tf.transpose(tf.reshape(out, [B, H, T, d]), [0, 2, 1, 3]), [B * T, H * d]);
  });
}

/**
 * Applies RoPE to x [B, T, heads, d]: x * cos + rotate_half(x) * sin, with
 * rotate_half(x) = [-x2, x1] (HF's convention; tables from `ropeTables`).
 */
function applyRope(x: tf.Tensor4D, { cos, sin }: Rope): tf.Tensor4D {
  return tf.tidy(() => {
    const d = x.shape[3];
    const [x1, x2] = tf.split(x, [d / 2, d / 2], -1);
    const rotated = tf.concat([tf.neg(x2), x1], -1);
    return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
  });
}

/** Where the two families differ; everything else is `block` and `transformer`. */
interface Family {
  /** HF prefix of layer i's parameters. */
  layer(i: number): string;
  /** HF names: the token table, the block norms (after the layer prefix), the final norm. */
  tokens: string;
  norm1: string;
  norm2: string;
  finalNorm: string;
  /** Token embedding (plus learned positions): ids [B*T] -> [B*T, E]. */
  embed(c: ForwardContext): tf.Tensor2D;
  /** The norm named `name` (its HF prefix): [B*T, E] -> [B*T, E]. */
  norm(x: tf.Tensor2D, name: string, c: ForwardContext): tf.Tensor2D;
  /** Queries [B*T, H*d], keys and values [B*T, Hkv*d] of h [B*T, E]. */
  qkv(h: tf.Tensor2D, p: string, c: ForwardContext): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  /** GPT-2: q, k and v as the column blocks of one [B*T, 3 H d] product (no split). */
  qkvPacked?(h: tf.Tensor2D, p: string, c: ForwardContext): tf.Tensor2D;
  /** Attention output projection: [B*T, H*d] -> [B*T, E]. */
  attnOut(a: tf.Tensor2D, p: string, c: ForwardContext): tf.Tensor2D;
  /** MLP: [B*T, E] -> [B*T, F] -> [B*T, E]. */
  mlp(h: tf.Tensor2D, p: string, c: ForwardContext): tf.Tensor2D;
}

/** Conv1D with bias: x @ w + b, w [in, out]. */
const conv1d = (x: tf.Tensor2D, name: string, c: ForwardContext) =>
  fast.affine(x, c.mat(`${name}.weight`), c.vec(`${name}.bias`));

/** Linear without bias: x @ w^T, w [out, in]. */
const linear = (x: tf.Tensor2D, name: string, c: ForwardContext) =>
  fast.linearT(x, c.mat(`${name}.weight`));

/** GPT-2 (Radford et al. 2019), HF `GPT2LMHeadModel`. */
const GPT2: Family = {
  layer: (i) => `transformer.h.${i}.`,
  tokens: "transformer.wte.weight",
  norm1: "ln_1",
  norm2: "ln_2",
  finalNorm: "transformer.ln_f",
  embed(c) {
    const { batch: B, seqLen: T } = c, E = c.cfg.hiddenSize;
    const tok = fast.embed(c.ids, c.mat(GPT2.tokens)); // [B*T, E]
    const wpe = c.mat("transformer.wpe.weight"); // [maxPositions, E]
    const pos = c.positions ? tf.gather(wpe, c.positions) : tf.slice(wpe, [0, 0], [T, E]); // [T, E]
    return tf.reshape(tf.add(tf.reshape(tok, [B, T, E]), pos), [B * T, E]);
  },
  norm: (x, name, c) =>
    fast.layerNorm(x, c.vec(`${name}.weight`), c.vec(`${name}.bias`), c.cfg.normEps),
  qkv(h, p, c) {
    const A = attnWidth(c.cfg); // = E
    const [q, k, v] = tf.split<tf.Tensor2D>(GPT2.qkvPacked!(h, p, c), [A, A, A], -1);
    return [q, k, v];
  },
  qkvPacked: (h, p, c) => conv1d(h, p + "attn.c_attn", c),
  attnOut: (a, p, c) => conv1d(a, p + "attn.c_proj", c),
  mlp: (h, p, c) => conv1d(fast.gelu(conv1d(h, p + "mlp.c_fc", c)), p + "mlp.c_proj", c),
};

/** Llama (Touvron et al. 2023), HF `LlamaForCausalLM`. */
const LLAMA: Family = {
  layer: (i) => `model.layers.${i}.`,
  tokens: "model.embed_tokens.weight",
  norm1: "input_layernorm",
  norm2: "post_attention_layernorm",
  finalNorm: "model.norm",
  embed: (c) => fast.embed(c.ids, c.mat(LLAMA.tokens)),
  norm: (x, name, c) => fast.rmsNorm(x, c.vec(`${name}.weight`), c.cfg.normEps),
  qkv: (h, p, c) => [
    linear(h, p + "self_attn.q_proj", c),
    linear(h, p + "self_attn.k_proj", c),
    linear(h, p + "self_attn.v_proj", c),
  ],
  attnOut: (a, p, c) => linear(a, p + "self_attn.o_proj", c),
  mlp(h, p, c) {
    const gate = linear(h, p + "mlp.gate_proj", c), up = linear(h, p + "mlp.up_proj", c);
    const swiglu: tf.Tensor2D = tf.mul(tf.mul(gate, tf.sigmoid(gate)), up); // silu(gate) * up
    return linear(swiglu, p + "mlp.down_proj", c);
  },
};

/**
 * RoPE tables in HF layout: cos and sin of shape [T, d], where column i and
 * i + d/2 share frequency theta^(-2i/d) (the rotate_half convention).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ropeTables } from "./transformer.ts";
 * const { cos, sin } = ropeTables(8, 4, 10000);
 * assert.equal(cos.length, 8 * 4);
 * assert.deepEqual([...cos.subarray(0, 4)], [1, 1, 1, 1]); // position 0: no turn
 * assert.equal(sin[4 + 0], sin[4 + 2]); // columns i and i + d/2 share a frequency
 * ```
 */
export function ropeTables(
  T: number,
  d: number,
  theta: number,
): { cos: Float32Array; sin: Float32Array } {
  const cos = new Float32Array(T * d), sin = new Float32Array(T * d);
  const half = d / 2;
  for (let i = 0; i < half; i++) {
    // HF computes inv_freq in float32, then the angle t * inv_freq in float32.
    const invFreq = Math.fround(1 / Math.pow(theta, (2 * i) / d));
    for (let t = 0; t < T; t++) {
      const ang = Math.fround(t * invFreq);
      const c = Math.cos(ang), s = Math.sin(ang);
      cos[t * d + i] = c, cos[t * d + i + half] = c;
      sin[t * d + i] = s, sin[t * d + i + half] = s;
    }
  }
  return { cos, sin };
}

/**
 * Additive causal mask [T, T]: 0 on and below the diagonal, -1e9 above.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend.ts";
 * import { causalMask } from "./transformer.ts";
 * await initBackend("cpu");
 * assert.deepEqual(await causalMask(2).array(), [[0, -1e9], [0, 0]]);
 * ```
 */
export function causalMask(T: number): tf.Tensor2D {
  const m = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) m[i * T + j] = -1e9;
  return tf.tensor2d(m, [T, T]);
}
