// Injected noise has the requested power and depends on the seed; the symmetry
// report sees copies; singular values are right on matrices with known spectra.
import assert from "node:assert/strict";
import { defaultConfig, type Family } from "../lib/model/config.ts";
import { initParams } from "../lib/model/params.ts";
import { hostTensor } from "../lib/tensor_map.ts";
import { makeRng } from "../lib/rng.ts";
import {
  cloneParams,
  noiselessVariant,
  noiseSource,
  noisySymmetric,
  repeatAxis,
  singularValues,
  symmetric,
  symmetryReport,
  symmetrySummary,
  tileLinear,
} from "../lib/clone/mod.ts";

function cfgOf(family: Family) {
  return defaultConfig(family, {
    hiddenSize: 32,
    numHeads: 4,
    numKvHeads: family === "llama" ? 2 : 4,
    vocabSize: 64,
  });
}

const MATRIX = {
  gpt2: "transformer.h.0.mlp.c_fc.weight",
  llama: "model.layers.0.mlp.up_proj.weight",
};

for (const family of ["gpt2", "llama"] as const) {
  for (const variant of ["noisy-symmetric", "noisy-diagonal"] as const) {
    Deno.test(`${family} ${variant}: measured SNR of the injected noise is the requested one within 5%`, () => {
      const cfg = cfgOf(family);
      const src = initParams(cfg, 2);
      const W = src.get(MATRIX[family])!.data;
      let wSq = 0;
      for (const x of W) wSq += x * x;
      wSq /= W.length;
      for (const n of [2, 4]) {
        for (const snrDb of [10, 0, 20]) {
          const opts = { width: n, ffn: n, snrDb, seed: 5 };
          const noisy =
            cloneParams(cfg, src, { ...opts, variant }).params.get(MATRIX[family])!.data;
          const clean = cloneParams(cfg, src, { ...opts, variant: noiselessVariant(variant) })
            .params.get(MATRIX[family])!.data;
          let nSq = 0;
          for (let i = 0; i < noisy.length; i++) nSq += (noisy[i] - clean[i]) ** 2;
          nSq /= noisy.length; // every block is in a pair when n is even
          // Reference block: W / n (symmetric) or W (the diagonal block).
          const ref = variant === "noisy-symmetric" ? wSq / (n * n) : wSq;
          const measured = 10 * Math.log10(ref / nSq);
          assert.ok(
            Math.abs(measured - snrDb) <= 0.05 * Math.max(Math.abs(snrDb), 10),
            `n ${n}: measured ${measured.toFixed(3)} dB, asked ${snrDb} dB`,
          );
        }
      }
    });
  }
}

Deno.test("noise depends on the seed and only on it", () => {
  const cfg = cfgOf("llama");
  const src = initParams(cfg, 2);
  const a = cloneParams(cfg, src, { width: 2, seed: 1 }).params.get(MATRIX.llama)!.data;
  const a2 = cloneParams(cfg, src, { width: 2, seed: 1 }).params.get(MATRIX.llama)!.data;
  const b = cloneParams(cfg, src, { width: 2, seed: 2 }).params.get(MATRIX.llama)!.data;
  assert.deepStrictEqual(a2, a);
  let differ = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differ++;
  assert.ok(differ > 0.99 * a.length, `${differ} of ${a.length} values differ`);
});

Deno.test("odd width: each row's last input copy stays noise-free and the noise still cancels", () => {
  const w = hostTensor([2, 3], new Float32Array([1, -2, 3, 0.5, 4, -1]));
  const t = { layout: "out_in" as const, out: repeatAxis(2, 3), in: repeatAxis(3, 3) };
  const clean = tileLinear(w, t, symmetric, noiseSource(0, "w", 6, 10));
  const tiled = tileLinear(w, t, noisySymmetric, noiseSource(0, "w", 6, 10));
  const I2 = 9;
  for (let r = 0; r < 6; r++) {
    // Last copy (columns 6..8) equals the clean one.
    for (let c = 6; c < 9; c++) assert.equal(tiled.data[r * I2 + c], clean.data[r * I2 + c]);
    // Copies 0 and 1 differ from clean, by opposite amounts.
    for (let c = 0; c < 3; c++) {
      const d0 = tiled.data[r * I2 + c] - clean.data[r * I2 + c];
      const d1 = tiled.data[r * I2 + c + 3] - clean.data[r * I2 + c + 3];
      assert.ok(d0 !== 0);
      assert.ok(Math.abs(d0 + d1) < 1e-6);
    }
  }
});

Deno.test("symmetry: a symmetric clone has cosine 1 everywhere, a noisy one below 1 where noise went", () => {
  for (const family of ["gpt2", "llama"] as const) {
    const cfg = cfgOf(family);
    const src = initParams(cfg, 3);
    for (const heads of ["more", "wider"] as const) {
      const sym = cloneParams(cfg, src, { width: 2, variant: "symmetric", heads });
      for (const e of symmetryReport(sym.config, sym.params, { width: 2, heads })) {
        assert.ok(
          Math.abs(e.meanCosine - 1) < 1e-6,
          `${family} ${heads} ${e.name}: ${e.meanCosine}`,
        );
      }
      const noisy = cloneParams(cfg, src, {
        width: 2,
        variant: "noisy-symmetric",
        snrDb: 10,
        heads,
      });
      const rep = symmetryReport(noisy.config, noisy.params, { width: 2, heads });
      for (const e of rep) {
        if (/wte|wpe|embed_tokens/.test(e.name)) {
          assert.ok(Math.abs(e.meanCosine - 1) < 1e-6, e.name); // embeddings get no noise
        } else {
          assert.ok(e.meanCosine < 0.95, `${family} ${heads} ${e.name}: ${e.meanCosine}`);
        }
      }
      // [W/2 + N1, W/2 - N1] vs [W/2 + N2, W/2 - N2]: cos = 1 / (1 + 10^(-1)) for rows,
      // (1 - 0.1) / (1 + 0.1) for columns, on a large matrix.
      const big = rep.find((e) => e.name === MATRIX[family])!;
      assert.ok(Math.abs(big.outCosine! - 1 / 1.1) < 0.02, `rows ${big.outCosine}`);
      assert.ok(Math.abs(big.inCosine! - 0.9 / 1.1) < 0.02, `columns ${big.inCosine}`);
      const summary = symmetrySummary(noisy.config, noisy.params, { width: 2, heads });
      assert.deepStrictEqual(
        summary.map((s) => s.layer),
        ["embed", "layer 0", "layer 1", "head"]
          .filter((l) => l !== "head" || !noisy.config.tieWordEmbeddings),
      );
      for (const s of summary.slice(1)) {
        assert.ok(s.meanCosine < 0.95, `${s.layer} ${s.meanCosine}`);
      }
    }
  }
});

Deno.test("singular values of diagonal, rank-1 and symmetric-clone matrices", () => {
  const close = (a: number, b: number, tol: number) =>
    assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
  // diag(3, -2, 1, 0.5) inside a 4 x 6 matrix.
  const d = hostTensor([4, 6]);
  [3, -2, 1, 0.5].forEach((v, i) => d.data[i * 6 + i] = v);
  const sd = singularValues(d);
  [3, 2, 1, 0.5].forEach((v, i) => close(sd[i], v, 1e-12));
  // Rank 1: u v^T has one value |u| |v|, the rest zero (up to Gram rounding).
  const rng = makeRng(4);
  const u = Array.from({ length: 7 }, () => rng.normal());
  const v = Array.from({ length: 5 }, () => rng.normal());
  const r1 = hostTensor([7, 5]);
  for (let i = 0; i < 7; i++) for (let j = 0; j < 5; j++) r1.data[i * 5 + j] = u[i] * v[j];
  const s1 = singularValues(r1);
  assert.equal(s1.length, 5);
  const norm = Math.hypot(...u) * Math.hypot(...v);
  close(s1[0], norm, 1e-5 * norm);
  for (let k = 1; k < 5; k++) close(s1[k], 0, 1e-6 * norm);
  // A random matrix: sum of squares of the singular values = squared Frobenius norm, sorted.
  const m = hostTensor([40, 24]);
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng.normal();
  const sm = singularValues(m);
  let fro = 0;
  for (const x of m.data) fro += x * x;
  close(sm.reduce((a, s) => a + s * s, 0), fro, 1e-9 * fro);
  for (let k = 1; k < sm.length; k++) assert.ok(sm[k] <= sm[k - 1]);
  // Symmetric 2 x 2 clone T(W)/2: the values of W, then as many zeros.
  const w = hostTensor([24, 40], new Float32Array(m.data));
  const t = tileLinear(
    w,
    { layout: "out_in", out: repeatAxis(24, 2), in: repeatAxis(40, 2) },
    symmetric,
    noiseSource(0, "w", 0, 10),
  );
  const st = singularValues(t);
  const sw = singularValues(w);
  for (let k = 0; k < 24; k++) close(st[k], sw[k], 1e-5 * sw[0]);
  for (let k = 24; k < 48; k++) close(st[k], 0, 1e-6 * sw[0]);
});
