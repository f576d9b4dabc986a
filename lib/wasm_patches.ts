/**
 * Replacements for four tfjs-wasm 4.22 kernels, registered by `initBackend`
 * (lib/backend.ts) before any backend starts:
 * - Slice, Unpack and SplitV read the whole input tensor out of the wasm heap
 *   for every slice (quadratic in the number of slices); these copy only the
 *   slice;
 * - Identity copies the whole tensor; this one shares the data, as the cpu
 *   backend does.
 * Each returns the same values as the kernel it replaces.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
// Registers the wasm kernels first, so that patchWasmKernels can replace some.
import "@tensorflow/tfjs-backend-wasm";

// deno-lint-ignore no-explicit-any
type Any = any;

/** Copies x[begin : begin + size] out of the wasm heap, touching only the slice. */
function wasmSlice(args: Any): Any {
  const { inputs: { x }, attrs: { begin, size }, backend } = args;
  const [b, s] = tf.slice_util.parseSliceParams(x, begin, size);
  if (x.dtype === "string") throw new Error("wasm Slice: string tensors are not supported");
  const out = backend.makeOutput(s, x.dtype);
  const n = tf.util.sizeFromShape(s);
  if (n === 0) return out;
  // Views are taken after makeOutput: a heap growth detaches older views.
  const xv = backend.typedArrayFromHeap(x), ov = backend.typedArrayFromHeap(out);
  const strides = tf.util.computeStrides(x.shape);
  if (tf.slice_util.isSliceContinous(x.shape, b, s)) {
    const off = tf.slice_util.computeFlatOffset(b, strides);
    ov.set(xv.subarray(off, off + n));
    return out;
  }
  // Copy runs along the last axis; walk the outer index like an odometer.
  const rank = s.length, run = s[rank - 1];
  const idx = new Array(rank - 1).fill(0);
  for (let o = 0; o < n; o += run) {
    let off = b[rank - 1];
    for (let a = 0; a < rank - 1; a++) off += (b[a] + idx[a]) * strides[a];
    ov.set(xv.subarray(off, off + run), o);
    for (let a = rank - 2; a >= 0; a--) {
      if (++idx[a] < s[a]) break;
      idx[a] = 0;
    }
  }
  return out;
}

function wasmUnpack(args: Any): Any {
  const { inputs: { value }, backend, attrs } = args;
  const rank = value.shape.length;
  const axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
  const outShape = value.shape.filter((_: number, i: number) => i !== axis);
  const begin = new Array(rank).fill(0), size = value.shape.slice();
  size[axis] = 1;
  const outs = [];
  for (let i = 0; i < value.shape[axis]; i++) {
    begin[axis] = i;
    const o = wasmSlice({ inputs: { x: value }, attrs: { begin, size }, backend });
    outs.push({ dataId: o.dataId, dtype: o.dtype, shape: outShape });
  }
  return outs;
}

function wasmSplitV(args: Any): Any {
  const { inputs: { x }, attrs: { numOrSizeSplits, axis }, backend } = args;
  const ax = tf.util.parseAxisParam(axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x, numOrSizeSplits, ax);
  const begin = new Array(x.shape.length).fill(0);
  return sizes.map((n: number) => {
    const size = [...x.shape];
    size[ax] = n;
    const o = wasmSlice({ inputs: { x }, attrs: { begin: [...begin], size }, backend });
    begin[ax] += n;
    return o;
  });
}

/**
 * Identity without a copy (tfjs-wasm 4.22 copies the whole tensor; the cpu
 * backend shares the data, as here). Safe because no kernel writes into its
 * inputs. Autodiff and customGrad call it for every saved or passed-through
 * tensor (~170 full copies per small-preset step).
 */
function wasmIdentity(args: Any): Any {
  const { inputs: { x }, backend } = args;
  if (x.dtype === "string") return identityFallback!(args);
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
let identityFallback: ((a: Any) => Any) | undefined;

let patched = false;

/**
 * Replaces tfjs-wasm 4.22's Slice, Unpack and SplitV kernels (which read the
 * whole input out of the heap for every slice: unstacking [128, 256, 32] took
 * 67 ms) with versions that copy only the slice (about 1 ms), and Identity
 * with one that shares the data. Idempotent; `initBackend` runs it before
 * loading any backend, so every later `tf.setBackend("wasm")` gets them too.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { patchWasmKernels } from "./wasm_patches.ts";
 * patchWasmKernels();
 * assert.equal(tf.getKernel("Slice", "wasm")?.kernelFunc.name, "wasmSlice");
 * assert.equal(tf.getKernel("Identity", "wasm")?.kernelFunc.name, "wasmIdentity");
 * ```
 */
export function patchWasmKernels(): void {
  if (patched) return;
  patched = true;
  identityFallback = tf.getKernel("Identity", "wasm")?.kernelFunc as (a: Any) => Any;
  const fns: Record<string, (a: Any) => Any> = {
    Slice: wasmSlice,
    Unpack: wasmUnpack,
    SplitV: wasmSplitV,
    Identity: wasmIdentity,
  };
  for (const [kernelName, kernelFunc] of Object.entries(fns)) {
    if (tf.getKernel(kernelName, "wasm")) tf.unregisterKernel(kernelName, "wasm");
    tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc });
  }
}
