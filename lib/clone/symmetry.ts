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
 * Eigenvalues of a symmetric n x n matrix (row-major, float64; destroyed):
 * Householder tridiagonalisation, then implicit QL with Wilkinson-type shifts.
 */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  const v = new Float64Array(n), p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    let norm = 0;
    for (let i = k + 1; i < n; i++) norm += a[i * n + k] ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const x0 = a[(k + 1) * n + k];
    const alpha = x0 > 0 ? -norm : norm;
    // v = x - alpha e1, normalised; H = I - 2 v v^T maps x to alpha e1.
    let vn = 0;
    for (let i = k + 1; i < n; i++) v[i] = a[i * n + k];
    v[k + 1] -= alpha;
    for (let i = k + 1; i < n; i++) vn += v[i] * v[i];
    vn = Math.sqrt(vn);
    if (vn === 0) continue;
    for (let i = k + 1; i < n; i++) v[i] /= vn;
    // Trailing block A22 <- H A22 H = A22 - 2 v q^T - 2 q v^T, q = p - (v.p) v, p = A22 v.
    let K = 0;
    for (let i = k + 1; i < n; i++) {
      let s = 0;
      for (let j = k + 1; j < n; j++) s += a[i * n + j] * v[j];
      p[i] = s, K += v[i] * s;
    }
    for (let i = k + 1; i < n; i++) p[i] -= K * v[i];
    for (let i = k + 1; i < n; i++) {
      for (let j = k + 1; j < n; j++) a[i * n + j] -= 2 * (v[i] * p[j] + p[i] * v[j]);
    }
    a[(k + 1) * n + k] = a[k * n + k + 1] = alpha;
    for (let i = k + 2; i < n; i++) a[i * n + k] = a[k * n + i] = 0;
  }
  const d = new Float64Array(n), e = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = a[i * n + i];
  for (let i = 0; i < n - 1; i++) e[i] = a[(i + 1) * n + i];
  tqlEigenvalues(d, e);
  return d;
}

/** Implicit QL on a tridiagonal matrix: diagonal d, sub-diagonal e[0..n-2] (Numerical Recipes tqli). */
function tqlEigenvalues(d: Float64Array, e: Float64Array): void {
  const n = d.length;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * dd) break;
      }
      if (m === l) break;
      if (iter++ === 100) throw new Error("symmetricEigenvalues: QL did not converge");
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? Math.abs(r) : -Math.abs(r)));
      let s = 1, c = 1, p = 0;
      let i = m - 1;
      let underflow = false;
      for (; i >= l; i--) {
        const f = s * e[i], b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= p, e[m] = 0, underflow = true;
          break;
        }
        s = f / r, c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
      }
      if (underflow) continue;
      d[l] -= p, e[l] = g, e[m] = 0;
    }
  }
}

/**
 * Singular values of a 2-D matrix, sorted descending, min(rows, cols) of
 * them: eigenvalues of the smaller Gram matrix in float64. Values below
 * about 1e-8 * the largest are rounding noise (the Gram matrix squares the
 * condition number). Fine for matrices up to about 512 x 2048.
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
  const [R, C] = m.shape;
  const small = Math.min(R, C), long = Math.max(R, C);
  // Gram of the shorter side: G[i][j] = sum_k x_ik x_jk over the longer axis.
  const x = new Float64Array(small * long);
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      const v = m.data[r * C + c];
      if (R <= C) x[r * long + c] = v;
      else x[c * long + r] = v;
    }
  }
  const g = new Float64Array(small * small);
  for (let i = 0; i < small; i++) {
    for (let j = i; j < small; j++) {
      let s = 0;
      const oi = i * long, oj = j * long;
      for (let k = 0; k < long; k++) s += x[oi + k] * x[oj + k];
      g[i * small + j] = g[j * small + i] = s;
    }
  }
  const ev = symmetricEigenvalues(g, small);
  const sv = ev.map((l) => Math.sqrt(Math.max(0, l)));
  return sv.sort((a, b) => b - a);
}
