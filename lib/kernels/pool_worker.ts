/**
 * A helper thread of lib/kernels/pool.ts: waits for a task on the shared
 * control words, runs its part of the index range on the shared wasm heap
 * and reports done (or, negated, failed). Started by `startPool`.
 *
 * @module
 */
import { workerData } from "node:worker_threads";
import { attachBlas } from "../blas.ts";
import { CONTROL, FLAG_SIMD, MAX_ARGS, partEnd, TASK_NAMES } from "./pool.ts";
import { instantiateSimd } from "./simd.ts";
import { type Heap, TASKS } from "./tasks.ts";

const { SEQ, TASK, COUNT, PARTS, TAG, NARGS, FLAGS, DONE } = CONTROL;
const memory = workerData.memory as WebAssembly.Memory;
const ctrl = new Int32Array(workerData.ctrl), args = new Float64Array(workerData.args);
const ready = new Int32Array(workerData.ready);
const index = workerData.index as number;
if (workerData.blasPath) attachBlas(workerData.blasPath);
const simd = instantiateSimd(workerData.simd, memory);

let heap: Heap | null = null;
/** The heap's views, renewed when it grew since the last task. */
function currentHeap(): Heap {
  const buf = memory.buffer;
  if (!heap || heap.f32.buffer.byteLength !== buf.byteLength) {
    heap = {
      f32: new Float32Array(buf),
      f64: new Float64Array(buf),
      scratch: new Float64Array(workerData.scratch),
      simd: null,
    };
  }
  return heap;
}

const local = new Float64Array(MAX_ARGS);
let seen = Atomics.load(ctrl, SEQ);
Atomics.store(ready, index, 1);
for (;;) {
  Atomics.wait(ctrl, SEQ, seen);
  const s = Atomics.load(ctrl, SEQ);
  const task = ctrl[TASK], n = ctrl[COUNT], parts = ctrl[PARTS], nargs = ctrl[NARGS];
  const flags = ctrl[FLAGS];
  for (let i = 0; i < nargs; i++) local[i] = args[i];
  seen = s;
  // A newer task is being posted (the main thread tags before it writes):
  // these arguments may be half old, half new. Its SEQ store wakes us again.
  if (Atomics.load(ctrl, TAG) !== s) continue;
  if (index + 1 >= parts) continue; // not one of this task's parts
  let result = s;
  try {
    const h = currentHeap();
    h.simd = flags & FLAG_SIMD ? simd : null;
    TASKS[TASK_NAMES[task]](
      h,
      local,
      partEnd(n, parts, index),
      partEnd(n, parts, index + 1),
    );
  } catch (e) {
    console.error(`hc: helper thread ${index}, task ${TASK_NAMES[task]}:`, e);
    result = -s;
  }
  Atomics.store(ctrl, DONE + index, result);
  Atomics.notify(ctrl, DONE + index);
}
