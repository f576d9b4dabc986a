/**
 * Helper threads for the fused kernels. tfjs-wasm runs every kernel on the
 * main thread; with native BLAS the other cores idle through the JS row
 * loops (norms, GELU, AdamW) and attention's many small per-head products,
 * about 60% of a small-preset step on 2 cores. When the wasm heap is shared
 * (the threaded build, which the kit loads whenever it has more than one
 * thread), `parallelFor` splits a task's index range into one contiguous
 * part per thread: the main thread runs the first, each helper (a
 * `node:worker_threads` worker with the same `WebAssembly.Memory`) one of
 * the others, and the call returns when all are done. A task is a function
 * of lib/kernels/tasks.ts that both sides import; arguments travel as
 * numbers in a shared Float64Array (heap offsets, sizes, scalars).
 *
 * Results never depend on the number of threads: tasks write disjoint
 * outputs, and reductions add fixed chunks in a fixed order (tasks.ts).
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { instantiateSimd, type SimdBinaries, type SimdKernels } from "./simd.ts";
import { type Heap, type TaskName, TASKS } from "./tasks.ts";

/** Control words (Int32Array indices) shared with the helpers. */
const SEQ = 0, TASK = 1, COUNT = 2, PARTS = 3, TAG = 4, NARGS = 5, FLAGS = 6, DONE = 8;
/** FLAGS bit: run the SIMD kernels (lib/kernels/simd.ts). */
export const FLAG_SIMD = 1;
/** Helpers at most (control words DONE .. DONE + MAX_HELPERS - 1). */
export const MAX_HELPERS = 24;
/** Argument slots per call (AdamW takes 9 per parameter tensor). */
export const MAX_ARGS = 1 << 14;
/** Float64 scratch for partial sums (AdamW's per tensor, RMSNorm's per chunk), shared with the helpers. */
export const SCRATCH_DOUBLES = 1 << 20;
/** Main-thread spins before it sleeps on a helper (a wake-up costs ~5-50 us). */
const SPINS = 4000;

interface Pool {
  memory: WebAssembly.Memory;
  ctrl: Int32Array;
  args: Float64Array;
  scratch: Float64Array;
  workers: Worker[];
  ready: Int32Array;
  failed: string | null;
  seq: number;
  enabled: boolean;
}

let pool: Pool | null = null;
let mainHeap: Heap | null = null;
let mainMemory: WebAssembly.Memory | null = null;
let mainSimd: SimdKernels | null = null;
let simdBinaries: SimdBinaries | null = null;
let simdOn = true;

/**
 * Starts `helpers` helper threads on `memory` (a shared `WebAssembly.Memory`:
 * the threaded wasm build's), with native sgemm from `blasPath` when given
 * (attention's per-head products). Returns false, starting nothing, when
 * the memory is not shared or `helpers` < 1. Workers are unref'd: they never
 * keep the process alive.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { poolStarted, poolThreads, startPool, stopPool } from "./pool.ts";
 * const memory = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });
 * assert.equal(startPool(memory, 1, null), true);
 * assert.equal(await poolStarted(), 2); // helpers start in the background
 * await stopPool();
 * assert.equal(poolThreads(), 1);
 * ```
 */
export function startPool(
  memory: WebAssembly.Memory,
  helpers: number,
  blasPath: string | null,
): boolean {
  if (pool || helpers < 1 || !(memory.buffer instanceof SharedArrayBuffer)) return false;
  const n = Math.min(helpers, MAX_HELPERS);
  const ctrl = new Int32Array(new SharedArrayBuffer(4 * (DONE + MAX_HELPERS)));
  const args = new Float64Array(new SharedArrayBuffer(8 * MAX_ARGS));
  const scratch = new Float64Array(new SharedArrayBuffer(8 * SCRATCH_DOUBLES));
  const ready = new Int32Array(new SharedArrayBuffer(4 * n));
  const p: Pool = {
    memory,
    ctrl,
    args,
    scratch,
    workers: [],
    ready,
    failed: null,
    seq: 0,
    enabled: true,
  };
  for (let i = 0; i < n; i++) {
    const w = new Worker(new URL("./pool_worker.ts", import.meta.url), {
      workerData: {
        memory,
        ctrl: ctrl.buffer,
        args: args.buffer,
        scratch: scratch.buffer,
        ready: ready.buffer,
        index: i,
        blasPath,
        simd: simdBinaries,
      },
    });
    w.on("error", (e: Error) => p.failed = `helper thread ${i}: ${e.message}`);
    w.unref();
    p.workers.push(w);
  }
  pool = p;
  mainHeap = null;
  return true;
}

/**
 * Stops the helper threads (tests; the process exits without it).
 *
 * @example
 * ```ts
 * import { stopPool } from "./pool.ts";
 * await stopPool(); // no pool: nothing to do
 * ```
 */
export async function stopPool(): Promise<void> {
  const p = pool;
  pool = null;
  if (p) await Promise.all(p.workers.map((w) => w.terminate()));
}

/**
 * Threads a `parallelFor` runs on: 1 + the helpers that have started (1
 * without a pool, when it is switched off, or after a helper failed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { poolThreads } from "./pool.ts";
 * assert.ok(poolThreads() >= 1);
 * ```
 */
export function poolThreads(): number {
  if (!pool || !pool.enabled || pool.failed) return 1;
  let n = 1;
  while (n - 1 < pool.workers.length && Atomics.load(pool.ready, n - 1) === 1) n++;
  return n;
}

/**
 * Waits (at most `timeoutMs`) until every helper has started, and returns
 * {@link poolThreads}: until then, tasks run with the helpers that are up.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { poolStarted } from "./pool.ts";
 * assert.equal(await poolStarted(), 1); // no pool in this process
 * ```
 */
export async function poolStarted(timeoutMs = 20_000): Promise<number> {
  const t0 = Date.now();
  while (
    pool && !pool.failed && poolThreads() < 1 + pool.workers.length && Date.now() - t0 < timeoutMs
  ) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return poolThreads();
}

/**
 * Lets `parallelFor` use the helpers (the default once started) or not
 * (tests compare both).
 *
 * @example
 * ```ts
 * import { setPoolEnabled } from "./pool.ts";
 * setPoolEnabled(true);
 * ```
 */
export function setPoolEnabled(on: boolean): void {
  if (pool) pool.enabled = on;
}

/**
 * Uses the SIMD kernels compiled by lib/kernels/simd.ts `compileSimd` (call
 * before `startPool`, whose helpers get them too), or the JS loops (null).
 *
 * @example
 * ```ts
 * import { useSimd } from "./pool.ts";
 * import { compileSimd } from "./simd.ts";
 * useSimd(await compileSimd());
 * ```
 */
export function useSimd(bins: SimdBinaries | null): void {
  simdBinaries = bins;
  mainHeap = null;
}

/**
 * Runs the SIMD kernels (when compiled; the default) or the JS loops on every
 * thread (tests compare both).
 *
 * @example
 * ```ts
 * import { setSimdEnabled } from "./pool.ts";
 * setSimdEnabled(true);
 * ```
 */
export function setSimdEnabled(on: boolean): void {
  simdOn = on;
}

/**
 * Whether tasks run the SIMD kernels: compiled, passed to {@link useSimd}
 * and not switched off.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simdActive, useSimd } from "./pool.ts";
 * useSimd(null);
 * assert.equal(simdActive(), false);
 * ```
 */
export function simdActive(): boolean {
  return simdOn && simdBinaries !== null;
}

/** The main thread's view of `memory` (renewed after the heap grows). */
function heapOf(memory: WebAssembly.Memory, scratch: Float64Array | null): Heap {
  const buf = memory.buffer;
  if (
    !mainHeap || mainMemory !== memory || mainHeap.f32.buffer.byteLength !== buf.byteLength ||
    (scratch && mainHeap.scratch !== scratch)
  ) {
    if (mainMemory !== memory || !mainHeap) mainSimd = instantiateSimd(simdBinaries, memory);
    mainMemory = memory;
    mainHeap = {
      f32: new Float32Array(buf),
      f64: new Float64Array(buf),
      scratch: scratch ?? mainHeap?.scratch ?? new Float64Array(SCRATCH_DOUBLES),
      simd: null,
    };
  }
  mainHeap.simd = simdOn ? mainSimd : null;
  return mainHeap;
}

/**
 * Runs `TASKS[task](heap, args, lo, hi)` over [0, n) split into
 * `poolThreads()` contiguous parts (one on this thread; on this thread
 * alone when `n < 2 * minPart` or there is no pool), on the heap of `memory`.
 * Returns this thread's heap views: a task's partial sums (in `heap.scratch`
 * or `heap.f64`) are read from there afterwards.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parallelFor } from "./pool.ts";
 * const memory = new WebAssembly.Memory({ initial: 1 });
 * const f = new Float32Array(memory.buffer);
 * f.set([0, 1, -1]); // x at offset 0; u2 = 2c (x + 0.044715 x^3) goes to offset 4
 * parallelFor(memory, "geluArg", [0, 4], 1, 3);
 * assert.equal(f[4], 0);
 * assert.equal(f[6], -f[5]);
 * ```
 */
export function parallelFor(
  memory: WebAssembly.Memory,
  task: TaskName,
  args: ArrayLike<number>,
  minPart: number,
  n: number,
): Heap {
  const p = pool && pool.memory === memory ? pool : null;
  const heap = heapOf(memory, p ? p.scratch : null);
  const fn = TASKS[task];
  const parts = p ? Math.min(poolThreads(), Math.floor(n / Math.max(1, minPart))) : 1;
  if (args.length > MAX_ARGS) {
    throw new Error(`parallelFor: ${args.length} arguments (at most ${MAX_ARGS})`);
  }
  if (!p || parts < 2) {
    const a = p ? p.args : new Float64Array(args.length);
    a.set(args);
    fn(heap, a, 0, n);
    return heap;
  }
  const { ctrl, args: a } = p;
  // The tag goes first: a helper that copied the arguments and then reads a
  // tag other than the sequence number it woke for drops them (see pool_worker.ts).
  const seq = ++p.seq;
  Atomics.store(ctrl, TAG, seq);
  a.set(args);
  ctrl[TASK] = TASK_IDS.get(task)!, ctrl[COUNT] = n, ctrl[PARTS] = parts, ctrl[NARGS] = args.length;
  ctrl[FLAGS] = heap.simd ? FLAG_SIMD : 0;
  Atomics.store(ctrl, SEQ, seq);
  Atomics.notify(ctrl, SEQ);
  splits.set(task, (splits.get(task) ?? 0) + 1);
  fn(heap, a, 0, partEnd(n, parts, 0));
  for (let i = 0; i < parts - 1; i++) waitFor(p, DONE + i, seq);
  return heap;
}

const splits = new Map<TaskName, number>();

/**
 * How many calls of each task were split over helper threads so far (tests
 * check that a workload reaches the helpers).
 *
 * @example
 * ```ts
 * import { splitCounts } from "./pool.ts";
 * console.log(Object.fromEntries(splitCounts())); // {} without a pool
 * ```
 */
export function splitCounts(): ReadonlyMap<TaskName, number> {
  return splits;
}

/** End of part `i` of [0, n) split into `parts` (part i is [partEnd(i - 1), partEnd(i))). */
export function partEnd(n: number, parts: number, i: number): number {
  return Math.floor((n * (i + 1)) / parts);
}

function waitFor(p: Pool, word: number, seq: number): void {
  let v = Atomics.load(p.ctrl, word), spins = 0;
  while (v !== seq && v !== -seq) {
    if (++spins > SPINS) Atomics.wait(p.ctrl, word, v, 1000);
    if (p.failed) throw new Error(`parallelFor: ${p.failed}`);
    v = Atomics.load(p.ctrl, word);
  }
  if (v === -seq) {
    p.failed = `helper thread ${word - DONE} threw in task ${taskName(p.ctrl[TASK])}`;
    throw new Error(`parallelFor: ${p.failed} (its message is on stderr)`);
  }
}

/** Task ids: the index of the name in TASKS' key order (the same in every thread). */
export const TASK_NAMES = Object.keys(TASKS) as TaskName[];
const TASK_IDS = new Map(TASK_NAMES.map((t, i) => [t, i]));
const taskName = (id: number) => TASK_NAMES[id] ?? `#${id}`;

/** Control word layout, for pool_worker.ts. */
export const CONTROL = { SEQ, TASK, COUNT, PARTS, TAG, NARGS, FLAGS, DONE } as const;
