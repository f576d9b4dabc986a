/**
 * The native matmul path (cblas_sgemm on the wasm heap) against the XNNPACK
 * path and the cpu backend: every transpose and batch form of `tf.matMul`,
 * and the whole model's logits, loss and every parameter gradient for both
 * families; the switch (`HC_BLAS=off`, a bad `HC_BLAS`) from the CLI.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/backend.ts";
import { blasInfo, coreTypeFromCpuFlags } from "../lib/blas.ts";
import { nativeMatmulActive, setNativeMatmul } from "../lib/native_matmul.ts";
import type { ModelConfig } from "../lib/model/config.ts";
import { logitsLossGrads, SMALL_FAMILIES } from "./small_families.ts";
import { initParams } from "../lib/model/params.ts";
import { createModel } from "../lib/model/model.ts";
import { makeRng } from "../lib/rng.ts";

// This file compares the two paths, so it loads the library even when the
// rest of the suite runs with HC_BLAS=off (subprocesses inherit this too).
Deno.env.delete("HC_BLAS");
const device = await initBackend("wasm");
// CI installs libopenblas0-pthread; without it this file has nothing to test.
if (!blasInfo()) throw new Error(`no CBLAS library loaded (${device.label})`);

function host(n: number, seed: number): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

async function product(
  backend: string,
  native: boolean,
  a: Float32Array,
  sa: number[],
  b: Float32Array,
  sb: number[],
  ta: boolean,
  tb: boolean,
) {
  await tf.setBackend(backend);
  if (backend === "wasm") setNativeMatmul(native);
  const x = tf.tensor(a, sa), y = tf.tensor(b, sb);
  const c = tf.matMul(x, y, ta, tb);
  const out = { shape: c.shape, data: (await c.data()) as Float32Array };
  tf.dispose([x, y, c]);
  return out;
}

/** |A| |B| with the same transposes and batching, computed exactly enough in float64 on the host. */
function absProduct(
  a: Float32Array,
  sa: number[],
  b: Float32Array,
  sb: number[],
  ta: boolean,
  tb: boolean,
): Float64Array {
  const ra = sa.length, rb = sb.length;
  const m = ta ? sa[ra - 1] : sa[ra - 2], k = ta ? sa[ra - 2] : sa[ra - 1];
  const n = tb ? sb[rb - 2] : sb[rb - 1];
  const ga = a.length / (m * k), gb = b.length / (k * n), G = Math.max(ga, gb);
  const out = new Float64Array(G * m * n);
  for (let g = 0; g < G; g++) {
    const oa = (ga === 1 ? 0 : g) * m * k, ob = (gb === 1 ? 0 : g) * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = a[oa + (ta ? p * m + i : i * k + p)],
            bv = b[ob + (tb ? j * k + p : p * n + j)];
          s += Math.abs(av * bv);
        }
        out[g * m * n + i * n + j] = s;
      }
    }
  }
  return out;
}

// Every form the kernel handles: 2-D with all transpose flags, batched with
// the same batch, a single matrix broadcast on either side, rank 4, and k = 0.
const forms: [number[], number[], boolean, boolean][] = [
  [[7, 5], [5, 9], false, false],
  [[5, 7], [5, 9], true, false],
  [[7, 5], [9, 5], false, true],
  [[5, 7], [9, 5], true, true],
  [[3, 6, 4], [3, 4, 5], false, false],
  [[3, 6, 4], [3, 5, 4], false, true],
  [[3, 4, 6], [3, 4, 5], true, false],
  [[3, 4, 6], [3, 5, 4], true, true],
  [[6, 4], [3, 4, 5], false, false],
  [[3, 6, 4], [4, 5], false, false],
  [[2, 3, 6, 4], [2, 3, 5, 4], false, true],
  [[1, 6, 4], [3, 4, 5], false, false],
  [[64, 96], [96, 80], false, false], // 0.5M multiply-adds: one BLAS thread
  [[256, 128], [256, 160], true, false], // 5.2M: all BLAS threads (THREADED_MIN_MACS)
];

// Each entry of either result is a dot product of k float32 terms; any
// summation order is within k*u*sum|a_i b_i| of the exact value (u = 2^-24),
// so two orders differ by at most 2*k*u*(|A||B|)_ij. That bound, elementwise.
Deno.test("tf.matMul natively equals XNNPACK and cpu within 2k*u*|A||B|, every transpose and batch form", async () => {
  let seed = 1;
  for (const [sa, sb, ta, tb] of forms) {
    const a = host(sa.reduce((x, y) => x * y, 1), seed++);
    const b = host(sb.reduce((x, y) => x * y, 1), seed++);
    const nat = await product("wasm", true, a, sa, b, sb, ta, tb);
    const xnn = await product("wasm", false, a, sa, b, sb, ta, tb);
    const cpu = await product("cpu", false, a, sa, b, sb, ta, tb);
    const bound = absProduct(a, sa, b, sb, ta, tb);
    const k = ta ? sa.at(-2)! : sa.at(-1)!;
    const what = `${JSON.stringify(sa)}${ta ? "^T" : ""} x ${JSON.stringify(sb)}${tb ? "^T" : ""}`;
    assert.deepEqual(nat.shape, cpu.shape, `${what}: shape`);
    assert.deepEqual(xnn.shape, cpu.shape, `${what}: XNNPACK shape`);
    for (const [ref, name] of [[xnn.data, "XNNPACK"], [cpu.data, "cpu"]] as const) {
      for (let i = 0; i < ref.length; i++) {
        const tol = 2 * k * 2 ** -24 * bound[i] + 1e-30;
        assert(
          Math.abs(nat.data[i] - ref[i]) <= tol,
          `${what} vs ${name} at ${i}: ${nat.data[i]} vs ${ref[i]} (tol ${tol})`,
        );
      }
    }
  }
  await tf.setBackend("wasm");
  setNativeMatmul(true);
});

Deno.test("a product with k = 0 is all zeros natively, as on cpu", async () => {
  const nat = await product(
    "wasm",
    true,
    new Float32Array(0),
    [3, 0],
    new Float32Array(0),
    [0, 4],
    false,
    false,
  );
  assert.deepEqual(nat.shape, [3, 4]);
  assert.deepEqual([...nat.data], new Array(12).fill(0));
});

async function logitsAndGrads(native: boolean, cfg: ModelConfig) {
  await tf.setBackend("wasm");
  setNativeMatmul(native);
  assert.equal(nativeMatmulActive(), native);
  const p = initParams(cfg, 7);
  // Scaled up so that attention and the MLP are far from identity.
  for (const [name, t] of p) {
    if (!name.includes("norm") && !name.includes("ln_")) {
      for (let i = 0; i < t.data.length; i++) t.data[i] *= 10;
    }
  }
  const model = createModel(cfg, p);
  const B = 3, T = 16, rng = makeRng(3);
  const ids = tf.tensor2d(Int32Array.from({ length: B * T }, () => rng.int(64)), [B, T], "int32");
  const tg = tf.tensor1d(Int32Array.from({ length: B * T }, () => rng.int(64)), "int32");
  return await logitsLossGrads(model, ids, tg);
}

function maxRelDiff(got: Float32Array, want: Float32Array): number {
  let ref = 0, diff = 0;
  for (let i = 0; i < want.length; i++) {
    ref = Math.max(ref, Math.abs(want[i]));
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
  }
  return diff / Math.max(ref, 1e-30);
}

// Same tolerances as tests/ops_test.ts (wasm vs cpu), argued there: both
// paths evaluate the same float32 graph, only the products' summation order
// differs (dot products of <= 64 terms, ~u*sqrt(k) each); the backward pass
// compounds a few per layer: 2e-5 on logits, 2e-4 of each gradient's largest
// entry.
const families = SMALL_FAMILIES;
for (const [label, cfg] of families) {
  Deno.test(`${label}: native BLAS logits, loss and every parameter gradient equal the XNNPACK path's`, async () => {
    const xnn = await logitsAndGrads(false, cfg);
    const nat = await logitsAndGrads(true, cfg);
    assert(
      maxRelDiff(nat.logits, xnn.logits) <= 2e-5,
      `logits ${maxRelDiff(nat.logits, xnn.logits)}`,
    );
    assert(
      Math.abs(nat.loss - xnn.loss) <= 1e-5 * Math.abs(xnn.loss),
      `loss ${nat.loss} vs ${xnn.loss}`,
    );
    assert.deepEqual([...nat.grads.keys()].sort(), [...xnn.grads.keys()].sort());
    for (const [name, g] of xnn.grads) {
      assert(g.some((v) => v !== 0), `${name}: gradient is all zero`);
      const d = maxRelDiff(nat.grads.get(name)!, g);
      assert(d <= 2e-4, `grad ${name}: ${d}`);
    }
    // The two runs really took different paths: not bit-identical everywhere.
    assert(
      nat.logits.some((v, i) => v !== xnn.logits[i]) ||
        [...xnn.grads].some(([n, g]) => g.some((v, i) => v !== nat.grads.get(n)![i])),
      "native and XNNPACK results are bit-identical: was the native path used?",
    );
  });
}

Deno.test("OPENBLAS_CORETYPE from CPU flags: SkylakeX for AVX-512, Haswell for AVX2+FMA, else none", () => {
  assert.equal(
    coreTypeFromCpuFlags("flags\t\t: fpu avx2 fma avx512f avx512dq avx512bw avx512vl\n"),
    "SkylakeX",
  );
  assert.equal(coreTypeFromCpuFlags("flags\t\t: fpu sse4_2 avx avx2 fma\n"), "Haswell");
  assert.equal(coreTypeFromCpuFlags("flags\t\t: fpu sse4_2 avx\n"), undefined);
  assert.equal(coreTypeFromCpuFlags("Features\t: neon\n"), undefined);
});

Deno.test("hc bench names the native path and its threads in the device label (--threads 1 too); HC_BLAS=off or no library names XNNPACK (one line says why); a bad HC_BLAS exits 2", async () => {
  const run = async (env: Record<string, string>, extra: string[] = []) => {
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "lib/cli/main.ts",
        "bench",
        "--preset",
        "tiny",
        "--steps",
        "1",
        "--warmup",
        "0",
        ...extra,
      ],
      env: { HC_BACKEND: "wasm", HC_THREADS: "2", ...env },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
  };
  const on = await run({});
  assert.equal(on.code, 0, on.err);
  assert.match(
    JSON.parse(on.out).device,
    /^wasm-simd \+ OpenBLAS \d+\.\d+\.\d+ \(\w+\), 2 threads, /,
  );
  const one = await run({}, ["--threads", "1"]);
  assert.equal(one.code, 0, one.err);
  assert.match(JSON.parse(one.out).device, /^wasm-simd \+ OpenBLAS [^,]*, 1 thread, /);
  const off = await run({ HC_BLAS: "off" });
  assert.equal(off.code, 0, off.err);
  assert.match(JSON.parse(off.out).device, /^wasm-simd \(XNNPACK matmuls\), 2 threads, /);
  // No library loadable (here: no FFI permission): XNNPACK, and one line that says so.
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      "--allow-sys",
      "lib/cli/main.ts",
      ...["bench", "--preset", "tiny", "--steps", "1", "--warmup", "0", "--threads", "1"],
    ],
    env: { HC_BACKEND: "wasm" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const none = { out: new TextDecoder().decode(r.stdout), err: new TextDecoder().decode(r.stderr) };
  assert.equal(r.code, 0, none.err);
  assert.match(JSON.parse(none.out).device, /^wasm-simd \(XNNPACK matmuls\), 1 thread, /);
  const said = none.err.split("\n").filter((l) => /matmuls run on XNNPACK/.test(l));
  assert.equal(said.length, 1, none.err);
  assert.match(said[0], /no CBLAS library loaded .*--allow-ffi/);
  const bad = await run({ HC_BLAS: "/nonexistent/libnothing.so" });
  assert.equal(bad.code, 2, bad.err);
  assert.match(
    bad.err,
    /HC_BLAS=\/nonexistent\/libnothing\.so: cannot load a CBLAS library.*HC_BLAS=off/,
  );
  assert.equal(bad.out, "");
});
