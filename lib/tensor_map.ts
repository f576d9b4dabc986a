/**
 * Host-side tensors by name: the currency between checkpoints, cloning and
 * models. Names and shapes are the Hugging Face ones.
 *
 * @module
 */

/** A float32 tensor in host memory, row-major. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/** Named tensors, in Hugging Face naming and layout. */
export type TensorMap = Map<string, HostTensor>;

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Makes a host tensor, checking that the data fits the shape.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hostTensor } from "./tensor_map.ts";
 * const t = hostTensor([2, 2], new Float32Array([1, 2, 3, 4]));
 * assert.equal(t.data[3], 4);
 * assert.equal(hostTensor([2, 3]).data.length, 6); // zeros when no data is given
 * ```
 */
export function hostTensor(shape: number[], data?: Float32Array): HostTensor {
  const n = sizeOf(shape);
  const d = data ?? new Float32Array(n);
  if (d.length !== n) {
    throw new Error(
      `tensor data has ${d.length} elements but shape [${shape}] needs ${n}`,
    );
  }
  return { shape: [...shape], data: d };
}
