/**
 * Symmetry diagnostics of a clone during training: cosine similarity between
 * blocks that were copies of each other at clone time, and singular values
 * (half of a symmetric clone's values start at zero and fill in as the
 * copies diverge).
 *
 * @module
 */
import type { ModelConfig } from "../model/config.ts";
import type { HostTensor, TensorMap } from "../tensor_map.ts";
import { singularValues as jacobiSingularValues } from "../linalg.ts";
import { type DepthMode, type HeadMode, sourceConfigOf } from "./options.ts";
import { planClone } from "./plan.ts";
import { depthLayers, layerPrefix } from "./depth.ts";
import { paramSpecs } from "../model/params.ts";
import type { AxisMap, LinearTiling } from "./tile.ts";

/** Cosines of one cloned weight matrix (null where that axis has one copy). */
export interface SymmetryEntry {
  name: string;
  /** Mean cosine between the output (row) copies, over all pairs of copies. */
  outCosine: number | null;
  /** Mean cosine between the input (column) copies. */
  inCosine: number | null;
  /** Mean of the pair cosines of both axes. */
  meanCosine: number;
}

/** Which axes were cloned: the factors (and head and depth modes) used at clone time. */
export interface SymmetryOptions {
  width: number;
  ffn?: number;
  heads?: HeadMode;
  /** Depth factor of the clone (default 1). */
  depth?: number;
  depthMode?: DepthMode;
}

/**
 * Cosine between copy a and copy b of the source rows (`alongOut`) or
 * columns, each block read as one flattened vector over the whole other axis.
 */
function pairCosine(
  w: HostTensor,
  t: LinearTiling,
  alongOut: boolean,
  a: number,
  b: number,
): number {
  const O2 = t.out.length, I2 = t.in.length;
  const at = t.layout === "out_in"
    ? (r: number, c: number) => w.data[r * I2 + c]
    : (r: number, c: number) => w.data[c * O2 + r];
  const ax: AxisMap = alongOut ? t.out : t.in;
  const other = alongOut ? I2 : O2;
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < ax.srcLength; i++) {
    const ia = ax.table[a * ax.srcLength + i], ib = ax.table[b * ax.srcLength + i];
    if (ia < 0 || ib < 0) continue;
    for (let j = 0; j < other; j++) {
      const x = alongOut ? at(ia, j) : at(j, ia);
      const y = alongOut ? at(ib, j) : at(j, ib);
      dot += x * y, na += x * x, nb += y * y;
    }
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

function axisCosines(w: HostTensor, t: LinearTiling, alongOut: boolean): number[] {
  const k = (alongOut ? t.out : t.in).copies;
  const out: number[] = [];
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) out.push(pairCosine(w, t, alongOut, a, b));
  }
  return out;
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/**
 * Per weight matrix (and embedding) of a clone: the mean cosine similarity
 * between blocks that were copies at clone time. A symmetric clone gives 1;
 * noise or training lowers it. (A diagonal clone's copies are [W, 0] and
 * [0, W], cosine 0, although it computes the same function.)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { symmetryReport } from "./symmetry.ts";
 * import { cloneParams } from "./plan.ts";
 * import { PRESETS } from "../model/config.ts";
 * import { initParams } from "../model/params.ts";
 * const c = cloneParams(PRESETS.tiny, initParams(PRESETS.tiny, 0), { width: 2, variant: "symmetric" });
 * const r = symmetryReport(c.config, c.params, { width: 2 });
 * assert.ok(r.length > 0 && r.every((e) => Math.abs(e.meanCosine - 1) < 1e-6));
 * ```
 */
export function symmetryReport(
  cfg: ModelConfig,
  params: TensorMap,
  opts: SymmetryOptions,
): SymmetryEntry[] {
  const src = sourceConfigOf(cfg, opts);
  const plan = planClone(src, {
    // Options left out take CLONE_DEFAULTS, as when the clone was made.
    width: opts.width,
    ffn: opts.ffn,
    heads: opts.heads,
    tied: cfg.tieWordEmbeddings ? "fold-norm" : "untie",
    variant: "symmetric",
    depth: opts.depth,
    depthMode: opts.depthMode,
  });
  const out: SymmetryEntry[] = [];
  for (const t of plan.tensors) {
    if (!t.tiling) continue;
    const w = params.get(t.name);
    if (!w) throw new Error(`symmetryReport: params have no tensor ${t.name}`);
    // An all-zero tensor (a new identity layer's output projection before
    // training) has no copies to compare.
    if (w.data.every((x) => x === 0)) continue;
    const o = axisCosines(w, t.tiling, true), i = axisCosines(w, t.tiling, false);
    if (!o.length && !i.length) continue;
    out.push({
      name: t.name,
      outCosine: o.length ? mean(o) : null,
      inCosine: i.length ? mean(i) : null,
      meanCosine: mean([...o, ...i]),
    });
  }
  return out;
}

/**
 * Layer a parameter belongs to: "embed", "layer <i>" or "head".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { layerOf } from "./symmetry.ts";
 * assert.equal(layerOf("model.layers.3.mlp.up_proj.weight"), "layer 3");
 * assert.equal(layerOf("transformer.wte.weight"), "embed");
 * ```
 */
export function layerOf(name: string): string {
  const m = /\.(?:h|layers)\.(\d+)\./.exec(name);
  if (m) return `layer ${m[1]}`;
  return /wte|wpe|embed_tokens/.test(name) ? "embed" : "head";
}

/**
 * Compact per-layer summary of {@link symmetryReport} for training logs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { symmetrySummary } from "./symmetry.ts";
 * import { cloneParams } from "./plan.ts";
 * import { PRESETS } from "../model/config.ts";
 * import { initParams } from "../model/params.ts";
 * const c = cloneParams(PRESETS.tiny, initParams(PRESETS.tiny, 0), { width: 2 });
 * const s = symmetrySummary(c.config, c.params, { width: 2 });
 * assert.equal(s[0].layer, "embed");
 * assert.ok(Math.abs(s[0].meanCosine - 1) < 1e-6, "embeddings are copied without noise");
 * assert.ok(s.every((e) => e.meanCosine <= 1 + 1e-6));
 * ```
 */
export function symmetrySummary(
  cfg: ModelConfig,
  params: TensorMap,
  opts: SymmetryOptions,
): { layer: string; meanCosine: number }[] {
  const groups = new Map<string, number[]>();
  for (const e of symmetryReport(cfg, params, opts)) {
    const k = layerOf(e.name);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(e.meanCosine);
  }
  return [...groups].map(([layer, xs]) => ({ layer, meanCosine: mean(xs) }));
}

/** Cosine between each new layer of a depth clone and the layer it was copied from. */
export interface DepthSymmetryEntry {
  /** The new layer, "layer <t>". */
  layer: string;
  /** The layer it was copied from at clone time, "layer <s>". */
  from: string;
  /**
   * Mean over the layer's weight matrices that were copies (a new identity
   * layer's zeroed output projections are left out) of the cosine between
   * the flattened matrices. 1 at clone time; training lowers it.
   */
  meanCosine: number;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i], na += a[i] * a[i], nb += b[i] * b[i];
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/**
 * Depth symmetry of a clone grown K = `depth` times deeper: for every new
 * layer, the mean cosine similarity between its weight matrices and those of
 * the layer it copies (for "identity", the projections zeroed at clone time
 * are not copies and are left out). A fresh identity or stack clone gives 1
 * everywhere; with a deterministic optimiser and no dropout, stacked copies
 * see different inputs and drift, while a new identity layer's copied
 * matrices get zero gradient until its output projections move (docs/cloning.md).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { depthSymmetry } from "./symmetry.ts";
 * import { cloneParams } from "./plan.ts";
 * import { PRESETS } from "../model/config.ts";
 * import { initParams } from "../model/params.ts";
 * const c = cloneParams(PRESETS.tiny, initParams(PRESETS.tiny, 0), { width: 1, depth: 2, depthMode: "stack" });
 * const d = depthSymmetry(c.config, c.params, { depth: 2, depthMode: "stack" });
 * assert.deepEqual(d.map((e) => [e.layer, e.from]), [["layer 2", "layer 0"], ["layer 3", "layer 1"]]);
 * assert.ok(d.every((e) => Math.abs(e.meanCosine - 1) < 1e-12));
 * ```
 */
export function depthSymmetry(
  cfg: ModelConfig,
  params: TensorMap,
  opts: { depth: number; depthMode: DepthMode },
): DepthSymmetryEntry[] {
  const K = opts.depth;
  if (!(K > 1)) return [];
  if (cfg.numLayers % K !== 0) {
    throw new Error(`depthSymmetry: numLayers ${cfg.numLayers} is not divisible by depth ${K}`);
  }
  const zeroed = opts.depthMode === "identity"
    ? new Set(
      cfg.family === "gpt2"
        ? ["attn.c_proj.weight", "mlp.c_proj.weight"]
        : ["self_attn.o_proj.weight", "mlp.down_proj.weight"],
    )
    : new Set<string>();
  const p0 = layerPrefix(cfg.family, 0);
  const matrices = paramSpecs(cfg).filter((s) => s.kind === "matrix" && s.name.startsWith(p0))
    .map((s) => s.name.slice(p0.length));
  const out: DepthSymmetryEntry[] = [];
  for (const l of depthLayers(cfg.numLayers / K, K, opts.depthMode)) {
    if (l.layer === l.original) continue;
    const cos: number[] = [];
    for (const m of matrices) {
      if (l.zeroed && zeroed.has(m)) continue;
      const a = params.get(layerPrefix(cfg.family, l.layer) + m);
      const b = params.get(layerPrefix(cfg.family, l.original) + m);
      if (!a || !b) throw new Error(`depthSymmetry: params have no tensor for ${m}`);
      cos.push(cosine(a.data, b.data));
    }
    out.push({ layer: `layer ${l.layer}`, from: `layer ${l.original}`, meanCosine: mean(cos) });
  }
  return out;
}

/**
 * Singular values of a 2-D host tensor, sorted descending (min(rows, cols)
 * of them), by one-sided Jacobi in float64 (lib/linalg.ts): accurate down to
 * the float32 rounding of the matrix, so a fresh symmetric clone's missing
 * values show as ~1e-7 of the largest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { singularValues } from "./symmetry.ts";
 * import { hostTensor } from "../tensor_map.ts";
 * const s = singularValues(hostTensor([2, 2], new Float32Array([3, 0, 0, -2])));
 * assert.ok(Math.abs(s[0] - 3) < 1e-12 && Math.abs(s[1] - 2) < 1e-12);
 * ```
 */
export function singularValues(m: HostTensor): Float64Array {
  if (m.shape.length !== 2) throw new Error(`singularValues: needs a 2-D matrix, got [${m.shape}]`);
  return Float64Array.from(jacobiSingularValues(m.data, m.shape[0], m.shape[1]));
}
