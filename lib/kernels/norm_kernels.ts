/**
 * LayerNorm and RMSNorm as fused tfjs-wasm kernels: forward in one pass per
 * row, backward (dx and the weight and bias gradients) in two, as JS loops on
 * Float32Array views of the wasm heap (no copies). Row statistics are summed
 * in float64 and every result is rounded once to float32. Registered by
 * lib/kernels/fused.ts; called through lib/kernels/fused_ops.ts.
 *
 * @module
 */
// deno-lint-ignore no-explicit-any
type Any = any;

/** Float32 (or int32) view of a tensor's data in the wasm heap. */
export function heapView(backend: Any, t: Any): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/**
 * HcLayerNorm: x [N, E], w [E], b [E], attr eps -> y [N, E], mean [N], rstd [N].
 * rstd = 1 / sqrt(var + eps) with the biased variance (as tf.moments).
 */
export function layerNormKernel(args: Any): Any {
  const { inputs: { x, w, b }, attrs: { eps }, backend } = args;
  const [N, E] = x.shape;
  const y = backend.makeOutput([N, E], "float32");
  const mean = backend.makeOutput([N], "float32"), rstd = backend.makeOutput([N], "float32");
  // Views after every makeOutput: a heap growth detaches older views.
  const X = heapView(backend, x), W = heapView(backend, w), B = heapView(backend, b);
  const Y = heapView(backend, y), M = heapView(backend, mean), R = heapView(backend, rstd);
  for (let i = 0, o = 0; i < N; i++, o += E) layerNormRow(X, W, B, Y, M, R, i, o, E, eps);
  return [y, mean, rstd];
}

// Row loops live in small functions of typed arrays and numbers: V8 optimises
// them as ordinary functions (a loop inside the kernel itself ran through
// on-stack replacement and deoptimised on new views).
function layerNormRow(
  X: Float32Array,
  W: Float32Array,
  B: Float32Array,
  Y: Float32Array,
  M: Float32Array,
  R: Float32Array,
  i: number,
  o: number,
  E: number,
  eps: number,
): void {
  // One pass for both sums (float64: E[x^2] - mean^2 loses nothing that
  // matters for float32 inputs), two accumulators each to break the chains.
  let s0 = 0, s1 = 0, q0 = 0, q1 = 0, j = o;
  for (const e = o + E - 1; j < e; j += 2) {
    const a = X[j], b = X[j + 1];
    s0 += a, s1 += b, q0 += a * a, q1 += b * b;
  }
  if (j < o + E) s0 += X[j], q0 += X[j] * X[j];
  const mu = (s0 + s1) / E;
  const r = 1 / Math.sqrt(Math.max(0, (q0 + q1) / E - mu * mu) + eps);
  M[i] = mu, R[i] = r;
  const c = -mu * r;
  for (let k = 0; k < E; k++) Y[o + k] = (X[o + k] * r + c) * W[k] + B[k];
}

/**
 * HcLayerNormGrad: dy, x [N, E], w [E], mean, rstd [N] -> dx [N, E], dw [E],
 * db [E]: dx = rstd (g - mean(g) - xhat mean(g xhat)), g = dy w, xhat = (x -
 * mean) rstd; dw = sum over rows of dy xhat; db = sum of dy.
 */
export function layerNormGradKernel(args: Any): Any {
  const { inputs: { dy, x, w, mean, rstd }, backend } = args;
  const [N, E] = x.shape;
  const dx = backend.makeOutput([N, E], "float32");
  const dw = backend.makeOutput([E], "float32"), db = backend.makeOutput([E], "float32");
  const D = heapView(backend, dy), X = heapView(backend, x), W = heapView(backend, w);
  const M = heapView(backend, mean), R = heapView(backend, rstd);
  const DX = heapView(backend, dx), DW = heapView(backend, dw), DB = heapView(backend, db);
  const accW = new Float64Array(E), accB = new Float64Array(E);
  for (let i = 0, o = 0; i < N; i++, o += E) {
    layerNormGradRow(D, X, W, DX, accW, accB, M[i], R[i], o, E);
  }
  DW.set(accW), DB.set(accB);
  return [dx, dw, db];
}

function layerNormGradRow(
  D: Float32Array,
  X: Float32Array,
  W: Float32Array,
  DX: Float32Array,
  accW: Float64Array,
  accB: Float64Array,
  mu: number,
  r: number,
  o: number,
  E: number,
): void {
  let sg = 0, sgx = 0;
  for (let j = 0; j < E; j++) {
    const d = D[o + j], xh = (X[o + j] - mu) * r, g = d * W[j];
    sg += g, sgx += g * xh;
    accW[j] += d * xh, accB[j] += d;
  }
  const mg = sg / E, mgx = sgx / E;
  for (let j = 0; j < E; j++) DX[o + j] = r * (D[o + j] * W[j] - mg - (X[o + j] - mu) * r * mgx);
}

/** HcRmsNorm: x [N, E], w [E], attr eps -> y [N, E], rstd [N] (1 / sqrt(mean(x^2) + eps)). */
export function rmsNormKernel(args: Any): Any {
  const { inputs: { x, w }, attrs: { eps }, backend } = args;
  const [N, E] = x.shape;
  const y = backend.makeOutput([N, E], "float32"), rstd = backend.makeOutput([N], "float32");
  const X = heapView(backend, x), W = heapView(backend, w);
  const Y = heapView(backend, y), R = heapView(backend, rstd);
  for (let i = 0, o = 0; i < N; i++, o += E) {
    let s = 0;
    for (let j = 0; j < E; j++) s += X[o + j] * X[o + j];
    const r = 1 / Math.sqrt(s / E + eps);
    R[i] = r;
    for (let j = 0; j < E; j++) Y[o + j] = X[o + j] * r * W[j];
  }
  return [y, rstd];
}

/**
 * HcRmsNormGrad: dy, x [N, E], w [E], rstd [N] -> dx [N, E], dw [E]:
 * dx = r (g - xhat mean(g xhat)), g = dy w, xhat = x r; dw = sum of dy xhat.
 */
export function rmsNormGradKernel(args: Any): Any {
  const { inputs: { dy, x, w, rstd }, backend } = args;
  const [N, E] = x.shape;
  const dx = backend.makeOutput([N, E], "float32"), dw = backend.makeOutput([E], "float32");
  const D = heapView(backend, dy), X = heapView(backend, x), W = heapView(backend, w);
  const R = heapView(backend, rstd), DX = heapView(backend, dx), DW = heapView(backend, dw);
  const accW = new Float64Array(E);
  for (let i = 0, o = 0; i < N; i++, o += E) {
    const r = R[i];
    let sgx = 0;
    for (let j = 0; j < E; j++) {
      const d = D[o + j], xh = X[o + j] * r;
      sgx += d * W[j] * xh;
      accW[j] += d * xh;
    }
    const mgx = sgx / E;
    for (let j = 0; j < E; j++) DX[o + j] = r * (D[o + j] * W[j] - X[o + j] * r * mgx);
  }
  DW.set(accW);
  return [dx, dw];
}
