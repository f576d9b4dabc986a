/**
 * The fast-form ops: (1) whole-model forward logits and every parameter
 * gradient on wasm equal the cpu backend's, both families; (2) each custom
 * gradient equals tfjs autodiff of the plain formula on cpu; (3) the patched
 * wasm Slice/Unpack/SplitV kernels return exactly what cpu's do.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/backend.ts";
import type { ModelConfig } from "../lib/model/config.ts";
import { logitsLossGrads, SMALL_FAMILIES } from "./small_families.ts";
import { initParams } from "../lib/model/params.ts";
import { createModel } from "../lib/model/model.ts";
import {
  affine,
  attentionCore,
  bmm,
  bmmNT,
  embed,
  geluOp,
  layerNormOp,
  linear,
  linearT,
  rmsNormOp,
  softmaxCrossEntropy,
} from "../lib/model/ops.ts";
import { causalMask } from "../lib/model/transformer.ts";
import { makeRng } from "../lib/rng.ts";

await initBackend("wasm"); // registers and initialises wasm; tests switch with setBackend

/** Deterministic host data in [-scale, scale). */
function host(n: number, seed: number, scale = 1): Float32Array {
  const rng = makeRng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.next() * 2 - 1) * scale;
  return a;
}

/**
 * |got - want| <= rtol * max|want| + atol, elementwise, with the maximum
 * reported. Tolerances are argued where they are used.
 */
function assertClose(got: Float32Array, want: Float32Array, rtol: number, what: string) {
  assert.equal(got.length, want.length, `${what}: length`);
  let maxRef = 0, maxDiff = 0;
  for (let i = 0; i < want.length; i++) maxRef = Math.max(maxRef, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
  const tol = rtol * maxRef + 1e-7;
  assert(maxDiff <= tol, `${what}: max |diff| ${maxDiff} > ${tol} (max |ref| ${maxRef})`);
}

// Hand-scaled parameters so attention and the MLP are far from identity.
function params(cfg: ModelConfig) {
  const p = initParams(cfg, 7);
  let k = 0;
  for (const [name, t] of p) {
    for (let i = 0; i < t.data.length; i++) {
      if (name.includes("norm") || name.includes("ln_")) t.data[i] = 1 + 0.3 * Math.sin(i + k);
      else t.data[i] = t.data[i] * 10 + (name.endsWith("bias") ? 0.1 * Math.cos(i + k) : 0);
    }
    k++;
  }
  return p;
}

async function logitsAndGrads(backend: string, cfg: ModelConfig, B: number, T: number) {
  await tf.setBackend(backend);
  const model = createModel(cfg, params(cfg));
  const rng = makeRng(3);
  const tok = Int32Array.from({ length: B * (T + 1) }, () => Math.floor(rng.next() * 64));
  const inputs = new Int32Array(B * T), targets = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      inputs[b * T + t] = tok[b * (T + 1) + t];
      targets[b * T + t] = tok[b * (T + 1) + t + 1];
    }
  }
  const ids = tf.tensor2d(inputs, [B, T], "int32"), tg = tf.tensor1d(targets, "int32");
  return await logitsLossGrads(model, ids, tg);
}

// Tolerance for wasm vs cpu: both evaluate the same float32 graph but with
// different summation orders (XNNPACK blocks the k-loop; cpu runs it
// straight), so each dot product of K <= 256 terms differs by about
// u * sqrt(K) relative (u = 2^-24, ~1e-6). Backward adds a few such products
// per layer and the softmax/norm gradients subtract nearly equal terms, which
// can amplify relative error by ~10x on the smallest gradients; relative to
// the largest entry of each tensor, 2 layers * ~10 ops * 1e-6 * 10 ~ 2e-4.
// Logits pass through fewer ops: 2e-5. Measured: below 2e-6 for both.
const families = SMALL_FAMILIES;
for (const [label, cfg] of families) {
  Deno.test(`${label}: wasm logits, loss and every parameter gradient equal cpu's`, async () => {
    const cpu = await logitsAndGrads("cpu", cfg, 3, 16);
    const wasm = await logitsAndGrads("wasm", cfg, 3, 16);
    assertClose(wasm.logits, cpu.logits, 2e-5, "logits");
    assert(
      Math.abs(wasm.loss - cpu.loss) <= 1e-5 * Math.abs(cpu.loss),
      `loss ${wasm.loss} vs ${cpu.loss}`,
    );
    assert.deepEqual([...wasm.grads.keys()].sort(), [...cpu.grads.keys()].sort());
    for (const [name, g] of cpu.grads) {
      assert(g.some((v) => v !== 0), `${name}: cpu gradient is all zero`);
      assertClose(wasm.grads.get(name)!, g, 2e-4, `grad ${name}`);
    }
  });
}

/**
 * Gradients of sum(f(inputs) * R) w.r.t. every float input, for a custom op
 * and for its plain formula, on cpu.
 */
async function gradPair(
  custom: (...xs: tf.Tensor[]) => tf.Tensor,
  plain: (...xs: tf.Tensor[]) => tf.Tensor,
  make: () => tf.Tensor[],
  floatArgs: number[],
) {
  await tf.setBackend("cpu");
  const run = async (f: (...xs: tf.Tensor[]) => tf.Tensor) => {
    const xs = make();
    const y0 = f(...xs);
    const r = tf.tensor(host(y0.size, 99), y0.shape);
    const g = tf.grads((...fl: tf.Tensor[]) => {
      const args = [...xs];
      floatArgs.forEach((ai, j) => (args[ai] = fl[j]));
      return tf.sum(tf.mul(f(...args), r));
    });
    const gs = g(floatArgs.map((i) => xs[i]));
    const out = {
      y: (await y0.data()) as Float32Array,
      g: await Promise.all(gs.map(async (t) => (await t.data()) as Float32Array)),
    };
    tf.dispose([...xs, y0, r, ...gs]);
    return out;
  };
  return { custom: await run(custom), plain: await run(plain) };
}

// Same float32 math in a different order and grouping: a handful of roundings
// per element and sums of <= 64 terms, ~1e-6 relative to the largest entry.
// We allow 2e-5.
const OP_RTOL = 2e-5;
const t = (shape: number[], seed: number, scale = 1) =>
  tf.tensor(host(shape.reduce((a, b) => a * b, 1), seed, scale), shape);

const mask6 = () => causalMask(6);
const cases: {
  name: string;
  custom: (...xs: tf.Tensor[]) => tf.Tensor;
  plain: (...xs: tf.Tensor[]) => tf.Tensor;
  make: () => tf.Tensor[];
  floats: number[];
}[] = [
  {
    name: "linear",
    custom: (x, w) => linear(x as tf.Tensor2D, w as tf.Tensor2D),
    plain: (x, w) => tf.matMul(x, w),
    make: () => [t([5, 4], 1), t([4, 3], 2)],
    floats: [0, 1],
  },
  {
    name: "affine",
    custom: (x, w, b) => affine(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D),
    plain: (x, w, b) => tf.add(tf.matMul(x, w), b),
    make: () => [t([5, 4], 1), t([4, 3], 2), t([3], 3)],
    floats: [0, 1, 2],
  },
  {
    name: "linearT",
    custom: (x, w) => linearT(x as tf.Tensor2D, w as tf.Tensor2D),
    plain: (x, w) => tf.matMul(x, w, false, true),
    make: () => [t([5, 4], 1), t([3, 4], 2)],
    floats: [0, 1],
  },
  {
    name: "bmmNT",
    custom: (a, b) => bmmNT(a as tf.Tensor3D, b as tf.Tensor3D),
    plain: (a, b) => tf.matMul(a, b, false, true),
    make: () => [t([3, 5, 4], 1), t([3, 6, 4], 2)],
    floats: [0, 1],
  },
  {
    name: "bmm",
    custom: (a, b) => bmm(a as tf.Tensor3D, b as tf.Tensor3D),
    plain: (a, b) => tf.matMul(a, b),
    make: () => [t([3, 5, 4], 1), t([3, 4, 6], 2)],
    floats: [0, 1],
  },
  {
    name: "attentionCore",
    custom: (q, k, v, m) =>
      attentionCore(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, m as tf.Tensor2D),
    plain: (q, k, v, m) => tf.matMul(tf.softmax(tf.add(tf.matMul(q, k, false, true), m)), v),
    make: () => [t([4, 6, 3], 1, 2), t([4, 6, 3], 2, 2), t([4, 6, 3], 3), mask6()],
    floats: [0, 1, 2],
  },
  {
    name: "embed",
    custom: (ids, w) => embed(ids as tf.Tensor1D, w as tf.Tensor2D),
    plain: (ids, w) => tf.gather(w, ids),
    make: () => [tf.tensor1d([3, 0, 3, 5, 1, 3], "int32"), t([7, 4], 2)],
    floats: [1],
  },
  {
    name: "layerNormOp",
    custom: (x, w, b) => layerNormOp(x as tf.Tensor2D, w as tf.Tensor1D, b as tf.Tensor1D, 1e-5),
    plain: (x, w, b) => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), w), b);
    },
    make: () => [t([5, 8], 1, 3), t([8], 2), t([8], 3)],
    floats: [0, 1, 2],
  },
  {
    name: "rmsNormOp",
    custom: (x, w) => rmsNormOp(x as tf.Tensor2D, w as tf.Tensor1D, 1e-6),
    plain: (x, w) => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), 1e-6))), w),
    make: () => [t([5, 8], 1, 3), t([8], 2)],
    floats: [0, 1],
  },
  {
    name: "geluOp",
    custom: (x) => geluOp(x),
    plain: (x) => {
      const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
      return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
    },
    make: () => [t([6, 7], 1, 4)],
    floats: [0],
  },
  {
    name: "softmaxCrossEntropy",
    custom: (l, y) => softmaxCrossEntropy(l as tf.Tensor2D, y as tf.Tensor1D),
    plain: (l, y) =>
      tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(l), tf.oneHot(y as tf.Tensor1D, 6)), -1))),
    make: () => [t([5, 6], 1, 3), tf.tensor1d([0, 5, 2, 2, 1], "int32")],
    floats: [0],
  },
];
for (const c of cases) {
  Deno.test(`${c.name}: value and gradient equal tfjs autodiff of the plain formula on cpu`, async () => {
    const r = await gradPair(c.custom, c.plain, c.make, c.floats);
    assertClose(r.custom.y, r.plain.y, OP_RTOL, `${c.name} value`);
    r.plain.g.forEach((g, i) => {
      assert(g.some((v) => v !== 0), `${c.name}: plain gradient ${i} is all zero`);
      assertClose(r.custom.g[i], g, OP_RTOL, `${c.name} grad ${i}`);
    });
  });
}

Deno.test("patched wasm Slice, Unpack and SplitV return exactly cpu's values", async () => {
  const shape = [3, 4, 5, 6];
  const data = host(360, 5);
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const x = tf.tensor(data, shape);
    const outs = [
      tf.slice(x, [1, 0, 0, 0], [2, 4, 5, 6]), // contiguous
      tf.slice(x, [0, 1, 2, 3], [3, 2, 3, 2]), // strided in every axis
      tf.slice(tf.reshape(x, [12, 30]), [2, 5], [7, 11]),
      tf.slice(tf.reshape(x, [3, 2, 2, 5, 6]), [1, 0, 1, 2, 0], [2, 2, 1, 3, 4]), // rank 5
      ...tf.unstack(x, 0),
      ...tf.unstack(x, 2),
      ...tf.split(x, [1, 3, 2], -1),
      ...tf.split(x, 2, 1),
    ];
    const vals = await Promise.all(outs.map(async (o) => [o.shape, await o.data()]));
    tf.dispose([x, ...outs]);
    return vals;
  };
  const cpu = await run("cpu");
  const wasm = await run("wasm");
  assert.deepEqual(wasm, cpu);
});
