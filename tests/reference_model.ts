// An independent forward pass in plain loops over typed arrays (float64
// arithmetic), used by the tests to check the tfjs models. Written from the
// HF definitions, sharing no code with lib/model.
import type { ModelConfig } from "../lib/model/config.ts";
import type { TensorMap } from "../lib/tensor_map.ts";

type Mat = Float64Array; // row-major

function get(p: TensorMap, name: string) {
  const t = p.get(name);
  if (!t) throw new Error(`reference: missing ${name}`);
  return t;
}

// x [T, in] times W; layout "io" = W[in, out] (Conv1D), "oi" = W[out, in] (Linear).
function matmul(
  x: Mat,
  T: number,
  w: { shape: number[]; data: Float32Array },
  layout: "io" | "oi",
): Mat {
  const [a, b] = w.shape;
  const inDim = layout === "io" ? a : b, outDim = layout === "io" ? b : a;
  const y = new Float64Array(T * outDim);
  for (let t = 0; t < T; t++) {
    for (let o = 0; o < outDim; o++) {
      let s = 0;
      for (let i = 0; i < inDim; i++) {
        s += x[t * inDim + i] * (layout === "io" ? w.data[i * outDim + o] : w.data[o * inDim + i]);
      }
      y[t * outDim + o] = s;
    }
  }
  return y;
}

function addBias(y: Mat, T: number, b: Float32Array) {
  const n = b.length;
  for (let t = 0; t < T; t++) for (let i = 0; i < n; i++) y[t * n + i] += b[i];
}

function norm(
  x: Mat,
  T: number,
  E: number,
  w: Float32Array,
  b: Float32Array | null,
  eps: number,
  rms: boolean,
): Mat {
  const y = new Float64Array(T * E);
  for (let t = 0; t < T; t++) {
    let mean = 0;
    if (!rms) {
      for (let i = 0; i < E; i++) mean += x[t * E + i];
      mean /= E;
    }
    let v = 0;
    for (let i = 0; i < E; i++) v += (x[t * E + i] - mean) ** 2;
    v /= E;
    const r = 1 / Math.sqrt(v + eps);
    for (let i = 0; i < E; i++) y[t * E + i] = (x[t * E + i] - mean) * r * w[i] + (b ? b[i] : 0);
  }
  return y;
}

function attend(q: Mat, k: Mat, v: Mat, T: number, H: number, Hkv: number, d: number): Mat {
  const out = new Float64Array(T * H * d);
  const g = H / Hkv;
  for (let h = 0; h < H; h++) {
    const kh = Math.floor(h / g);
    for (let t = 0; t < T; t++) {
      const s = new Float64Array(t + 1);
      let max = -Infinity;
      for (let u = 0; u <= t; u++) {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += q[t * H * d + h * d + i] * k[u * Hkv * d + kh * d + i];
        s[u] = dot / Math.sqrt(d);
        max = Math.max(max, s[u]);
      }
      let z = 0;
      for (let u = 0; u <= t; u++) z += s[u] = Math.exp(s[u] - max);
      for (let u = 0; u <= t; u++) {
        for (let i = 0; i < d; i++) {
          out[t * H * d + h * d + i] += (s[u] / z) * v[u * Hkv * d + kh * d + i];
        }
      }
    }
  }
  return out;
}

function rope(x: Mat, T: number, heads: number, d: number, theta: number) {
  const half = d / 2;
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < heads; h++) {
      const base = t * heads * d + h * d;
      for (let i = 0; i < half; i++) {
        const ang = t * Math.pow(theta, -(2 * i) / d);
        const c = Math.cos(ang), s = Math.sin(ang);
        const a = x[base + i], b = x[base + i + half];
        x[base + i] = a * c - b * s;
        x[base + i + half] = b * c + a * s;
      }
    }
  }
}

const gelu = (x: number) =>
  0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const silu = (x: number) => x / (1 + Math.exp(-x));

/** Logits [T*V] for one sequence. */
export function referenceLogits(cfg: ModelConfig, p: TensorMap, ids: number[]): Float64Array {
  const T = ids.length, E = cfg.hiddenSize, d = cfg.headDim, H = cfg.numHeads, Hkv = cfg.numKvHeads;
  const gptName = cfg.family === "gpt2";
  const emb = get(p, gptName ? "transformer.wte.weight" : "model.embed_tokens.weight");
  let x: Mat = new Float64Array(T * E);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < E; i++) {
      x[t * E + i] = emb.data[ids[t] * E + i] +
        (gptName ? get(p, "transformer.wpe.weight").data[t * E + i] : 0);
    }
  }
  for (let l = 0; l < cfg.numLayers; l++) {
    if (gptName) {
      const n = (s: string) => get(p, `transformer.h.${l}.${s}`);
      const h1 = norm(x, T, E, n("ln_1.weight").data, n("ln_1.bias").data, cfg.normEps, false);
      const qkv = matmul(h1, T, n("attn.c_attn.weight"), "io");
      addBias(qkv, T, n("attn.c_attn.bias").data);
      const A = H * d;
      const q = new Float64Array(T * A), k = new Float64Array(T * A), v = new Float64Array(T * A);
      for (let t = 0; t < T; t++) {
        for (let i = 0; i < A; i++) {
          q[t * A + i] = qkv[t * 3 * A + i];
          k[t * A + i] = qkv[t * 3 * A + A + i];
          v[t * A + i] = qkv[t * 3 * A + 2 * A + i];
        }
      }
      const a = matmul(attend(q, k, v, T, H, H, d), T, n("attn.c_proj.weight"), "io");
      addBias(a, T, n("attn.c_proj.bias").data);
      for (let i = 0; i < x.length; i++) x[i] += a[i];
      const h2 = norm(x, T, E, n("ln_2.weight").data, n("ln_2.bias").data, cfg.normEps, false);
      const f = matmul(h2, T, n("mlp.c_fc.weight"), "io");
      addBias(f, T, n("mlp.c_fc.bias").data);
      for (let i = 0; i < f.length; i++) f[i] = gelu(f[i]);
      const m = matmul(f, T, n("mlp.c_proj.weight"), "io");
      addBias(m, T, n("mlp.c_proj.bias").data);
      for (let i = 0; i < x.length; i++) x[i] += m[i];
    } else {
      const n = (s: string) => get(p, `model.layers.${l}.${s}`);
      const h1 = norm(x, T, E, n("input_layernorm.weight").data, null, cfg.normEps, true);
      const q = matmul(h1, T, n("self_attn.q_proj.weight"), "oi");
      const k = matmul(h1, T, n("self_attn.k_proj.weight"), "oi");
      const v = matmul(h1, T, n("self_attn.v_proj.weight"), "oi");
      rope(q, T, H, d, cfg.ropeTheta);
      rope(k, T, Hkv, d, cfg.ropeTheta);
      const a = matmul(attend(q, k, v, T, H, Hkv, d), T, n("self_attn.o_proj.weight"), "oi");
      for (let i = 0; i < x.length; i++) x[i] += a[i];
      const h2 = norm(x, T, E, n("post_attention_layernorm.weight").data, null, cfg.normEps, true);
      const g = matmul(h2, T, n("mlp.gate_proj.weight"), "oi");
      const u = matmul(h2, T, n("mlp.up_proj.weight"), "oi");
      for (let i = 0; i < g.length; i++) g[i] = silu(g[i]) * u[i];
      const m = matmul(g, T, n("mlp.down_proj.weight"), "oi");
      for (let i = 0; i < x.length; i++) x[i] += m[i];
    }
  }
  x = gptName
    ? norm(
      x,
      T,
      E,
      get(p, "transformer.ln_f.weight").data,
      get(p, "transformer.ln_f.bias").data,
      cfg.normEps,
      false,
    )
    : norm(x, T, E, get(p, "model.norm.weight").data, null, cfg.normEps, true);
  const head = cfg.tieWordEmbeddings ? emb : get(p, "lm_head.weight");
  return matmul(x, T, head, "oi");
}
