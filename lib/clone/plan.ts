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
import { BLOCK_FILLS, type BlockFill } from "./variants.ts";
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
 * Collects the width plans of one source layer stack: the clone sizes, the
 * shared axis maps and one helper per tensor kind, so that the family rules
 * below only say which tensor is tiled how.
 */
class PlanBuilder {
  readonly plans = new Map<string, TensorPlan>();
  readonly fill: BlockFill;
  /** Width factor n. */
  readonly n: number;
  /** FFN factor m. */
  readonly m: number;
  /** Source hidden size E. */
  readonly E: number;
  /** Every hidden-sized axis: n plain copies. */
  readonly hidden: AxisMap;
  /** The MLP's output axis (c_fc, gate, up): m plain copies. */
  readonly ffnOut: AxisMap;
  readonly wider: boolean;

  constructor(readonly src: ModelConfig, readonly o: ResolvedCloneOptions) {
    this.fill = BLOCK_FILLS[o.variant];
    this.n = o.width, this.m = o.ffn, this.E = src.hiddenSize;
    this.hidden = repeatAxis(this.E, this.n);
    this.ffnOut = repeatAxis(src.intermediateSize, this.m);
    this.wider = o.heads === "wider";
  }

  put(p: TensorPlan): void {
    this.plans.set(p.name, p);
  }

  /** The MLP's input axis (c_proj, down): m plain copies, a fresh map per tensor. */
  ffnIn(): AxisMap {
    return repeatAxis(this.src.intermediateSize, this.m);
  }

  /** Where the head components of attention outputs go. */
  headsAxis(width: number): AxisMap {
    return this.wider
      ? groupRepeatAxis(width, this.n, this.src.headDim)
      : repeatAxis(width, this.n);
  }

  /** A weight matrix tiled by the variant's block fill, with its own noise stream. */
  linear(name: string, source: string, t: LinearTiling): void {
    const { fill, o } = this;
    this.put({
      name,
      source,
      shape: t.layout === "out_in" ? [t.out.length, t.in.length] : [t.in.length, t.out.length],
      tiling: t,
      make: (w) => tileLinear(w, t, fill, noiseSource(o.seed, name, w.data.length, o.snrDb)),
    });
  }

  /** A bias: repeated along `map`, times `scale`. */
  vector(name: string, map: AxisMap, scale = 1): void {
    this.put({ name, source: name, shape: [map.length], make: (v) => tileVector(v, map, scale) });
  }

  /** A norm weight or bias: repeated n times, divided by `divide`. */
  norm(name: string, divide = 1): void {
    const n = this.n;
    this.put({ name, source: name, shape: [n * this.E], make: (v) => tileNorm(v, n, divide) });
  }

  /** An embedding table of `rows` rows: columns repeated n times, unscaled. */
  embedding(name: string, rows: number): void {
    const n = this.n, E = this.E;
    this.put({
      name,
      source: name,
      shape: [rows, n * E],
      make: (e) => tileEmbedding(e, n),
      tiling: { layout: "out_in", out: repeatAxis(rows, 1), in: repeatAxis(E, n) },
    });
  }
}

/**
 * GPT-2's fused c_attn ([E, 3A] weight, [3A] bias): split into q, k, v, tile
 * each with its own scale and noise stream, re-fuse in HF order.
 */
function gpt2FusedAttention(b: PlanBuilder, prefix: string, qkvAxis: AxisMap, scales: number[]) {
  const { fill, o, n, E, hidden } = b;
  const A = attnWidth(b.src);
  const parts = ["q", "k", "v"].map((_, j): LinearTiling => ({
    layout: "in_out",
    out: qkvAxis,
    in: hidden,
    scale: scales[j],
  }));
  const cattn = prefix + "attn.c_attn.weight";
  b.put({
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
  const cattnB = prefix + "attn.c_attn.bias";
  b.put({
    name: cattnB,
    source: cattnB,
    shape: [3 * qkvAxis.length],
    make: (bias) =>
      concat1d(
        [0, 1, 2].map((j) =>
          tileVector(hostTensor([A], bias.data.slice(j * A, (j + 1) * A)), qkvAxis, scales[j])
        ),
      ),
  });
}

/** GPT-2 width rules: embeddings, every layer, and the final norm (carrying `fold`). */
function gpt2Plans(b: PlanBuilder, fold: number): void {
  const { src, n, hidden, ffnOut } = b;
  b.embedding("transformer.wte.weight", src.vocabSize);
  b.embedding("transformer.wpe.weight", src.maxPositions);
  const A = attnWidth(src);
  const qkvAxis = b.headsAxis(A);
  const qkScale = b.wider ? Math.pow(n, -0.25) : 1; // logits q.k/sqrt(n d) keep their scale
  const scales = [qkScale, qkScale, 1];
  for (let i = 0; i < src.numLayers; i++) {
    const p = `transformer.h.${i}.`;
    b.norm(p + "ln_1.weight"), b.norm(p + "ln_1.bias");
    gpt2FusedAttention(b, p, qkvAxis, scales);
    const lin = (s: string, out: AxisMap, inn: AxisMap) =>
      b.linear(p + s, p + s, { layout: "in_out", out, in: inn });
    lin("attn.c_proj.weight", hidden, b.headsAxis(A));
    b.vector(p + "attn.c_proj.bias", hidden);
    b.norm(p + "ln_2.weight"), b.norm(p + "ln_2.bias");
    lin("mlp.c_fc.weight", ffnOut, hidden);
    b.vector(p + "mlp.c_fc.bias", ffnOut);
    lin("mlp.c_proj.weight", hidden, b.ffnIn());
    b.vector(p + "mlp.c_proj.bias", hidden);
  }
  b.norm("transformer.ln_f.weight", fold), b.norm("transformer.ln_f.bias", fold);
}

/** Llama width rules: embedding, every layer, and the final norm (carrying `fold`). */
function llamaPlans(b: PlanBuilder, fold: number): void {
  const { src, n, hidden, ffnOut, wider } = b;
  b.embedding("model.embed_tokens.weight", src.vocabSize);
  const A = attnWidth(src), K = kvWidth(src), d = src.headDim;
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
    b.norm(p + "input_layernorm.weight");
    const lin = (s: string, out: AxisMap, inn: AxisMap, scale = 1) =>
      b.linear(p + s, p + s, { layout: "out_in", out, in: inn, scale });
    lin("self_attn.q_proj.weight", qAxis, hidden, qScale);
    lin("self_attn.k_proj.weight", kAxis, hidden);
    lin("self_attn.v_proj.weight", vAxis, hidden);
    lin("self_attn.o_proj.weight", hidden, b.headsAxis(A));
    b.norm(p + "post_attention_layernorm.weight");
    lin("mlp.gate_proj.weight", ffnOut, hidden);
    lin("mlp.up_proj.weight", ffnOut, hidden);
    lin("mlp.down_proj.weight", hidden, b.ffnIn());
  }
  b.norm("model.norm.weight", fold);
}

/** Untied head: T_{1,n}(U)/n (or of the embedding, when the source was tied). */
function untiedHeadPlan(b: PlanBuilder): void {
  const { src } = b;
  const embed = src.family === "gpt2" ? "transformer.wte.weight" : "model.embed_tokens.weight";
  b.linear("lm_head.weight", src.tieWordEmbeddings ? embed : "lm_head.weight", {
    layout: "out_in",
    out: repeatAxis(src.vocabSize, 1),
    in: b.hidden,
  });
}

/** The plans in `paramSpecs(cfg)` order; a missing rule or a wrong shape is a bug here. */
function plansInSpecOrder(plans: Map<string, TensorPlan>, cfg: ModelConfig): TensorPlan[] {
  return paramSpecs(cfg).map((spec) => {
    const t = plans.get(spec.name);
    if (!t) throw new Error(`clone plan: no rule for tensor ${spec.name}`);
    if (t.shape.join() !== spec.shape.join()) {
      throw new Error(
        `clone plan: ${spec.name} would be [${t.shape}], config needs [${spec.shape}]`,
      );
    }
    return t;
  });
}

/**
 * Builds the clone plan; validates the options (throws one-line errors).
 * Width rules run per source layer; depth growth (lib/clone/depth.ts) then
 * maps every clone layer to its source layer's plan.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planClone } from "./plan.ts";
 * import { PRESETS } from "../model/config.ts";
 * const plan = planClone(PRESETS.tiny, { width: 2, variant: "symmetric" });
 * assert.equal(plan.config.hiddenSize, 2 * PRESETS.tiny.hiddenSize);
 * const wte = plan.tensors.find((t) => t.name === "transformer.wte.weight")!;
 * assert.deepEqual(wte.shape, [256, 128]);
 * assert.equal(wte.source, "transformer.wte.weight");
 * ```
 */
export function planClone(src: ModelConfig, opts: CloneOptions): ClonePlan {
  const o = validateCloneOptions(src, opts);
  const cfg = cloneConfig(src, o);
  const b = new PlanBuilder(src, o);
  // Tied source and "fold-norm": the final norm carries the 1/n.
  const fold = src.tieWordEmbeddings && cfg.tieWordEmbeddings ? o.width : 1;
  if (src.family === "gpt2") gpt2Plans(b, fold);
  else llamaPlans(b, fold);
  if (!cfg.tieWordEmbeddings) untiedHeadPlan(b);
  // Depth: every layer of the K*L-layer clone from its source layer's plan.
  const all = deepenPlans(b.plans, src, o.depth, o.depthMode);
  return { source: src, config: cfg, options: o, tensors: plansInSpecOrder(all, cfg) };
}

/**
 * Clones host parameters in memory (tests, notebooks): the same per-tensor
 * path as `cloneCheckpoint`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cloneParams } from "./plan.ts";
 * import { PRESETS } from "../model/config.ts";
 * import { initParams } from "../model/params.ts";
 * const { config, params } = cloneParams(PRESETS.tiny, initParams(PRESETS.tiny, 0), { width: 2 });
 * assert.equal(config.hiddenSize, 128);
 * assert.deepEqual(params.get("transformer.wte.weight")?.shape, [256, 128]);
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
