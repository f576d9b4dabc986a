/**
 * Singular-value spectra of weight matrices: the paper's view of how a clone
 * fills in the rank it started without (a 2x symmetric clone's matrices have
 * half their singular values at zero).
 *
 * @module
 */
import { checkpointTensorReader } from "../io/checkpoint.ts";

/**
 * Singular values (descending) of a row-major `rows x cols` matrix by
 * one-sided Jacobi rotations, in float64. Accurate for the small values too
 * (no squaring into a Gram matrix), which matters here: a clone's "missing"
 * values are zero up to float32 rounding and must show as such.
 *
 * @example
 * ```ts
 * import { singularValues } from "./spectra.ts";
 * singularValues(new Float32Array([3, 0, 0, 4]), 2, 2); // [4, 3]
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

/** The spectrum of one matrix of one checkpoint. */
export interface Spectrum {
  /** Legend name, e.g. "noisy-symmetric start". */
  name: string;
  tensor: string;
  values: number[];
}

/**
 * Singular values of the 2-D tensor `tensor` (canonical HF name) of the
 * checkpoint in `dir`.
 *
 * @example
 * ```ts
 * import { checkpointSpectrum } from "./spectra.ts";
 * const s = await checkpointSpectrum("runs/x/checkpoint", "transformer.h.0.mlp.c_fc.weight", "end");
 * ```
 */
export async function checkpointSpectrum(
  dir: string,
  tensor: string,
  name: string,
): Promise<Spectrum> {
  const r = await checkpointTensorReader(dir);
  try {
    if (!r.names().includes(tensor)) {
      throw new Error(
        `${dir}: no tensor ${tensor}; choose one of ${r.names().slice(0, 6).join(", ")}...`,
      );
    }
    const t = await r.read(tensor);
    if (t.shape.length !== 2) {
      throw new Error(`${tensor} has shape [${t.shape}]; spectra need a 2-D matrix`);
    }
    return { name, tensor, values: singularValues(t.data, t.shape[0], t.shape[1]) };
  } finally {
    await r.close();
  }
}

/**
 * A default matrix to inspect: the first block's FFN up-projection, which a
 * clone widens along both axes.
 *
 * @example
 * ```ts
 * import { defaultSpectrumTensor } from "./spectra.ts";
 * defaultSpectrumTensor("gpt2"); // "transformer.h.0.mlp.c_fc.weight"
 * ```
 */
export function defaultSpectrumTensor(family: "gpt2" | "llama", layer = 0): string {
  return family === "gpt2"
    ? `transformer.h.${layer}.mlp.c_fc.weight`
    : `model.layers.${layer}.mlp.up_proj.weight`;
}
