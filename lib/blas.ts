/**
 * A native CBLAS library through Deno FFI: `cblas_sgemm` on raw addresses
 * (the wasm heap, see lib/native_matmul.ts), the library's thread count and a
 * name for the device label.
 *
 * Which library: `HC_BLAS=/path/lib.so` (must load, or the run stops),
 * `HC_BLAS=off` (none), unset: Debian's libopenblas0-pthread
 * (`libopenblas.so.0`) on Linux, Accelerate on macOS (untested), and no
 * native path when that is missing.
 *
 * OpenBLAS 0.3.21 picks its kernels from a CPU-model table; on CPUs newer than
 * the table (e.g. Sapphire Rapids) it falls back to "Prescott" kernels, 15x
 * slower than its AVX-512 ones. Unless `OPENBLAS_CORETYPE` is set, it is set
 * from the CPU's flags (SkylakeX for AVX-512, Haswell for AVX2 + FMA) before
 * the library loads.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "./errors.ts";

/** The loaded library, as the device label names it. */
export interface BlasInfo {
  /** e.g. "OpenBLAS 0.3.21 (SkylakeX)", "BLIS 0.9.0", "Accelerate". */
  name: string;
  /** What was opened (a path or a soname). */
  path: string;
  /** Threads the library was told to use. */
  threads: number;
}

/** Why the native path is off, when it is. */
export interface BlasAbsent {
  reason: string;
}

const SGEMM = {
  // Row/col order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc.
  // Pointers are passed as addresses (usize): they point into the wasm heap.
  parameters: [
    "i32",
    "i32",
    "i32",
    "i32",
    "i32",
    "i32",
    "f32",
    "usize",
    "i32",
    "usize",
    "i32",
    "f32",
    "usize",
    "i32",
  ],
  result: "void",
} as const;

const SYMBOLS = {
  cblas_sgemm: SGEMM,
  openblas_set_num_threads: { parameters: ["i32"], result: "void", optional: true },
  openblas_get_config: { parameters: [], result: "pointer", optional: true },
  openblas_get_corename: { parameters: [], result: "pointer", optional: true },
  bli_thread_set_num_threads: { parameters: ["i64"], result: "void", optional: true },
  bli_info_get_version_str: { parameters: [], result: "pointer", optional: true },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>;

let lib: Lib | null = null;
let info: BlasInfo | null = null;
/** Threads the library runs with right now (products switch between 1 and info.threads). */
let running = 0;

/**
 * Multiply-adds below which a product runs on one thread. Waking a second
 * BLAS thread costs more than it saves on small products (attention's
 * per-head products): on this 2-core box a 128x128x32 sgemm took 7 us on one
 * thread and 200 us on two when the other core was busy.
 */
export const THREADED_MIN_MACS = 1 << 22;

function setRunning(n: number): void {
  if (n === running || !lib) return;
  const s = lib.symbols;
  if (s.openblas_set_num_threads) s.openblas_set_num_threads(n);
  else if (s.bli_thread_set_num_threads) s.bli_thread_set_num_threads(BigInt(n));
  running = n;
}

/** CBLAS constants (row-major order; no transpose / transpose). */
export const CBLAS = { RowMajor: 101, NoTrans: 111, Trans: 112 } as const;

function defaultCandidates(): string[] {
  if (Deno.build.os === "darwin") {
    return ["/System/Library/Frameworks/Accelerate.framework/Accelerate"];
  }
  if (Deno.build.os === "windows") return ["libopenblas.dll"];
  return ["libopenblas.so.0"];
}

/** OPENBLAS_CORETYPE from /proc/cpuinfo flags, or undefined (not x86 Linux, or no AVX2). */
export function coreTypeFromCpuFlags(cpuinfo: string): string | undefined {
  const line = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1];
  if (!line) return undefined;
  const f = new Set(line.trim().split(/\s+/));
  if (["avx512f", "avx512bw", "avx512vl", "avx512dq"].every((x) => f.has(x))) return "SkylakeX";
  if (f.has("avx2") && f.has("fma")) return "Haswell";
  return undefined;
}

/**
 * OpenBLAS's idle threads spin (sched_yield) for 2^28 cycles, ~0.1 s, after
 * each threaded product before they sleep; on a small machine they then hold
 * the cores the fused kernels' helper threads (lib/kernels/pool.ts) need
 * between products: a small-preset step took 186-244 ms with the helpers
 * and the default, 148 with 2^4 cycles (threaded products as fast).
 */
function setOpenblasThreadTimeout(): void {
  if (Deno.env.get("OPENBLAS_THREAD_TIMEOUT")) return;
  Deno.env.set("OPENBLAS_THREAD_TIMEOUT", "4");
  kitSetThreadTimeout = true;
}
let kitSetThreadTimeout = false;

/**
 * Environment the kit set for OpenBLAS rather than the user (names), so a
 * peer run "as it starts" can leave it out.
 *
 * @example
 * ```ts
 * import { kitOpenblasEnv } from "./blas.ts";
 * console.log(kitOpenblasEnv()); // [] before loadBlas; ["OPENBLAS_THREAD_TIMEOUT"] after, unless set
 * ```
 */
export function kitOpenblasEnv(): string[] {
  return kitSetThreadTimeout ? ["OPENBLAS_THREAD_TIMEOUT"] : [];
}

function setOpenblasCoreType(): void {
  setOpenblasThreadTimeout();
  if (Deno.env.get("OPENBLAS_CORETYPE") || Deno.build.os !== "linux") return;
  if (Deno.build.arch !== "x86_64") return;
  try {
    const core = coreTypeFromCpuFlags(fs.readFileSync("/proc/cpuinfo", "utf8"));
    if (core) Deno.env.set("OPENBLAS_CORETYPE", core);
  } catch { /* no /proc: leave OpenBLAS's own detection */ }
}

function cString(p: Deno.PointerValue): string {
  return p ? Deno.UnsafePointerView.getCString(p) : "";
}

function describe(l: Lib, opened: string): string {
  const s = l.symbols;
  if (s.openblas_get_config) {
    const version = /OpenBLAS\s+([\d.]+)/.exec(cString(s.openblas_get_config()))?.[1] ?? "";
    const core = s.openblas_get_corename ? cString(s.openblas_get_corename()) : "";
    return `OpenBLAS${version ? " " + version : ""}${core ? ` (${core})` : ""}`;
  }
  if (s.bli_info_get_version_str) return `BLIS ${cString(s.bli_info_get_version_str())}`;
  if (/Accelerate/.test(opened)) return "Accelerate";
  return path.basename(opened);
}

/**
 * Loads the CBLAS library `HC_BLAS` names (or the default one) and sets its
 * thread count. Returns what loaded, or why nothing did. Throws when
 * `HC_BLAS` names a library that cannot be used. Idempotent: a second call
 * only changes the thread count.
 *
 * @example
 * ```ts
 * import { loadBlas } from "./blas.ts";
 * const r = loadBlas(2);
 * console.log("name" in r ? r.name : r.reason);
 * ```
 */
export function loadBlas(threads: number): BlasInfo | BlasAbsent {
  const spec = Deno.env.get("HC_BLAS")?.trim();
  if (spec && /^(off|none|0|false)$/i.test(spec)) return { reason: "HC_BLAS=off" };
  if (!lib) {
    const candidates = spec ? [spec] : defaultCandidates();
    setOpenblasCoreType();
    const errors: string[] = [];
    for (const c of candidates) {
      try {
        lib = Deno.dlopen(c, SYMBOLS);
        info = { name: describe(lib, c), path: c, threads };
        break;
      } catch (e) {
        errors.push(`${c}: ${(e as Error).message.split("\n")[0]}`);
      }
    }
    if (!lib) {
      if (spec) {
        throw new UsageError(
          `HC_BLAS=${spec}: cannot load a CBLAS library with cblas_sgemm (${errors.join("; ")}); ` +
            `point HC_BLAS at one (e.g. libopenblas.so.0, libblis.so.4), or set HC_BLAS=off`,
        );
      }
      return {
        reason: `no CBLAS library loaded (${
          errors.join("; ")
        }); install libopenblas0-pthread, set HC_BLAS=/path/to/libcblas.so, or allow FFI (--allow-ffi)`,
      };
    }
  }
  running = 0;
  setRunning(threads);
  info!.threads = threads;
  return info!;
}

/**
 * Opens the library at `path` (the main thread's `blasInfo().path`) in a
 * helper thread of lib/kernels/pool.ts, for `sgemmStridedAt` only: it never
 * sets the library's thread count, which is process-wide and the main
 * thread's to set (to 1 before it hands attention's products to helpers).
 *
 * @example
 * ```ts
 * import { attachBlas, blasInfo, loadBlas } from "./blas.ts";
 * const r = loadBlas(1);
 * if ("name" in r) attachBlas(r.path); // as a helper thread does
 * console.log(blasInfo()?.name ?? "no native BLAS");
 * ```
 */
export function attachBlas(opened: string): void {
  if (!lib) {
    lib = Deno.dlopen(opened, SYMBOLS);
    info = { name: describe(lib, opened), path: opened, threads: 1 };
  }
  running = 1; // never call set_num_threads from here
}

/**
 * Runs the library's next products on one thread (before several threads
 * call it at once: attention's per-head products in lib/kernels/pool.ts).
 *
 * @example
 * ```ts
 * import { blasSingleThread } from "./blas.ts";
 * blasSingleThread();
 * ```
 */
export function blasSingleThread(): void {
  setRunning(1);
}

/**
 * The loaded library, or null (never loaded, or HC_BLAS=off).
 *
 * @example
 * ```ts
 * import { blasInfo } from "./blas.ts";
 * console.log(blasInfo()?.name ?? "no native BLAS");
 * ```
 */
export function blasInfo(): BlasInfo | null {
  return info;
}

/**
 * Row-major C = op(A) op(B) + beta C (alpha 1; beta 0 by default, when C's
 * old contents are ignored) for op(A) [m, k], op(B) [k, n],
 * on raw addresses, on one thread below {@link THREADED_MIN_MACS}
 * multiply-adds and on all the library's threads above. The caller
 * guarantees the addresses and sizes are valid.
 *
 * @example
 * ```ts
 * import { loadBlas, sgemmAt } from "./blas.ts";
 * loadBlas(1);
 * const buf = new Float32Array([1, 2, 3, 4, 0, 0, 0, 0]);
 * const at = Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
 * sgemmAt(false, false, 2, 1, 2, at, at + 8, at + 16); // [1 2; 3 4] @ [3; 4] -> buf[4..6]
 * ```
 */
export function sgemmAt(
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
  if (!lib) throw new Error("sgemmAt: no BLAS library loaded (call loadBlas)");
  setRunning(m * n * k < THREADED_MIN_MACS ? 1 : info!.threads);
  // FFI takes plain numbers for usize at run time (addresses < 2^53); the
  // typings only list bigint, and a BigInt per call would cost more.
  (lib.symbols.cblas_sgemm as unknown as (...a: number[]) => void)(
    CBLAS.RowMajor,
    transA ? CBLAS.Trans : CBLAS.NoTrans,
    transB ? CBLAS.Trans : CBLAS.NoTrans,
    m,
    n,
    k,
    1,
    a,
    transA ? m : k,
    b,
    transB ? k : n,
    beta,
    c,
    n,
  );
}

/**
 * Row-major C = alpha op(A) op(B) + beta C with explicit leading dimensions
 * (lda, ldb, ldc: floats between rows), on one BLAS thread: for the many small
 * products of attention, where each (batch, head) matrix is a column block
 * inside a wider [rows, heads * d] buffer. Raw addresses, as {@link sgemmAt}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadBlas, sgemmStridedAt } from "./blas.ts";
 * const r = loadBlas(1);
 * // A = the first column of [[1, 9], [2, 9]] (lda 2); C = 2 A A^T.
 * const buf = new Float32Array([1, 9, 2, 9, 0, 0, 0, 0]);
 * const at = Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
 * if ("name" in r) {
 *   sgemmStridedAt(false, true, 2, 2, 1, 2, at, 2, at, 2, 0, at + 16, 2);
 *   assert.deepEqual([...buf.subarray(4)], [2, 4, 4, 8]);
 * }
 * ```
 */
export function sgemmStridedAt(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: number,
  lda: number,
  b: number,
  ldb: number,
  beta: number,
  c: number,
  ldc: number,
): void {
  if (!lib) throw new Error("sgemmStridedAt: no BLAS library loaded (call loadBlas)");
  setRunning(1);
  (lib.symbols.cblas_sgemm as unknown as (...a: number[]) => void)(
    CBLAS.RowMajor,
    transA ? CBLAS.Trans : CBLAS.NoTrans,
    transB ? CBLAS.Trans : CBLAS.NoTrans,
    m,
    n,
    k,
    alpha,
    a,
    lda,
    b,
    ldb,
    beta,
    c,
    ldc,
  );
}
