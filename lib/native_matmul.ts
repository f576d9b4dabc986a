/**
 * tfjs-wasm's BatchMatMul (every `tf.matMul`, 2-D or batched, any transpose
 * flags) through native `cblas_sgemm` (lib/blas.ts), run in place on the wasm
 * heap: operands and output are addresses inside the `WebAssembly.Memory`, so
 * nothing is copied. Transposes are BLAS flags; a batch is a loop of 2-D
 * calls (a batch of 1 on either side broadcasts). Anything else (non-float32,
 * general batch broadcasting) and the native path switched off go to the
 * original XNNPACK kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
// Registers the wasm kernels first, so that the original BatchMatMul can be wrapped.
import "@tensorflow/tfjs-backend-wasm";
import { blasInfo } from "./blas.ts";
import { wasmMemory } from "./kernels/norm_kernels.ts";
import { sgemmOnCores } from "./kernels/sgemm.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

let active = false;
let original: tf.KernelConfig | undefined;

/**
 * Turns the native path on or off for the wasm backend (on needs a loaded
 * library). Results of both paths agree to float32 rounding
 * (tests/native_matmul_test.ts).
 *
 * @example
 * ```ts
 * import { setNativeMatmul } from "./native_matmul.ts";
 * setNativeMatmul(false); // XNNPACK from here on
 * ```
 */
export function setNativeMatmul(on: boolean): void {
  if (on && !blasInfo()) throw new Error("setNativeMatmul: no BLAS library loaded (loadBlas)");
  registerNativeMatmul();
  active = on;
}

/**
 * Whether products on the current backend run through native BLAS (wasm
 * backend and the native path on). The model's ops pick their forms by it.
 *
 * @example
 * ```ts
 * import { nativeMatmulActive } from "./native_matmul.ts";
 * console.log(nativeMatmulActive());
 * ```
 */
export function nativeMatmulActive(): boolean {
  return active && tf.getBackend() === "wasm";
}

/** Byte offset of a tensor's data in the wasm heap. */
function offsetOf(backend: Any, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}

function batchMatMul(args: Any): Any {
  const { inputs: { a, b }, attrs: { transposeA: ta, transposeB: tb }, backend } = args;
  if (!active || a.dtype !== "float32" || b.dtype !== "float32") return original!.kernelFunc(args);
  const ar = a.shape.length, br = b.shape.length;
  const m = ta ? a.shape[ar - 1] : a.shape[ar - 2], k = ta ? a.shape[ar - 2] : a.shape[ar - 1];
  const kb = tb ? b.shape[br - 1] : b.shape[br - 2], n = tb ? b.shape[br - 2] : b.shape[br - 1];
  tf.util.assert(
    k === kb,
    () =>
      `Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ` +
      `${b.shape} and transposeA=${ta} and transposeB=${tb} must match.`,
  );
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(
    a.shape.slice(0, -2),
    b.shape.slice(0, -2),
  );
  const ga = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const gb = tf.util.sizeFromShape(b.shape.slice(0, -2));
  const G = tf.util.sizeFromShape(outer);
  // Only "same batch" or "one side is a single matrix" map to a plain loop.
  if ((ga !== G && ga !== 1) || (gb !== G && gb !== 1)) return original!.kernelFunc(args);
  const out = backend.makeOutput([...outer, m, n], "float32");
  if (G * m * n === 0) return out;
  if (k === 0) {
    backend.typedArrayFromHeap(out).fill(0);
    return out;
  }
  // The heap may have grown (and moved) in makeOutput: take its address now.
  const heap: Uint8Array = backend.wasm.HEAPU8;
  const base = Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(heap)));
  const pa = base + offsetOf(backend, a), pb = base + offsetOf(backend, b);
  const pc = base + offsetOf(backend, out);
  const sa = ga === 1 ? 0 : 4 * m * k, sb = gb === 1 ? 0 : 4 * k * n, sc = 4 * m * n;
  const memory = wasmMemory(backend);
  for (let g = 0; g < G; g++) {
    sgemmOnCores(memory, ta, tb, m, n, k, pa + g * sa, pb + g * sb, pc + g * sc);
  }
  return out;
}

/**
 * Wraps tfjs-wasm's BatchMatMul kernel with the native path (idempotent). The
 * wrapper sends every call to the original kernel while the path is off.
 *
 * @example
 * ```ts
 * import { registerNativeMatmul } from "./native_matmul.ts";
 * registerNativeMatmul();
 * ```
 */
export function registerNativeMatmul(): void {
  if (original) return;
  original = tf.getKernel("BatchMatMul", "wasm");
  if (!original) throw new Error("registerNativeMatmul: tfjs-wasm's BatchMatMul is not registered");
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel({
    kernelName: "BatchMatMul",
    backendName: "wasm",
    setupFunc: original.setupFunc,
    kernelFunc: batchMatMul,
  });
}
