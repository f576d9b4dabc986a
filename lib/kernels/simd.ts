/**
 * The SIMD twins of the fused kernels' hot loops (lib/kernels/simd.wat):
 * compiled once per process with wabt (the WebAssembly Binary Toolkit, from
 * npm), then instantiated by every thread on the tfjs-wasm heap (its
 * `WebAssembly.Memory` is the module's only import). They do the JS loops'
 * float64 arithmetic in f64x2 lanes, so results are bit-identical and the
 * loops about twice as fast. `HC_SIMD=off`, or a runtime without wasm SIMD,
 * keeps the JS loops.
 *
 * @module
 */

/** The exported functions (pointers are heap byte offsets, counts elements). */
export interface SimdKernels {
  geluArg(x: number, u: number, lo: number, hi: number, c2: number, ca: number): void;
  geluGrad(
    dy: number,
    x: number,
    s: number,
    dx: number,
    lo: number,
    hi: number,
    c: number,
    a3: number,
  ): void;
  layerNormRow(
    x: number,
    w: number,
    b: number,
    y: number,
    mean: number,
    rstd: number,
    E: number,
    eps: number,
  ): void;
  layerNormGradRow(
    dy: number,
    x: number,
    w: number,
    dx: number,
    accW: number,
    accB: number,
    mean: number,
    rstd: number,
    E: number,
  ): void;
  softmaxGradRow(p: number, d: number, ds: number, C: number): void;
  addF32(x: number, y: number, out: number, lo: number, hi: number): void;
  sumSquares(g: number, n: number): number;
  adamw(
    p: number,
    g: number,
    m: number,
    v: number,
    po: number,
    mo: number,
    vo: number,
    n: number,
    scale: number,
    b1: number,
    b2: number,
    sb2: number,
    step: number,
    eps: number,
    keep: number,
  ): void;
  mulF32(x: number, y: number, out: number, lo: number, hi: number): void;
}

/** The module compiled for a shared and for an unshared heap. */
export interface SimdBinaries {
  shared: Uint8Array<ArrayBuffer>;
  unshared: Uint8Array<ArrayBuffer>;
}

let binaries: SimdBinaries | null | undefined;

/**
 * Compiles lib/kernels/simd.wat (once; later calls return the same bytes)
 * for a shared and an unshared heap, or returns null when `HC_SIMD=off` or
 * this runtime cannot run the module.
 *
 * @example
 * ```ts
 * import { compileSimd } from "./simd.ts";
 * const bins = await compileSimd();
 * console.log(bins ? `${bins.shared.length} bytes` : "JS loops");
 * ```
 */
export async function compileSimd(): Promise<SimdBinaries | null> {
  if (binaries !== undefined) return binaries;
  if (/^(off|0|false|no)$/i.test(Deno.env.get("HC_SIMD") ?? "")) return binaries = null;
  const { default: wabtInit } = await import("wabt");
  const wabt = await wabtInit();
  const source = await Deno.readTextFile(new URL("./simd.wat", import.meta.url));
  const build = (text: string) => {
    const mod = wabt.parseWat("simd.wat", text, { simd: true, threads: true, bulk_memory: true });
    try {
      // WebAssembly.validate checks it below.
      return new Uint8Array(mod.toBinary({}).buffer) as Uint8Array<ArrayBuffer>;
    } finally {
      mod.destroy();
    }
  };
  const shared = build(source);
  const unshared = build(source.replace("(memory 1 65536 shared)", "(memory 1)"));
  binaries = WebAssembly.validate(shared) && WebAssembly.validate(unshared)
    ? { shared, unshared }
    : null;
  return binaries;
}

/**
 * The kernels instantiated on `memory` from {@link compileSimd}'s bytes, or
 * null without them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileSimd, instantiateSimd } from "./simd.ts";
 * const memory = new WebAssembly.Memory({ initial: 1 });
 * const k = instantiateSimd(await compileSimd(), memory);
 * if (k) {
 *   const f = new Float32Array(memory.buffer);
 *   f.set([0.25, 0.75, 0, 0, 1, 3]); // p at 0 (C = 4), d at 16 bytes
 *   k.softmaxGradRow(0, 16, 16, 4); // in place: p (d - sum(d p))
 *   assert.deepEqual([...f.subarray(4, 8)], [-0.375, 0.375, 0, 0]);
 * }
 * ```
 */
export function instantiateSimd(
  bins: SimdBinaries | null,
  memory: WebAssembly.Memory,
): SimdKernels | null {
  if (!bins) return null;
  const bytes = memory.buffer instanceof SharedArrayBuffer ? bins.shared : bins.unshared;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  return instance.exports as unknown as SimdKernels;
}
