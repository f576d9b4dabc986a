/**
 * Small dense linear algebra in float64 for diagnostics (no tfjs).
 *
 * @module
 */

/**
 * Singular values (descending) of a row-major `rows x cols` matrix by
 * one-sided Jacobi rotations, in float64. Accurate for the small values too
 * (no squaring into a Gram matrix), which matters here: a clone's "missing"
 * values are zero up to float32 rounding and must show as such.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { singularValues } from "./linalg.ts";
 * assert.deepEqual(singularValues(new Float32Array([3, 0, 0, 4]), 2, 2), [4, 3]);
 * ```
 */
export function singularValues(data: ArrayLike<number>, rows: number, cols: number): number[] {
  if (data.length !== rows * cols) {
    throw new RangeError(`singularValues: ${data.length} values for a ${rows}x${cols} matrix`);
  }
  // Work on the orientation with fewer columns: k columns of length m.
  const t = cols > rows;
  const k = t ? rows : cols, m = t ? cols : rows;
  const c: Float64Array[] = Array.from({ length: k }, () => new Float64Array(m));
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (t) c[i][j] = data[i * cols + j];
      else c[j][i] = data[i * cols + j];
    }
  }
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < k - 1; p++) {
      for (let q = p + 1; q < k; q++) {
        rotated = rotate(c[p], c[q]) || rotated;
      }
    }
    if (!rotated) break;
  }
  return c.map((v) => Math.sqrt(dot(v, v))).sort((a, b) => b - a);
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Orthogonalises columns a and b in place; false when already orthogonal. */
function rotate(a: Float64Array, b: Float64Array): boolean {
  const alpha = dot(a, a), beta = dot(b, b), gamma = dot(a, b);
  if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma === 0) return false;
  const zeta = (beta - alpha) / (2 * gamma);
  const tt = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
  const cs = 1 / Math.sqrt(1 + tt * tt), sn = cs * tt;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    a[i] = cs * x - sn * y;
    b[i] = sn * x + cs * y;
  }
  return true;
}
