/**
 * x @ w + b in one native BLAS call on the wasm heap: the output is filled
 * with b's rows, then `cblas_sgemm` adds x @ w onto it (beta = 1), instead of
 * a product and a separate broadcast Add over the whole output. Only with
 * the native matmul path (lib/native_matmul.ts); registered by
 * lib/kernels/fused.ts.
 *
 * @module
 */
import { heapView, wasmMemory } from "./norm_kernels.ts";
import { sgemmOnCores } from "./sgemm.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/** HcAffine: x [N, K], w [K, M], b [M] -> x @ w + b [N, M] (float32). */
export function affineKernel(args: Any): Any {
  const { inputs: { x, w, b }, backend } = args;
  const [N, K] = x.shape, M = w.shape[1];
  if (
    x.shape.length !== 2 || w.shape.length !== 2 || w.shape[0] !== K || b.shape.join() !== `${M}`
  ) {
    throw new Error(`affine: shapes x [${x.shape}], w [${w.shape}], b [${b.shape}] do not fit`);
  }
  if ([x, w, b].some((t) => t.dtype !== "float32")) throw new Error("affine: float32 only");
  const out = backend.makeOutput([N, M], "float32");
  const O = heapView(backend, out), B = heapView(backend, b);
  for (let i = 0; i < N; i++) O.set(B, i * M);
  if (N * M === 0 || K === 0) return out;
  // The heap may have grown (and moved) in makeOutput: take its address now.
  const heap: Uint8Array = backend.wasm.HEAPU8;
  const base = Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(heap)));
  const at = (t: Any) => base + backend.dataIdMap.get(t.dataId).memoryOffset;
  sgemmOnCores(wasmMemory(backend), false, false, N, M, K, at(x), at(w), at(out), 1);
  return out;
}
