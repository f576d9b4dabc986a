/**
 * The whole AdamW step (global gradient norm, clipping, moments, decoupled
 * weight decay, update) as one tfjs-wasm kernel: two JS passes over the
 * gradients on the wasm heap, no concatenation or split, whole tensors
 * spread over the helper threads of lib/kernels/pool.ts. Each moment is rounded to float32 before the update uses it, as the
 * composite form in lib/train/adamw.ts does. Registered by
 * lib/kernels/fused.ts.
 *
 * @module
 */
import { heapOffset, heapView, wasmMemory } from "./norm_kernels.ts";
import { parallelFor } from "./pool.ts";
import { ADAMW_HEAD, ADAMW_STRIDE } from "./tasks.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/**
 * HcAdamW: inputs p0..pK-1, g0.., m0.., v0.. (attr `count` = K); attrs lr,
 * beta1, beta2, eps, weightDecay, gradClip, bc1, bc2 (bias corrections) and
 * `decay` (which parameters decay) -> [norm, p'0.., m'0.., v'0..], where norm
 * is the pre-clip global L2 norm of the gradients.
 */
export function adamwKernel(args: Any): Any {
  const { inputs, attrs: a, backend } = args;
  const K: number = a.count;
  const outs: Any[] = [backend.makeOutput([], "float32")];
  for (const pre of ["p", "m", "v"]) {
    for (let i = 0; i < K; i++) {
      outs.push(backend.makeOutput(inputs[`${pre}${i}`].shape, "float32"));
    }
  }
  const o = (t: Any) => heapOffset(backend, t);
  const at = new Array(ADAMW_HEAD + K * ADAMW_STRIDE).fill(0);
  for (let i = 0; i < K; i++) {
    const ins = ["p", "g", "m", "v"].map((pre) => o(inputs[`${pre}${i}`]));
    const res = [outs[1 + i], outs[1 + K + i], outs[1 + 2 * K + i]].map(o);
    const keep = a.decay[i] ? 1 - a.lr * a.weightDecay : 1;
    const size = inputs[`p${i}`].size;
    [...ins, ...res, size, keep].forEach((v, j) => at[ADAMW_HEAD + i * ADAMW_STRIDE + j] = v);
  }
  // One part per thread holds whole tensors; the norm adds per-tensor sums in order.
  const memory = wasmMemory(backend), minTensors = Math.max(1, Math.floor(K / 8));
  const S = parallelFor(memory, "sumSquares", at, minTensors, K).scratch;
  let sq = 0;
  for (let i = 0; i < K; i++) sq += S[i];
  const norm = Math.fround(Math.sqrt(sq));
  heapView(backend, outs[0])[0] = norm;
  // scale = min(1, clip / (norm + 1e-6)), as torch.nn.utils.clip_grad_norm_.
  at[0] = a.gradClip > 0 ? Math.min(1, a.gradClip / (norm + 1e-6)) : 1;
  at[1] = a.beta1, at[2] = a.beta2, at[3] = Math.sqrt(a.bc2), at[4] = a.lr / a.bc1, at[5] = a.eps;
  parallelFor(memory, "adamwUpdate", at, minTensors, K);
  return outs;
}
