/**
 * The fused AdamW (one update over the concatenation of all parameters)
 * against the per-tensor formula it replaces, on cpu and on wasm: same
 * parameters and moments after several steps with clipping and weight decay,
 * a parameter without a gradient left alone, and far fewer kernels.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/backend.ts";
import { type AdamWConfig, adamwStep, createAdamW, disposeAdamW } from "../lib/train/adamw.ts";
import { makeRng } from "../lib/rng.ts";

await initBackend("wasm");

/** The per-tensor AdamW this kit used before the fused one (PyTorch's order). */
function referenceStep(
  vars: Map<string, tf.Variable>,
  grads: tf.NamedTensorMap,
  m: Map<string, tf.Variable>,
  v: Map<string, tf.Variable>,
  t: number,
  lr: number,
  c: AdamWConfig,
) {
  const bc1 = 1 - Math.pow(c.beta1, t), bc2 = 1 - Math.pow(c.beta2, t);
  tf.tidy(() => {
    const sums = Object.values(grads).map((g) => tf.sum(tf.square(g)));
    const norm = tf.sqrt(sums.reduce((a, b) => tf.add(a, b)));
    const scale = c.gradClip > 0
      ? tf.minimum(1, tf.div(c.gradClip, tf.add(norm, 1e-6)))
      : tf.scalar(1);
    for (const [name, p] of vars) {
      const g0 = grads[name];
      if (!g0) continue;
      const g = tf.mul(g0, scale);
      const mi = m.get(name)!, vi = v.get(name)!;
      mi.assign(tf.add(tf.mul(mi, c.beta1), tf.mul(g, 1 - c.beta1)));
      vi.assign(tf.add(tf.mul(vi, c.beta2), tf.mul(tf.square(g), 1 - c.beta2)));
      const decayed = p.rank >= 2 && c.weightDecay > 0 ? tf.mul(p, 1 - lr * c.weightDecay) : p;
      const denom = tf.add(tf.div(tf.sqrt(vi), Math.sqrt(bc2)), c.eps);
      p.assign(tf.sub(decayed, tf.mul(tf.div(mi, denom), lr / bc1)));
    }
  });
}

const SHAPES: [string, number[]][] = [["w", [6, 5]], ["b", [5]], ["e", [4, 3]], ["n", [3]], [
  "frozen",
  [2, 2],
]];

function data(n: number, seed: number, scale: number) {
  const r = makeRng(seed);
  return Float32Array.from({ length: n }, () => (r.next() * 2 - 1) * scale);
}

function makeVars() {
  return new Map(
    SHAPES.map((
      [n, s],
      i,
    ) => [n, tf.variable(tf.tensor(data(s.reduce((a, b) => a * b), i + 1, 1), s))]),
  );
}

// Gradients large enough that clipping (norm > 1) happens on some steps.
function gradsAt(step: number): tf.NamedTensorMap {
  const g: tf.NamedTensorMap = {};
  SHAPES.forEach(([n, s], i) => {
    if (n !== "frozen") {
      g[n] = tf.tensor(data(s.reduce((a, b) => a * b), 100 * step + i, step % 2 ? 2 : 0.05), s);
    }
  });
  return g;
}

const cfg: AdamWConfig = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1 };

// Both compute each element with the same float32 operations in the same
// order; only the global norm's sum differs in grouping (one sum over 70
// squares vs per-tensor sums then adds), ~1e-7 relative, which moves the clip
// scale and so the moments by ~1e-7 relative; Adam's m/sqrt(v) is nearly
// scale-free, so parameters move less. Over 6 steps: 1e-6 of each tensor's
// largest entry for parameters and moments.
for (const backend of ["cpu", "wasm"]) {
  Deno.test(`${backend}: fused AdamW equals the per-tensor formula over 6 steps (clipping, decay, a frozen tensor)`, async () => {
    await tf.setBackend(backend);
    const a = makeVars(), b = makeVars();
    const st = createAdamW(a);
    const ref = createAdamW(b);
    const before = await a.get("frozen")!.data();
    for (let step = 1; step <= 6; step++) {
      const g = gradsAt(step);
      const norm = adamwStep(a, g, st, 1e-2 * step, cfg);
      referenceStep(b, g, ref.m, ref.v, step, 1e-2 * step, cfg);
      norm.dispose();
      tf.dispose(Object.values(g));
    }
    assert.equal(st.step, 6);
    const close = async (x: tf.Tensor, y: tf.Tensor, what: string) => {
      const xs = await x.data(), ys = await y.data();
      let ref = 0, diff = 0;
      for (let i = 0; i < ys.length; i++) {
        ref = Math.max(ref, Math.abs(ys[i]));
        diff = Math.max(diff, Math.abs(xs[i] - ys[i]));
      }
      assert(diff <= 1e-6 * ref, `${what}: max diff ${diff}, max |ref| ${ref}`);
    };
    for (const [n] of SHAPES) {
      await close(a.get(n)!, b.get(n)!, `param ${n}`);
      if (n === "frozen") continue;
      await close(st.m.get(n)!, ref.m.get(n)!, `m ${n}`);
      await close(st.v.get(n)!, ref.v.get(n)!, `v ${n}`);
    }
    assert.deepEqual(
      await a.get("frozen")!.data(),
      before,
      "a parameter without a gradient changed",
    );
    disposeAdamW(st);
    disposeAdamW(ref);
    tf.dispose([...a.values(), ...b.values()]);
  });
}

Deno.test("fused AdamW: weight decay shrinks matrices only, and no memory is left behind", async () => {
  await tf.setBackend("wasm");
  const vars = makeVars();
  const st = createAdamW(vars);
  const zero: tf.NamedTensorMap = {};
  for (const [n, s] of SHAPES) zero[n] = tf.zeros(s);
  const before = new Map<string, Float32Array>();
  for (const [n, v] of vars) before.set(n, (await v.data()) as Float32Array);
  adamwStep(vars, zero, st, 0.5, { ...cfg, gradClip: 0 }).dispose();
  const tensorsAfterFirst = tf.memory().numTensors;
  adamwStep(vars, zero, st, 0.5, { ...cfg, gradClip: 0 }).dispose();
  assert.equal(tf.memory().numTensors, tensorsAfterFirst, "a step leaks tensors");
  for (const [n, s] of SHAPES) {
    const now = await vars.get(n)!.data(), was = before.get(n)!;
    // Two steps with zero gradients: only decay, (1 - 0.5 * 0.1)^2 for matrices.
    const f = s.length >= 2 ? Math.fround(1 - 0.05) ** 2 : 1;
    for (let i = 0; i < was.length; i++) {
      assert(
        Math.abs(now[i] - was[i] * f) <= 1e-6 * Math.abs(was[i]),
        `${n}[${i}]: ${now[i]} vs ${was[i] * f}`,
      );
    }
  }
  disposeAdamW(st);
  tf.dispose([...vars.values(), ...Object.values(zero)]);
});

Deno.test("fused AdamW runs a few dozen kernels per step, not ~12 per parameter tensor", async () => {
  await tf.setBackend("wasm");
  // 40 tensors: the per-tensor form would run ~500 kernels.
  const vars = new Map(
    Array.from({ length: 40 }, (_, i) => [`p${i}`, tf.variable(tf.ones(i % 2 ? [3, 4] : [4]))]),
  );
  const grads: tf.NamedTensorMap = {};
  for (const [n, v] of vars) grads[n] = tf.onesLike(v);
  const st = createAdamW(vars);
  adamwStep(vars, grads, st, 1e-3, cfg).dispose(); // builds the cached decay mask
  const prof = await tf.profile(() => {
    adamwStep(vars, grads, st, 1e-3, cfg).dispose();
  });
  // Reshapes are free views on wasm; count the kernels that compute or copy.
  const work = prof.kernels.filter((k) => k.name !== "Reshape" && k.name !== "Identity");
  assert(work.length <= 30, `${work.length} kernels: ${work.map((k) => k.name).join(",")}`);
  disposeAdamW(st);
  tf.dispose([...vars.values(), ...Object.values(grads)]);
});
