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
import { type HeadMode, sourceConfigOf } from "./options.ts";
import { planClone } from "./plan.ts";
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

/** Which axes were cloned: the factors (and head mode) used at clone time. */
export interface SymmetryOptions {
  width: number;
  ffn?: number;
  heads?: HeadMode;
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
 * import { symmetryReport } from "./symmetry.ts";
 * import { cloneParams } from "./plan.ts";
 * import { PRESETS } from "../model/config.ts";
 * import { initParams } from "../model/params.ts";
 * const c = cloneParams(PRESETS.tiny, initParams(PRESETS.tiny, 0), { width: 2, variant: "symmetric" });
 * symmetryReport(c.config, c.params, { width: 2 }); // every meanCosine 1
 * ```
 */
export function symmetryReport(
  cfg: ModelConfig,
  params: TensorMap,
  opts: SymmetryOptions,
): SymmetryEntry[] {
  const src = sourceConfigOf(cfg, opts);
  const plan = planClone(src, {
    width: opts.width,
    ffn: opts.ffn ?? opts.width,
    heads: opts.heads ?? "more",
    tied: cfg.tieWordEmbeddings ? "fold-norm" : "untie",
    variant: "symmetric",
  });
  const out: SymmetryEntry[] = [];
  for (const t of plan.tensors) {
    if (!t.tiling) continue;
    const w = params.get(t.name);
    if (!w) throw new Error(`symmetryReport: params have no tensor ${t.name}`);
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

/** Layer a parameter belongs to: "embed", "layer <i>" or "head". */
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
 * import { symmetrySummary } from "./symmetry.ts";
 * import { cloneParams } from "./plan.ts";
 * import { PRESETS } from "../model/config.ts";
 * import { initParams } from "../model/params.ts";
 * const c = cloneParams(PRESETS.tiny, initParams(PRESETS.tiny, 0), { width: 2 });
 * symmetrySummary(c.config, c.params, { width: 2 }); // [{ layer: "embed", meanCosine: 1 }, ...]
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

/**
 * Singular values of a 2-D host tensor, sorted descending (min(rows, cols)
 * of them), by one-sided Jacobi in float64 (lib/linalg.ts): accurate down to
 * the float32 rounding of the matrix, so a fresh symmetric clone's missing
 * values show as ~1e-7 of the largest.
 *
 * @example
 * ```ts
 * import { singularValues } from "./symmetry.ts";
 * import { hostTensor } from "../tensor_map.ts";
 * singularValues(hostTensor([2, 2], new Float32Array([3, 0, 0, -2]))); // [3, 2]
 * ```
 */
export function singularValues(m: HostTensor): Float64Array {
  if (m.shape.length !== 2) throw new Error(`singularValues: needs a 2-D matrix, got [${m.shape}]`);
  return Float64Array.from(jacobiSingularValues(m.data, m.shape[0], m.shape[1]));
}
