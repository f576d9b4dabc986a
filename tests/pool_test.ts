/**
 * The fused kernels' helper threads (lib/kernels/pool.ts): a training step
 * gives the same bits with them as on the main thread alone (every task
 * reaches a helper), parts tile the range, and helpers see the heap after
 * it grows.
 */
import assert from "node:assert/strict";
import { parallelFor, partEnd, poolStarted, startPool, stopPool } from "../lib/kernels/pool.ts";
import { compileSimd, instantiateSimd } from "../lib/kernels/simd.ts";
import { type Heap, type TaskName, TASKS } from "../lib/kernels/tasks.ts";
import { makeRng } from "../lib/rng.ts";

Deno.test("a training step of both families gives the same bits with two threads and SIMD loops as with the JS loops on one thread", async () => {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tests/pool_bits.ts"],
    env: { HC_THREADS: "2", HC_BACKEND: "wasm" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(r.stderr);
  assert.equal(r.code, 0, err);
  const out = JSON.parse(new TextDecoder().decode(r.stdout).trim().split("\n").at(-1)!);
  assert.equal(out.threads, 2, `the helper thread did not start: ${err}`);
  assert.equal(out.simd, true, `the SIMD kernels did not compile: ${err}`);
  assert.ok(out.compared >= 200, `compared only ${out.compared} outputs`);
  assert.deepEqual(out.differing, []);
  const tasks = [
    "layerNorm",
    "layerNormGrad",
    "rmsNorm",
    "rmsNormGrad",
    "geluArg",
    "geluGrad",
    "sumSquares",
    "adamwUpdate",
    "add",
    "mul",
  ];
  // Products and the attention tasks split only with native BLAS (they call sgemm).
  if (!/HC_BLAS=off/.test(Deno.env.get("HC_BLAS") ?? "")) {
    tasks.push("sgemmRows", "attnScores", "attnPV", "attnDS", "attnGrads");
  }
  for (const t of tasks) {
    assert.ok(out.split[t] > 0, `${t} never reached the helper: ${JSON.stringify(out.split)}`);
  }
});

Deno.test("parts tile [0, n) in order, each within one unit of n / parts", () => {
  for (const n of [0, 1, 2, 7, 64, 1001]) {
    for (const parts of [1, 2, 3, 8]) {
      let start = 0;
      for (let i = 0; i < parts; i++) {
        const end = partEnd(n, parts, i);
        assert.ok(end >= start && end - start <= Math.ceil(n / parts), `n ${n}, ${parts} parts`);
        start = end;
      }
      assert.equal(start, n);
    }
  }
});

Deno.test("a helper computes its part on the shared heap, also after the heap grew", async () => {
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 64, shared: true });
  assert.equal(startPool(memory, 1, null), true);
  try {
    assert.equal(await poolStarted(), 2);
    const check = (x: number, n: number) => {
      const f = new Float32Array(memory.buffer);
      for (let i = 0; i < n; i++) f[x + i] = (i % 97) / 10 - 4;
      parallelFor(memory, "geluArg", [x, x + n], 1, n); // u2 right after x
      const c = 2 * Math.sqrt(2 / Math.PI);
      for (const i of [0, n / 2 - 1, n / 2, n - 1]) {
        const v = f[x + i];
        assert.equal(f[x + n + i], Math.fround(c * v + c * 0.044715 * v * v * v), `element ${i}`);
      }
    };
    check(0, 1 << 16);
    const old = memory.buffer.byteLength / 4;
    memory.grow(16);
    check(old, 1 << 16); // entirely in the new pages
  } finally {
    await stopPool();
  }
});

Deno.test("SIMD loops equal the JS loops bit for bit at odd sizes (row tails, odd element counts, causal zeros, AdamW)", async () => {
  const bins = await compileSimd();
  assert.ok(bins, "the SIMD kernels did not compile");
  const memory = new WebAssembly.Memory({ initial: 64 });
  const simd = instantiateSimd(bins, memory);
  const buf = memory.buffer;
  const heap = (on: boolean): Heap => ({
    f32: new Float32Array(buf),
    f64: new Float64Array(buf),
    scratch: new Float64Array(16),
    simd: on ? simd : null,
  });
  const F = new Float32Array(buf);
  const rng = makeRng(7);
  const fill = (at: number, n: number, scale = 2) => {
    for (let i = 0; i < n; i++) F[at + i] = (rng.next() * 2 - 1) * scale;
  };
  // Runs a task both ways on the same inputs; returns [SIMD, JS] copies of the output range.
  const both = (task: TaskName, a: number[], n: number, out: [number, number]) => {
    const res = [true, false].map((on) => {
      F.fill(0, out[0], out[0] + out[1]);
      TASKS[task](heap(on), Float64Array.from(a), 0, n);
      return F.slice(out[0], out[0] + out[1]);
    });
    const bits = (x: Float32Array) => [...new Uint32Array(x.buffer)];
    assert.deepEqual(bits(res[0]), bits(res[1]), `${task}, ${JSON.stringify(a.slice(-4))}`);
  };
  for (const E of [1, 2, 3, 5, 7, 8, 33]) {
    const N = 5, x = 0, w = 4096, b = 8192, y = 12288, mean = 16384, rstd = 16400, dy = 20480;
    fill(x, N * E, 3), fill(w, E), fill(b, E), fill(dy, N * E);
    both("layerNorm", [x, w, b, y, mean, rstd, E, 1e-5], N, [y, N * E]);
    TASKS.layerNorm(heap(false), Float64Array.from([x, w, b, y, mean, rstd, E, 1e-5]), 0, N);
    // dx lands in y's place; the float64 sums (2 chunks) right after it.
    const acc = (y + 2 * N * E + 8) >> 1;
    both("layerNormGrad", [dy, x, w, mean, rstd, y, E, N, 2, acc], 2, [
      y,
      2 * N * E + 4 * 2 * E + 8,
    ]);
  }
  for (const n of [1, 2, 3, 17, 1001]) {
    fill(0, n, 4), fill(4096, n), fill(8192, n, 0.5);
    both("geluArg", [0, 12288], n, [12288, n]);
    both("geluGrad", [4096, 0, 8192, 12288], n, [12288, n]);
  }
  for (const n of [1, 3, 8, 101]) {
    // One tensor: p, g, m, v at 0, 4096, 8192, 12288 (v >= 0); p', m', v' at 16384, 20480, 24576.
    fill(0, n), fill(4096, n, 3), fill(8192, n, 0.1), fill(12288, n, 0.01);
    for (let i = 0; i < n; i++) F[12288 + i] = Math.abs(F[12288 + i]);
    const a = [0.5, 0.9, 0.95, Math.sqrt(1 - 0.95 ** 3), 1e-3 / (1 - 0.9 ** 3), 1e-8];
    a.push(0, 4096, 8192, 12288, 16384, 20480, 24576, n, 1 - 1e-3 * 0.1);
    both("adamwUpdate", a, 1, [16384, 3 * 4096]);
    const sums = [true, false].map((on) => {
      const h = heap(on);
      TASKS.sumSquares(h, Float64Array.from(a), 0, 1);
      return h.scratch[0];
    });
    assert.equal(sums[0], sums[1], `sumSquares, n = ${n}`);
  }
  for (const C of [1, 2, 5, 9, 128]) {
    const rows = 6, p = 0, dp = 4096, ds = 8192;
    fill(p, rows * C, 1), fill(dp, rows * C);
    for (let r = 0; r < rows; r++) F.fill(0, p + r * C + Math.min(C, r + 1), p + (r + 1) * C); // causal
    both("softmaxGrad", [p, dp, ds, C], rows, [ds, rows * C]);
  }
});
