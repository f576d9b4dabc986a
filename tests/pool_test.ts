/**
 * The fused kernels' helper threads (lib/kernels/pool.ts): a training step
 * gives the same bits with them as on the main thread alone (every task
 * reaches a helper), parts tile the range, and helpers see the heap after
 * it grows.
 */
import assert from "node:assert/strict";
import { parallelFor, partEnd, poolStarted, startPool, stopPool } from "../lib/kernels/pool.ts";

Deno.test("a training step of both families gives the same bits with two threads as with the main thread alone", async () => {
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
  assert.ok(out.compared >= 100, `compared only ${out.compared} outputs`);
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
  ];
  // The attention tasks split only with native BLAS (they call sgemm).
  if (!/HC_BLAS=off/.test(Deno.env.get("HC_BLAS") ?? "")) {
    tasks.push("attnScores", "attnPV", "attnDS", "attnGrads");
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
