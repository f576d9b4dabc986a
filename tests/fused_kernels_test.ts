/**
 * The fused wasm kernels (lib/kernels/) equal the composite ops they replace
 * (lib/model/ops.ts with the fused path off, same wasm backend): value and
 * every gradient of LayerNorm, RMSNorm, GELU, the attention core (softmax
 * gradient) and softmax cross-entropy, and whole-model logits, loss and
 * gradients of both families. Tolerances are float32 error bounds of the two
 * evaluation orders, elementwise, argued per case (u = 2^-24).
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/backend.ts";
import { fusedKernelsActive, setFusedKernels } from "../lib/kernels/fused.ts";
import {
  affine,
  attentionCore,
  embed,
  geluOp,
  layerNormOp,
  rmsNormOp,
  softmaxCrossEntropy,
} from "../lib/model/ops.ts";
import { causalMask } from "../lib/model/transformer.ts";
import { makeRng } from "../lib/rng.ts";
import { logitsLossGrads, SMALL_FAMILIES } from "./small_families.ts";
import { initParams } from "../lib/model/params.ts";
import { createModel } from "../lib/model/model.ts";

await initBackend("wasm");
const U = 2 ** -24;

function host(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: n }, () => offset + (rng.next() * 2 - 1) * scale);
}

/** Runs f with the fused kernels on, then off; returns [fused, composite] host arrays. */
function both(f: () => tf.Tensor[]): [Float32Array[], Float32Array[]] {
  const run = (on: boolean) => {
    setFusedKernels(on);
    try {
      const ts = tf.tidy(f);
      const out = ts.map((t) => t.dataSync() as Float32Array);
      tf.dispose(ts);
      return out;
    } finally {
      setFusedKernels(true);
    }
  };
  return [run(true), run(false)];
}

/** |got - want| <= tol[i] elementwise (tol from a float32 error bound), worst case reported. */
function assertWithin(got: Float32Array, want: Float32Array, tol: ArrayLike<number>, what: string) {
  assert.equal(got.length, want.length, `${what}: length`);
  let worst = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    const r = Math.abs(got[i] - want[i]) / (tol[i] + 1e-30);
    if (!(r <= worst)) worst = r, at = i;
  }
  assert(
    worst <= 1,
    `${what}: |diff| ${Math.abs(got[at] - want[at])} > tol ${tol[at]} at ${at} (${got[at]} vs ${
      want[at]
    })`,
  );
}

Deno.test("fused kernels are on for wasm and off for cpu", async () => {
  assert.equal(fusedKernelsActive(), true);
  await tf.setBackend("cpu");
  assert.equal(fusedKernelsActive(), false);
  await tf.setBackend("wasm");
});

const N = 48, E = 64;

/**
 * LayerNorm / RMSNorm: both paths sum E terms for the row statistics (error
 * <= E u relative to the row's magnitude) and round a handful of times after,
 * so elementwise error <= (2E + 10) u times the row scale: max|xhat| |w| +
 * |b| for y, rstd (max|g| (1 + max|xhat|^2)) for dx; the weight and bias
 * gradients sum N rows: (N + 10) u times the sum of |terms|.
 */
function normCase(rms: boolean) {
  const x = tf.tensor2d(host(N * E, 1, 2, 0.5), [N, E]), w = tf.tensor1d(host(E, 2, 1, 1));
  const b = tf.tensor1d(host(E, 3, 0.5)), r = tf.tensor2d(host(N * E, 4), [N, E]);
  const op = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) =>
    rms
      ? rmsNormOp(xi as tf.Tensor2D, wi as tf.Tensor1D, 1e-6)
      : layerNormOp(xi as tf.Tensor2D, wi as tf.Tensor1D, bi as tf.Tensor1D, 1e-5);
  const [f, c] = both(() => {
    const y = op(x, w, b);
    const loss = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(op(xi, wi, bi), r));
    return [
      y,
      ...(rms ? tf.grads((xi, wi) => loss(xi, wi, b))([x, w]) : tf.grads(loss)([x, w, b])),
    ];
  });
  const X = x.dataSync() as Float32Array,
    W = w.dataSync() as Float32Array,
    B = b.dataSync() as Float32Array,
    R = r.dataSync() as Float32Array;
  const tolY = new Float64Array(N * E), tolDx = new Float64Array(N * E);
  const sumW = new Float64Array(E), sumB = new Float64Array(E);
  for (let i = 0; i < N; i++) {
    const row = X.subarray(i * E, (i + 1) * E);
    const mu = rms ? 0 : row.reduce((a, v) => a + v, 0) / E;
    const rstd = 1 / Math.sqrt(row.reduce((a, v) => a + (v - mu) ** 2, 0) / E + 1e-5);
    let mxh = 0, mg = 0;
    for (let j = 0; j < E; j++) {
      mxh = Math.max(mxh, Math.abs((row[j] - mu) * rstd));
      mg = Math.max(mg, Math.abs(R[i * E + j] * W[j]));
    }
    for (let j = 0; j < E; j++) {
      tolY[i * E + j] = (2 * E + 10) * U * (mxh * Math.abs(W[j]) + (rms ? 0 : Math.abs(B[j])));
      tolDx[i * E + j] = (2 * E + 10) * U * rstd * mg * (1 + mxh * mxh);
      sumW[j] += Math.abs(R[i * E + j] * (row[j] - mu) * rstd), sumB[j] += Math.abs(R[i * E + j]);
    }
  }
  const what = rms ? "RMSNorm" : "LayerNorm";
  assertWithin(f[0], c[0], tolY, `${what} y`);
  assertWithin(f[1], c[1], tolDx, `${what} dx`);
  assertWithin(f[2], c[2], sumW.map((s) => (N + 10) * U * s + 1e-7), `${what} dw`);
  if (!rms) assertWithin(f[3], c[3], sumB.map((s) => (N + 10) * U * s + 1e-7), `${what} db`);
  tf.dispose([x, w, b, r]);
}

Deno.test("fused LayerNorm: value, dx, dw and db equal the composite op", () => normCase(false));
Deno.test("fused RMSNorm: value, dx and dw equal the composite op", () => normCase(true));

Deno.test("fused GELU: value and gradient equal the composite op", () => {
  const x = tf.tensor1d(host(4096, 5, 6)), r = tf.tensor1d(host(4096, 6));
  const [f, c] = both(() => [geluOp(x), tf.grad((xi) => tf.sum(tf.mul(geluOp(xi), r)))(x)]);
  // Both evaluate s = sigmoid(2u) with the same kernel; the composite then
  // rounds t = 2s - 1 (absolute error u) and 1 + t, so y differs by <= 4 u |x|
  // (plus a few u |y|), and the gradient by <= 8 u |dy| (1 + |x| c (1 + 3a x^2)).
  const X = x.dataSync() as Float32Array,
    R = r.dataSync() as Float32Array,
    C = Math.sqrt(2 / Math.PI);
  const tolY = Array.from(X, (v) => 6 * U * Math.abs(v) + 1e-30);
  const tolD = Array.from(
    X,
    (v, i) => 8 * U * Math.abs(R[i]) * (1 + Math.abs(v) * C * (1 + 0.134145 * v * v)),
  );
  assertWithin(f[0], c[0], tolY, "GELU y");
  assertWithin(f[1], c[1], tolD, "GELU dx");
  tf.dispose([x, r]);
});

Deno.test("fused softmax gradient: attentionCore's value and q, k, v gradients equal the composite's", () => {
  const G = 6, T = 12, d = 8;
  const q = tf.tensor3d(host(G * T * d, 7, 1.5), [G, T, d]);
  const k = tf.tensor3d(host(G * T * d, 8, 1.5), [G, T, d]);
  const v = tf.tensor3d(host(G * T * d, 9), [G, T, d]),
    r = tf.tensor3d(host(G * T * d, 10), [G, T, d]);
  const mask = causalMask(T);
  const loss = (qi: tf.Tensor, ki: tf.Tensor, vi: tf.Tensor) =>
    tf.sum(tf.mul(attentionCore(qi as tf.Tensor3D, ki as tf.Tensor3D, vi as tf.Tensor3D, mask), r));
  const [f, c] = both(() => [
    attentionCore(q, k, v, mask),
    ...tf.grads(loss)([q, k, v]),
  ]);
  // The forward is the same kernels on both paths: bit-identical. The
  // gradients differ only in dS = p (dP - sum_k dP_k p_k): a T-term sum (error
  // <= (T + 4) u sum|dP p|) then the products through q, k (each d or T terms):
  // bound (T + d + 8) u times the same products with |.|, from the composite's.
  assert.deepEqual(f[0], c[0], "attention forward");
  for (let i = 1; i < 4; i++) {
    const ref = c[i];
    let mx = 0;
    for (const a of ref) mx = Math.max(mx, Math.abs(a));
    // Componentwise |.| products are not available from the op; the bound is
    // taken relative to the gradient's largest entry (each entry is a sum of
    // at most T d terms of that size).
    assertWithin(
      f[i],
      ref,
      new Float64Array(ref.length).fill((T + d + 8) * U * mx * 4),
      `attention d${"qkv"[i - 1]}`,
    );
  }
  tf.dispose([q, k, v, r, mask]);
});

Deno.test("fused softmax cross-entropy: loss and gradient equal the composite op", () => {
  const Nr = 40, V = 96;
  const logits = tf.tensor2d(host(Nr * V, 11, 8), [Nr, V]);
  const targets = tf.tensor1d(Array.from({ length: Nr }, (_, i) => (i * 37) % V), "int32");
  const [f, c] = both(() => [
    softmaxCrossEntropy(logits, targets),
    tf.grad((l) => softmaxCrossEntropy(l as tf.Tensor2D, targets))(logits),
  ]);
  // Both paths sum V exponentials per row (log-sum-exp error <= (V + 8) u
  // |lse|), the loss averages N rows: (V + N + 16) u (mean|lse| + mean|l_t|);
  // each gradient entry (p - onehot)/N has relative error <= (V + 8) u in p.
  const L = logits.dataSync() as Float32Array;
  let scale = 0;
  for (let i = 0; i < Nr; i++) {
    const row = L.subarray(i * V, (i + 1) * V);
    const mx = Math.max(...row);
    scale += Math.abs(mx + Math.log(row.reduce((a, v) => a + Math.exp(v - mx), 0)));
    scale += Math.abs(row[(i * 37) % V]);
  }
  assertWithin(f[0], c[0], [(V + Nr + 16) * U * (scale / Nr)], "cross-entropy loss");
  const tolG = Array.from(
    c[1],
    (g, i) =>
      (V + 8) * U * (Math.abs(g) + ((i % V) === ((Math.floor(i / V) * 37) % V) ? 1 / Nr : 0)) +
      1e-12,
  );
  assertWithin(f[1], c[1], tolG, "cross-entropy gradient");
  tf.dispose([logits, targets]);
});

Deno.test("fused affine (bias added by the BLAS product): value and gradients equal the composite op", () => {
  const Nr = 30, K = 20, M = 12;
  const x = tf.tensor2d(host(Nr * K, 14), [Nr, K]), w = tf.tensor2d(host(K * M, 15), [K, M]);
  const b = tf.tensor1d(host(M, 16, 3)), r = tf.tensor2d(host(Nr * M, 17), [Nr, M]);
  const loss = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) =>
    tf.sum(tf.mul(affine(xi as tf.Tensor2D, wi as tf.Tensor2D, bi as tf.Tensor1D), r));
  const [f, c] = both(() => [affine(x, w, b), ...tf.grads(loss)([x, w, b])]);
  // The value sums K products and the bias in another order: <= (K + 2) u
  // (sum_k |x_ik w_kj| + |b_j|); the gradients are the same products on both paths.
  const X = x.dataSync() as Float32Array, W = w.dataSync() as Float32Array;
  const B = b.dataSync() as Float32Array, tol = new Float64Array(Nr * M);
  for (let i = 0; i < Nr; i++) {
    for (let j = 0; j < M; j++) {
      let s = Math.abs(B[j]);
      for (let k = 0; k < K; k++) s += Math.abs(X[i * K + k] * W[k * M + j]);
      tol[i * M + j] = (K + 2) * U * s;
    }
  }
  assertWithin(f[0], c[0], tol, "affine value");
  for (let i = 1; i < 4; i++) assert.deepEqual(f[i], c[i], `affine gradient ${i}`);
  tf.dispose([x, w, b, r]);
});

Deno.test("fused embedding: rows and the table gradient equal the composite op; a bad id throws", () => {
  const V = 10, E = 6, Nr = 40;
  const table = tf.tensor2d(host(V * E, 12), [V, E]), r = tf.tensor2d(host(Nr * E, 13), [Nr, E]);
  const ids = tf.tensor1d(Array.from({ length: Nr }, (_, i) => (i * 3) % 7), "int32");
  const [f, c] = both(() => [
    embed(ids, table),
    tf.grad((t) => tf.sum(tf.mul(embed(ids, t as tf.Tensor2D), r)))(table),
  ]);
  // Rows are copies: exact. Each gradient row sums the same <= Nr values in
  // another order: <= Nr u sum|r| over its rows.
  assert.deepEqual(f[0], c[0]);
  const R = r.dataSync() as Float32Array, sums = new Float64Array(V * E);
  for (let i = 0; i < Nr; i++) {
    for (let j = 0; j < E; j++) sums[((i * 3) % 7) * E + j] += Math.abs(R[i * E + j]);
  }
  assertWithin(f[1], c[1], sums.map((s) => Nr * U * s), "embedding gradient");
  const bad = tf.tensor1d([1, 10], "int32");
  assert.throws(() => embed(bad, table), /token id 10 at position 1 is not in \[0, 9\]/);
  tf.dispose([table, r, ids, bad]);
});

for (const [label, cfg] of SMALL_FAMILIES) {
  Deno.test(`${label}: logits, loss and every parameter gradient equal the composite path's`, async () => {
    const run = async (on: boolean) => {
      setFusedKernels(on);
      try {
        const B = 2, T = cfg.maxPositions, V = cfg.vocabSize;
        const ids = tf.tensor2d(
          Array.from({ length: B * T }, (_, i) => (i * 7) % V),
          [B, T],
          "int32",
        );
        const tg = tf.tensor1d(Array.from({ length: B * T }, (_, i) => (i * 11 + 3) % V), "int32");
        return await logitsLossGrads(createModel(cfg, initParams(cfg, 3)), ids, tg);
      } finally {
        setFusedKernels(true);
      }
    };
    const fused = await run(true), comp = await run(false);
    {
      // Whole-model tolerance as tests/ops_test.ts argues it for wasm vs cpu
      // (2e-4 of each tensor's largest entry): the per-op bounds above
      // compound through 2 layers and the head.
      const close = (a: Float32Array, b: Float32Array, what: string) => {
        let mx = 0;
        for (const v of b) mx = Math.max(mx, Math.abs(v));
        assertWithin(a, b, new Float64Array(b.length).fill(2e-4 * mx + 1e-7), what);
      };
      close(fused.logits, comp.logits, "logits");
      close(Float32Array.of(fused.loss), Float32Array.of(comp.loss), "loss");
      for (const [name, g] of comp.grads) close(fused.grads.get(name)!, g, `grad ${name}`);
    }
  });
}
