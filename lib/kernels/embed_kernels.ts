/**
 * Embedding lookup and its gradient as fused tfjs-wasm kernels: rows copied
 * with typed-array block copies, the gradient a scatter-add (tfjs-wasm's
 * Gather took ~9 ms for 2048 rows of 128 on the development box, and the
 * gradient went through a one-hot matrix and a product). Registered by
 * lib/kernels/fused.ts.
 *
 * @module
 */
import { heapView } from "./norm_kernels.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

function checkIds(I: Int32Array, V: number): void {
  for (let i = 0; i < I.length; i++) {
    if (!(I[i] >= 0 && I[i] < V)) {
      throw new Error(`embedding: token id ${I[i]} at position ${i} is not in [0, ${V - 1}]`);
    }
  }
}

/** HcEmbed: ids [N] int32, table [V, E] -> table[ids] [N, E]; an id outside [0, V) throws. */
export function embedKernel(args: Any): Any {
  const { inputs: { ids, table }, backend } = args;
  const [V, E] = table.shape, N = ids.shape[0];
  checkIds(backend.typedArrayFromHeap(ids) as Int32Array, V); // before allocating: nothing leaks
  const out = backend.makeOutput([N, E], "float32");
  const I = backend.typedArrayFromHeap(ids) as Int32Array;
  const Tb = heapView(backend, table), O = heapView(backend, out);
  for (let i = 0; i < N; i++) O.set(Tb.subarray(I[i] * E, I[i] * E + E), i * E);
  return out;
}

/** HcEmbedGrad: ids [N] int32, dy [N, E], attr vocab V -> dTable [V, E] (rows of dy summed per id). */
export function embedGradKernel(args: Any): Any {
  const { inputs: { ids, dy }, attrs: { vocab }, backend } = args;
  const [N, E] = dy.shape;
  const out = backend.makeOutput([vocab, E], "float32");
  const I = backend.typedArrayFromHeap(ids) as Int32Array;
  const D = heapView(backend, dy), O = heapView(backend, out);
  O.fill(0);
  for (let i = 0; i < N; i++) addRow(O, D, I[i] * E, i * E, E);
  return out;
}

function addRow(O: Float32Array, D: Float32Array, o: number, d: number, E: number): void {
  for (let j = 0; j < E; j++) O[o + j] += D[d + j];
}
