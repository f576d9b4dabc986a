/**
 * The whole AdamW step (global gradient norm, clipping, moments, decoupled
 * weight decay, update) as one tfjs-wasm kernel: two JS passes over the
 * gradients on Float32Array views of the wasm heap, no concatenation or
 * split. Each moment is rounded to float32 before the update uses it, as the
 * composite form in lib/train/adamw.ts does. Registered by
 * lib/kernels/fused.ts.
 *
 * @module
 */
import { heapView } from "./norm_kernels.ts";

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
  const view = (t: Any) => heapView(backend, t);
  let sq = 0;
  for (let i = 0; i < K; i++) sq += sumSquares(view(inputs[`g${i}`]));
  const norm = Math.fround(Math.sqrt(sq));
  view(outs[0])[0] = norm;
  // scale = min(1, clip / (norm + 1e-6)), as torch.nn.utils.clip_grad_norm_.
  const scale = a.gradClip > 0 ? Math.min(1, a.gradClip / (norm + 1e-6)) : 1;
  const h: Hyper = {
    scale,
    b1: a.beta1,
    b2: a.beta2,
    sb2: Math.sqrt(a.bc2),
    step: a.lr / a.bc1,
    eps: a.eps,
    keep: 1,
  };
  for (let i = 0; i < K; i++) {
    h.keep = a.decay[i] ? 1 - a.lr * a.weightDecay : 1;
    const ins = ["p", "g", "m", "v"].map((pre) => view(inputs[`${pre}${i}`]));
    const [PO, MO, VO] = [outs[1 + i], outs[1 + K + i], outs[1 + 2 * K + i]].map(view);
    update(ins[0], ins[1], ins[2], ins[3], PO, MO, VO, h);
  }
  return outs;
}

/** The per-step scalars of the update. */
interface Hyper {
  scale: number;
  b1: number;
  b2: number;
  sb2: number;
  step: number;
  eps: number;
  keep: number;
}

// Loops in small functions of typed arrays and plain numbers: V8 optimises
// them as ordinary functions (see act_kernels.ts).
function sumSquares(G: Float32Array): number {
  let s0 = 0, s1 = 0, j = 0;
  for (; j + 1 < G.length; j += 2) s0 += G[j] * G[j], s1 += G[j + 1] * G[j + 1];
  if (j < G.length) s0 += G[j] * G[j];
  return s0 + s1;
}

function update(
  P: Float32Array,
  G: Float32Array,
  M: Float32Array,
  V: Float32Array,
  PO: Float32Array,
  MO: Float32Array,
  VO: Float32Array,
  h: Hyper,
): void {
  const { scale, b1, b2, sb2, step, eps, keep } = h;
  const c1 = 1 - b1, c2 = 1 - b2;
  for (let j = 0, n = P.length; j < n; j++) {
    const g = G[j] * scale;
    const m = Math.fround(M[j] * b1 + g * c1);
    const v = Math.fround(V[j] * b2 + g * g * c2);
    MO[j] = m, VO[j] = v;
    PO[j] = P[j] * keep - (m / (Math.sqrt(v) / sb2 + eps)) * step;
  }
}
