/**
 * The JS parts of GELU(tanh), the softmax gradient and softmax
 * cross-entropy as fused tfjs-wasm kernels, loops on Float32Array views of
 * the wasm heap. Transcendentals stay in wasm's SIMD kernels (Sigmoid,
 * Softmax), which are ~10x faster than JS math here. Intermediate values are float64; results are
 * rounded once to float32. Registered by lib/kernels/fused.ts.
 *
 * @module
 */
import { heapView } from "./norm_kernels.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

const GELU_C = Math.sqrt(2 / Math.PI), GELU_A = 0.044715;

/**
 * HcGeluArg: x -> 2u = 2c (x + 0.044715 x^3), any shape. GELU(tanh) is then
 * x sigmoid(2u) (as 0.5 (1 + tanh(u)) = sigmoid(2u)), with XNNPACK's SIMD
 * sigmoid, ~10x faster than a JS loop with a tanh approximation here.
 */
export function geluArgKernel(args: Any): Any {
  const { inputs: { x }, backend } = args;
  const u2 = backend.makeOutput(x.shape, "float32");
  geluArgLoop(heapView(backend, x), heapView(backend, u2));
  return u2;
}

// The loops live in small functions of typed-array arguments: V8 compiles
// them once as ordinary optimised code (a loop inside the kernel function
// itself ran through on-stack replacement and deoptimised on new views).
function geluArgLoop(X: Float32Array, U: Float32Array): void {
  const c2 = 2 * GELU_C, ca = 2 * GELU_C * GELU_A;
  for (let i = 0, n = X.length; i < n; i++) {
    const v = X[i];
    U[i] = c2 * v + ca * v * v * v;
  }
}

/**
 * HcGeluGrad: dy, x, s = sigmoid(2u) -> dy (0.5 (1 + t) + 0.5 x (1 - t^2) c
 * (1 + 3 0.044715 x^2)) with t = tanh(u) = 2s - 1.
 */
export function geluGradKernel(args: Any): Any {
  const { inputs: { dy, x, s }, backend } = args;
  const dx = backend.makeOutput(x.shape, "float32");
  const v = (a: Any) => heapView(backend, a);
  geluGradLoop(v(dy), v(x), v(s), v(dx));
  return dx;
}

function geluGradLoop(D: Float32Array, X: Float32Array, S: Float32Array, DX: Float32Array): void {
  const a3 = 3 * GELU_A;
  for (let i = 0, n = X.length; i < n; i++) {
    const v = X[i], th = 2 * S[i] - 1;
    DX[i] = D[i] * 0.5 * (1 + th + v * (1 - th * th) * GELU_C * (1 + a3 * v * v));
  }
}

/** HcSoftmaxGrad: p, dp [..., C] -> p (dp - rowsum(dp p)). */
export function softmaxGradKernel(args: Any): Any {
  const { inputs: { p, dp }, backend } = args;
  const C = p.shape[p.shape.length - 1];
  const ds = backend.makeOutput(p.shape, "float32");
  const P = heapView(backend, p), D = heapView(backend, dp), DS = heapView(backend, ds);
  for (let o = 0, n = P.length; o < n; o += C) softmaxGradRow(P, D, DS, o, C);
  return ds;
}

/** One row of the softmax gradient: DS[o..o+C) = P (D - rowsum(D P)); DS may be D. */
export function softmaxGradRow(
  P: Float32Array,
  D: Float32Array,
  DS: Float32Array,
  o: number,
  C: number,
) {
  // Trailing zero probabilities (the masked part of a causal row) give zero
  // gradient: only P is read there.
  let end = o + C;
  while (end > o && P[end - 1] === 0) end--;
  // Two accumulators: the sum is a dependent chain of adds otherwise.
  let s0 = 0, s1 = 0, j = o;
  for (; j + 1 < end; j += 2) s0 += D[j] * P[j], s1 += D[j + 1] * P[j + 1];
  if (j < end) s0 += D[j] * P[j];
  const s = s0 + s1;
  for (let k = o; k < end; k++) DS[k] = P[k] * (D[k] - s);
  DS.fill(0, end, o + C);
}

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
