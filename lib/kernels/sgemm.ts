/**
 * Large products on every core: with helper threads (lib/kernels/pool.ts)
 * a product of at least `THREADED_MIN_MACS` multiply-adds is cut into row
 * blocks of C, one single-threaded `cblas_sgemm` per thread, instead of
 * OpenBLAS's own threads (which must be woken per call and otherwise hold a
 * core); without helpers, `sgemmAt` as before. Each element of C is the
 * same dot product either way (BLAS splits by output tiles, never along k).
 *
 * @module
 */
import { blasSingleThread, sgemmAt, THREADED_MIN_MACS } from "../blas.ts";
import { parallelFor, poolThreads } from "./pool.ts";

/** Rows of C per unit of work (a multiple of the SkylakeX and Haswell kernels' 16 and 8 rows). */
const ROWS = 16;

/**
 * Row-major C = op(A) op(B) + beta C on byte addresses inside `memory`,
 * over every core when it is large enough (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { blasInfo } from "../blas.ts";
 * import { wasmMemory } from "./norm_kernels.ts";
 * import { sgemmOnCores } from "./sgemm.ts";
 * await initBackend("wasm");
 * if (blasInfo()) {
 *   // deno-lint-ignore no-explicit-any
 *   const backend = tf.backend() as any;
 *   const x = tf.tensor2d([1, 2, 3, 4], [2, 2]), y = tf.zeros([2, 2]);
 *   const base = Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(backend.wasm.HEAPU8)));
 *   const at = (t: tf.Tensor) => base + backend.dataIdMap.get(t.dataId).memoryOffset;
 *   sgemmOnCores(wasmMemory(backend), false, false, 2, 2, 2, at(x), at(x), at(y)); // y = x x
 *   assert.deepEqual(await y.data(), new Float32Array([7, 10, 15, 22]));
 * }
 * ```
 */
export function sgemmOnCores(
  memory: WebAssembly.Memory,
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: number,
  b: number,
  c: number,
  beta = 0,
): void {
  if (m * n * k < THREADED_MIN_MACS || m < 2 * ROWS || poolThreads() < 2) {
    sgemmAt(transA, transB, m, n, k, a, b, c, beta);
    return;
  }
  blasSingleThread();
  const lda = transA ? m : k, ldb = transB ? k : n;
  const args = [+transA, +transB, m, n, k, 1, a, lda, b, ldb, beta, c, n, ROWS];
  parallelFor(memory, "sgemmRows", args, 1, Math.ceil(m / ROWS));
}
