/**
 * The per-tensor clone plan of both families: for every tensor of the clone,
 * which source tensor it comes from and how it is tiled. `cloneParams` (in
 * memory) and `cloneCheckpoint` (streaming) both run this plan, tensor by
 * tensor, so they produce the same bits.
 *
 * @module
 */
import { attnWidth, kvWidth, type ModelConfig } from "../model/config.ts";
import { paramSpecs } from "../model/params.ts";
import type { HostTensor, TensorMap } from "../tensor_map.ts";
import {
  cloneConfig,
  type CloneOptions,
  isMqa,
  type ResolvedCloneOptions,
  validateCloneOptions,
} from "./options.ts";
import {
  type AxisMap,
  concatAxes,
  groupRepeatAxis,
  type LinearTiling,
  noiseSource,
  repeatAxis,
  ropeWideAxis,
  tileEmbedding,
  tileLinear,
  tileNorm,
  tileVector,
} from "./tile.ts";
import { BLOCK_FILLS } from "./variants.ts";
import { hostTensor } from "../tensor_map.ts";
import { deepenPlans } from "./depth.ts";

/** How one clone tensor is made. */
export interface TensorPlan {
  /** Clone tensor name (HF naming). */
  name: string;
  shape: number[];
  /** The one source tensor it is made from. */
  source: string;
  /** Builds the clone tensor from the source tensor. */
  make(src: HostTensor): HostTensor;
  /**
   * For weight matrices and embeddings: where each copy of the source
   * rows/columns went (read by the symmetry report).
   */
  tiling?: LinearTiling;
}

/** A whole clone: configs, resolved options and one plan per clone tensor (paramSpecs order). */
export interface ClonePlan {
  source: ModelConfig;
  config: ModelConfig;
  options: ResolvedCloneOptions;
  tensors: TensorPlan[];
}

/** Columns [c0, c0 + w) of a row-major [R, C] tensor. */
function sliceCols(t: HostTensor, c0: number, w: number): HostTensor {
  const [R, C] = t.shape;
  const out = new Float32Array(R * w);
  for (let r = 0; r < R; r++) out.set(t.data.subarray(r * C + c0, r * C + c0 + w), r * w);
  return hostTensor([R, w], out);
}

/** Concatenates row-major [R, C_k] tensors along columns. */
function concatCols(parts: HostTensor[]): HostTensor {
  const R = parts[0].shape[0];
  const C = parts.reduce((a, p) => a + p.shape[1], 0);
  const out = new Float32Array(R * C);
  for (let r = 0; r < R; r++) {
    let c0 = 0;
    for (const p of parts) {
      const w = p.shape[1];
      out.set(p.data.subarray(r * w, (r + 1) * w), r * C + c0);
      c0 += w;
    }
  }
  return hostTensor([R, C], out);
}

function concat1d(parts: HostTensor[]): HostTensor {
  const n = parts.reduce((a, p) => a + p.data.length, 0);
  const out = new Float32Array(n);
  let o = 0;
  for (const p of parts) out.set(p.data, o), o += p.data.length;
  return hostTensor([n], out);
}

/**
 * Builds the clone plan; validates the options (throws one-line errors).
 * Width rules run per source layer; depth growth (lib/clone/depth.ts) then
 * maps every clone layer to its source layer's plan.
 *
 * @example
 * ```ts
 * import { planClone } from "./plan.ts";
 * import { PRESETS } from "../model/config.ts";
 * const plan = planClone(PRESETS.tiny, { width: 2, variant: "symmetric" });
 * plan.tensors.map((t) => `${t.name} <- ${t.source}`);
 * ```
 */
export function planClone(src: ModelConfig, opts: CloneOptions): ClonePlan {
  const o = validateCloneOptions(src, opts);
  const cfg = cloneConfig(src, o);
  const fill = BLOCK_FILLS[o.variant];
  const n = o.width, m = o.ffn;
  const E = src.hiddenSize, F = src.intermediateSize, V = src.vocabSize;
  const A = attnWidth(src), K = kvWidth(src), d = src.headDim;
  const wider = o.heads === "wider";
  const byName = new Map<string, TensorPlan>();
  const put = (p: TensorPlan) => byName.set(p.name, p);

  const linear = (name: string, source: string, t: LinearTiling) =>
    put({
      name,
      source,
      shape: t.layout === "out_in" ? [t.out.length, t.in.length] : [t.in.length, t.out.length],
      tiling: t,
      make: (w) => tileLinear(w, t, fill, noiseSource(o.seed, name, w.data.length, o.snrDb)),
    });
  const vector = (name: string, source: string, map: AxisMap, scale = 1) =>
    put({ name, source, shape: [map.length], make: (v) => tileVector(v, map, scale) });
  const norm = (name: string, divide = 1) =>
    put({ name, source: name, shape: [n * E], make: (v) => tileNorm(v, n, divide) });
  const embedding = (name: string, rows: number) =>
    put({
      name,
      source: name,
      shape: [rows, n * E],
      make: (e) => tileEmbedding(e, n),
      tiling: { layout: "out_in", out: repeatAxis(rows, 1), in: repeatAxis(E, n) },
    });
  const hidden = repeatAxis(E, n), ffnOut = repeatAxis(F, m);
  // Where the head components of attention outputs go.
  const headsAxis = (width: number, copies = n) =>
    wider ? groupRepeatAxis(width, copies, d) : repeatAxis(width, copies);
  // Tied source and "fold-norm": the final norm carries the 1/n.
  const fold = src.tieWordEmbeddings && cfg.tieWordEmbeddings ? n : 1;

  if (src.family === "gpt2") {
    embedding("transformer.wte.weight", V);
    embedding("transformer.wpe.weight", src.maxPositions);
    const qkvAxis = headsAxis(A);
    const qkScale = wider ? Math.pow(n, -0.25) : 1; // logits q.k/sqrt(n d) keep their scale
    const scales = [qkScale, qkScale, 1];
    for (let i = 0; i < src.numLayers; i++) {
      const p = `transformer.h.${i}.`;
      norm(p + "ln_1.weight"), norm(p + "ln_1.bias");
      // Fused c_attn [E, 3A]: split into q, k, v; tile each; re-fuse in HF order.
      const parts = ["q", "k", "v"].map((_, j): LinearTiling => ({
        layout: "in_out",
        out: qkvAxis,
        in: hidden,
        scale: scales[j],
      }));
      const cattn = p + "attn.c_attn.weight";
      put({
        name: cattn,
        source: cattn,
        shape: [n * E, 3 * qkvAxis.length],
        tiling: { layout: "in_out", out: concatAxes([qkvAxis, qkvAxis, qkvAxis]), in: hidden },
        make: (w) =>
          concatCols(parts.map((t, j) => {
            const piece = sliceCols(w, j * A, A);
            const noise = noiseSource(o.seed, `${cattn}/${"qkv"[j]}`, piece.data.length, o.snrDb);
            return tileLinear(piece, t, fill, noise);
          })),
      });
      const cattnB = p + "attn.c_attn.bias";
      put({
        name: cattnB,
        source: cattnB,
        shape: [3 * qkvAxis.length],
        make: (b) =>
          concat1d(
            [0, 1, 2].map((j) =>
              tileVector(hostTensor([A], b.data.slice(j * A, (j + 1) * A)), qkvAxis, scales[j])
            ),
          ),
      });
      linear(p + "attn.c_proj.weight", p + "attn.c_proj.weight", {
        layout: "in_out",
        out: hidden,
        in: headsAxis(A),
      });
      vector(p + "attn.c_proj.bias", p + "attn.c_proj.bias", hidden);
      norm(p + "ln_2.weight"), norm(p + "ln_2.bias");
      linear(p + "mlp.c_fc.weight", p + "mlp.c_fc.weight", {
        layout: "in_out",
        out: ffnOut,
        in: hidden,
      });
      vector(p + "mlp.c_fc.bias", p + "mlp.c_fc.bias", ffnOut);
      linear(p + "mlp.c_proj.weight", p + "mlp.c_proj.weight", {
        layout: "in_out",
        out: hidden,
        in: repeatAxis(F, m),
      });
      vector(p + "mlp.c_proj.bias", p + "mlp.c_proj.bias", hidden);
    }
    norm("transformer.ln_f.weight", fold), norm("transformer.ln_f.bias", fold);
  } else {
    embedding("model.embed_tokens.weight", V);
    const H = src.numHeads, Hkv = src.numKvHeads;
    // "more": new head h + kH copies head h; one KV head (MQA) stays one head,
    // tiled only along the input. "wider": RoPE-aware placement (see ropeWideAxis).
    const qAxis = wider ? ropeWideAxis(H, d, n, 1) : repeatAxis(A, n);
    const kAxis = wider ? ropeWideAxis(Hkv, d, n, n) : repeatAxis(K, isMqa(src) ? 1 : n);
    const vAxis = wider ? groupRepeatAxis(K, n, d) : repeatAxis(K, isMqa(src) ? 1 : n);
    // Scores q'.k'/sqrt(n d) = sqrt(n) q.k/sqrt(n d) = q.k/sqrt(d).
    const qScale = wider ? Math.sqrt(n) : 1;
    for (let i = 0; i < src.numLayers; i++) {
      const p = `model.layers.${i}.`;
      norm(p + "input_layernorm.weight");
      const lin = (s: string, out: AxisMap, inn: AxisMap, scale = 1) =>
        linear(p + s, p + s, { layout: "out_in", out, in: inn, scale });
      lin("self_attn.q_proj.weight", qAxis, hidden, qScale);
      lin("self_attn.k_proj.weight", kAxis, hidden);
      lin("self_attn.v_proj.weight", vAxis, hidden);
      lin("self_attn.o_proj.weight", hidden, headsAxis(A));
      norm(p + "post_attention_layernorm.weight");
      lin("mlp.gate_proj.weight", ffnOut, hidden);
      lin("mlp.up_proj.weight", ffnOut, hidden);
      lin("mlp.down_proj.weight", hidden, repeatAxis(F, m));
    }
    norm("model.norm.weight", fold);
  }
  if (!cfg.tieWordEmbeddings) {
    // Untied head: T_{1,n}(U)/n (or of the embedding, when the source was tied).
    const embed = src.family === "gpt2" ? "transformer.wte.weight" : "model.embed_tokens.weight";
    linear("lm_head.weight", src.tieWordEmbeddings ? embed : "lm_head.weight", {
      layout: "out_in",
      out: repeatAxis(V, 1),
      in: hidden,
    });
  }
  // Depth: every layer of the K*L-layer clone from its source layer's plan.
  const all = deepenPlans(byName, src, o.depth, o.depthMode);
  const tensors = paramSpecs(cfg).map((spec) => {
    const t = all.get(spec.name);
    if (!t) throw new Error(`clone plan: no rule for tensor ${spec.name}`);
    if (t.shape.join() !== spec.shape.join()) {
      throw new Error(
        `clone plan: ${spec.name} would be [${t.shape}], config needs [${spec.shape}]`,
      );
    }
    return t;
  });
  return { source: src, config: cfg, options: o, tensors };
}

/**
 * Clones host parameters in memory (tests, notebooks): the same per-tensor
 * path as `cloneCheckpoint`.
 *
 * @example
 * ```ts
 * import { cloneParams } from "./plan.ts";
 * import { PRESETS } from "../model/config.ts";
 * import { initParams } from "../model/params.ts";
 * const { config, params } = cloneParams(PRESETS.tiny, initParams(PRESETS.tiny, 0), { width: 2 });
 * ```
 */
export function cloneParams(
  cfg: ModelConfig,
  params: TensorMap,
  opts: CloneOptions,
): { config: ModelConfig; params: TensorMap; options: ResolvedCloneOptions } {
  const plan = planClone(cfg, opts);
  const out: TensorMap = new Map();
  for (const t of plan.tensors) {
    const s = params.get(t.source);
    if (!s) throw new Error(`cloneParams: source params have no tensor ${t.source}`);
    out.set(t.name, t.make(s));
  }
  return { config: plan.config, params: out, options: plan.options };
}
