/**
 * The JS parts of GELU(tanh), the softmax gradient and softmax
 * cross-entropy as fused tfjs-wasm kernels, loops on Float32Array views of
 * the wasm heap. Transcendentals stay in wasm's SIMD kernels (Sigmoid,
 * Softmax), which are ~10x faster than JS math here. Intermediate values are float64; results are
 * rounded once to float32. Registered by lib/kernels/fused.ts.
 *
 * @module
 */
import { heapOffset, heapView, MIN_PART, wasmMemory } from "./norm_kernels.ts";
import { parallelFor } from "./pool.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/**
 * HcGeluArg: x -> 2u = 2c (x + 0.044715 x^3), any shape. GELU(tanh) is then
 * x sigmoid(2u) (as 0.5 (1 + tanh(u)) = sigmoid(2u)), with XNNPACK's SIMD
 * sigmoid, ~10x faster than a JS loop with a tanh approximation here.
 */
export function geluArgKernel(args: Any): Any {
  const { inputs: { x }, backend } = args;
  const u2 = backend.makeOutput(x.shape, "float32");
  const o = (t: Any) => heapOffset(backend, t);
  parallelFor(wasmMemory(backend), "geluArg", [o(x), o(u2)], MIN_PART, sizeOf(x.shape));
  return u2;
}

/**
 * HcGeluGrad: dy, x, s = sigmoid(2u) -> dy (0.5 (1 + t) + 0.5 x (1 - t^2) c
 * (1 + 3 0.044715 x^2)) with t = tanh(u) = 2s - 1.
 */
export function geluGradKernel(args: Any): Any {
  const { inputs: { dy, x, s }, backend } = args;
  const dx = backend.makeOutput(x.shape, "float32");
  const o = (t: Any) => heapOffset(backend, t);
  const a = [o(dy), o(x), o(s), o(dx)];
  parallelFor(wasmMemory(backend), "geluGrad", a, MIN_PART, sizeOf(x.shape));
  return dx;
}

/** HcSoftmaxGrad: p, dp [..., C] -> p (dp - rowsum(dp p)). */
export function softmaxGradKernel(args: Any): Any {
  const { inputs: { p, dp }, backend } = args;
  const C = p.shape[p.shape.length - 1];
  const ds = backend.makeOutput(p.shape, "float32");
  const o = (t: Any) => heapOffset(backend, t);
  const rows = sizeOf(p.shape) / C;
  parallelFor(
    wasmMemory(backend),
    "softmaxGrad",
    [o(p), o(dp), o(ds), C],
    Math.ceil(MIN_PART / C),
    rows,
  );
  return ds;
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * HcXentLoss: logits [N, V], probs = softmax(logits) [N, V] (wasm's SIMD
 * Softmax), targets [N] int32 -> mean cross-entropy []. Each row's
 * log-sum-exp is l_k - log p_k at its largest logit k (p_k >= 1/V, so no
 * underflow), the loss lse - l_t: one pass and N logs instead of N V exps. A
 * target outside [0, V) contributes 0 to the sum, as a zero one-hot row does.
 */
export function xentLossKernel(args: Any): Any {
  const { inputs: { logits, probs, targets }, backend } = args;
  const [N, V] = logits.shape;
  const loss = backend.makeOutput([], "float32");
  const L = heapView(backend, logits), P = heapView(backend, probs);
  const Tg = backend.typedArrayFromHeap(targets) as Int32Array;
  heapView(backend, loss)[0] = xentSum(L, P, Tg, N, V) / N;
  return loss;
}

function xentSum(L: Float32Array, P: Float32Array, Tg: Int32Array, N: number, V: number): number {
  let total = 0;
  for (let i = 0, o = 0; i < N; i++, o += V) {
    let k = o;
    for (let j = o + 1, e = o + V; j < e; j++) if (L[j] > L[k]) k = j;
    const t = Tg[i];
    if (t >= 0 && t < V) total += L[k] - Math.log(P[k]) - L[o + t];
  }
  return total;
}

/** HcSoftmaxXentGrad: probs [N, V], targets [N], dy [] -> (probs - onehot(targets)) dy / N. */
export function softmaxXentGradKernel(args: Any): Any {
  const { inputs: { probs, targets, dy }, backend } = args;
  const [N, V] = probs.shape;
  const dl = backend.makeOutput([N, V], "float32");
  const P = heapView(backend, probs), Tg = backend.typedArrayFromHeap(targets) as Int32Array;
  const DL = heapView(backend, dl);
  const scale = heapView(backend, dy)[0] / N;
  for (let i = 0, o = 0; i < N; i++, o += V) {
    for (let j = 0; j < V; j++) DL[o + j] = P[o + j] * scale;
    const t = Tg[i];
    if (t >= 0 && t < V) DL[o + t] = (P[o + t] - 1) * scale;
  }
  return dl;
}
