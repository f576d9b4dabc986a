/**
 * LayerNorm and RMSNorm as fused tfjs-wasm kernels: forward in one pass per
 * row, backward (dx and the weight and bias gradients) in two, as JS loops on
 * the wasm heap (no copies), split over the helper threads of
 * lib/kernels/pool.ts. Row statistics are summed in float64 and every result
 * is rounded once to float32; the weight and bias gradients add fixed row
 * chunks in order, so the thread count changes no bit. Registered by
 * lib/kernels/fused.ts; called through lib/kernels/fused_ops.ts.
 *
 * @module
 */
import { parallelFor, SCRATCH_DOUBLES } from "./pool.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/** Float32 (or int32) view of a tensor's data in the wasm heap. */
export function heapView(backend: Any, t: Any): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** A tensor's data as a float offset into the wasm heap. */
export function heapOffset(backend: Any, t: Any): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset / 4;
}

/** The wasm backend's `WebAssembly.Memory` (shared in the threaded build). */
export function wasmMemory(backend: Any): WebAssembly.Memory {
  return backend.wasm.wasmMemory ?? backend.wasm.asm.memory;
}

/** Elements per thread below which a loop is not worth a helper's wake-up (~5-50 us). */
export const MIN_PART = 1 << 14;

/**
 * Row chunks for a weight gradient over N rows: fixed by N alone (at most
 * 32), so the partial sums, and their total, never depend on the threads.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gradChunks } from "./norm_kernels.ts";
 * assert.equal(gradChunks(2048), 32);
 * assert.equal(gradChunks(5), 5); // never more chunks than rows
 * ```
 */
export function gradChunks(N: number): number {
  return Math.max(1, Math.min(32, N));
}

/**
 * HcLayerNorm: x [N, E], w [E], b [E], attr eps -> y [N, E], mean [N], rstd [N].
 * rstd = 1 / sqrt(var + eps) with the biased variance (as tf.moments).
 */
export function layerNormKernel(args: Any): Any {
  const { inputs: { x, w, b }, attrs: { eps }, backend } = args;
  const [N, E] = x.shape;
  const y = backend.makeOutput([N, E], "float32");
  const mean = backend.makeOutput([N], "float32"), rstd = backend.makeOutput([N], "float32");
  const o = (t: Any) => heapOffset(backend, t);
  const a = [o(x), o(w), o(b), o(y), o(mean), o(rstd), E, eps];
  parallelFor(wasmMemory(backend), "layerNorm", a, Math.ceil(MIN_PART / E), N);
  return [y, mean, rstd];
}

/**
 * HcLayerNormGrad: dy, x [N, E], w [E], mean, rstd [N] -> dx [N, E], dw [E],
 * db [E]: dx = rstd (g - mean(g) - xhat mean(g xhat)), g = dy w, xhat = (x -
 * mean) rstd; dw = sum over rows of dy xhat; db = sum of dy.
 */
export function layerNormGradKernel(args: Any): Any {
  const { inputs: { dy, x, w, mean, rstd }, backend } = args;
  const [N, E] = x.shape;
  const dx = backend.makeOutput([N, E], "float32");
  const dw = backend.makeOutput([E], "float32"), db = backend.makeOutput([E], "float32");
  const o = (t: Any) => heapOffset(backend, t), chunks = gradChunks(N);
  // Per-chunk float64 sums in the heap (where the SIMD loop can reach them).
  const bytes = 16 * chunks * E, at = backend.wasm._malloc(bytes + 8);
  const acc = Math.ceil(at / 8); // float64 index, 8-byte aligned
  try {
    const a = [o(dy), o(x), o(w), o(mean), o(rstd), o(dx), E, N, chunks, acc];
    const minChunks = Math.ceil(MIN_PART / (E * (N / chunks)));
    const S = parallelFor(wasmMemory(backend), "layerNormGrad", a, minChunks, chunks).f64;
    const DW = heapView(backend, dw), DB = heapView(backend, db);
    for (let j = 0; j < E; j++) {
      let sw = 0, sb = 0;
      for (let c = 0; c < chunks; c++) {
        sw += S[acc + 2 * c * E + j], sb += S[acc + (2 * c + 1) * E + j];
      }
      DW[j] = sw, DB[j] = sb;
    }
  } finally {
    backend.wasm._free(at);
  }
  return [dx, dw, db];
}

/** HcRmsNorm: x [N, E], w [E], attr eps -> y [N, E], rstd [N] (1 / sqrt(mean(x^2) + eps)). */
export function rmsNormKernel(args: Any): Any {
  const { inputs: { x, w }, attrs: { eps }, backend } = args;
  const [N, E] = x.shape;
  const y = backend.makeOutput([N, E], "float32"), rstd = backend.makeOutput([N], "float32");
  const o = (t: Any) => heapOffset(backend, t);
  const a = [o(x), o(w), o(y), o(rstd), E, eps];
  parallelFor(wasmMemory(backend), "rmsNorm", a, Math.ceil(MIN_PART / E), N);
  return [y, rstd];
}

/**
 * HcRmsNormGrad: dy, x [N, E], w [E], rstd [N] -> dx [N, E], dw [E]:
 * dx = r (g - xhat mean(g xhat)), g = dy w, xhat = x r; dw = sum of dy xhat.
 */
export function rmsNormGradKernel(args: Any): Any {
  const { inputs: { dy, x, w, rstd }, backend } = args;
  const [N, E] = x.shape;
  const dx = backend.makeOutput([N, E], "float32"), dw = backend.makeOutput([E], "float32");
  const o = (t: Any) => heapOffset(backend, t),
    chunks = Math.max(1, Math.min(gradChunks(N), Math.floor(SCRATCH_DOUBLES / E)));
  const a = [o(dy), o(x), o(w), o(rstd), o(dx), E, N, chunks];
  const minChunks = Math.ceil(MIN_PART / (E * (N / chunks)));
  const S = parallelFor(wasmMemory(backend), "rmsNormGrad", a, minChunks, chunks).scratch;
  const DW = heapView(backend, dw);
  for (let j = 0; j < E; j++) {
    let sw = 0;
    for (let c = 0; c < chunks; c++) sw += S[c * E + j];
    DW[j] = sw;
  }
  return [dx, dw];
}
