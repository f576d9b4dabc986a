/**
 * `hc bench --preset tiny|small|medium [--vs-torch] [--steps N] [--backend B] [--threads N]`
 * and `hc bench-clone [--width N] [--dir DIR]`.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { computeThreads, initBackend } from "../backend.ts";
import { kitOpenblasEnv } from "../blas.ts";
import { UsageError } from "../errors.ts";
import { PRESETS } from "../model/config.ts";
import { benchTraining, plainMatmulGflops } from "../bench/train_bench.ts";
import { choiceFlag, intFlag, parse, positionals } from "./args.ts";

const BENCH_PRESETS = ["tiny", "small", "medium"] as const;
const TORCH_HINT = "apt-get install -y python3-torch libopenblas0-pthread";

/** The first Python that can import torch, or null. */
function torchPython(): string | null {
  for (const py of ["python3", "/usr/bin/python3"]) {
    try {
      const r = new Deno.Command(py, { args: ["-c", "import torch"], stderr: "null" })
        .outputSync();
      if (r.success) return py;
    } catch { /* not installed */ }
  }
  return null;
}

/**
 * Benchmarks training throughput and prints one JSON line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { benchCommand } from "./bench.ts";
 * assert.equal(await benchCommand(["--preset", "tiny", "--steps", "3"]), 0);
 * ```
 */
export async function benchCommand(args: string[]): Promise<number> {
  const p = parse("bench", args, {
    preset: { type: "string" },
    steps: { type: "string" },
    warmup: { type: "string" },
    backend: { type: "string" },
    threads: { type: "string" },
    "vs-torch": { type: "boolean" },
  });
  positionals(p, "bench", []);
  const preset = choiceFlag(p, "preset", BENCH_PRESETS);
  if (!preset) throw new UsageError("--preset tiny|small|medium is required");
  const steps = intFlag(p, "steps") ?? 10;
  const warmup = intFlag(p, "warmup", { min: 0 }) ?? 2;
  const threads = intFlag(p, "threads");
  const backendName = p.values.backend;
  if (threads !== undefined) {
    if ((backendName ?? "wasm") !== "wasm") {
      throw new UsageError("--threads: only the wasm backend takes a thread count");
    }
    Deno.env.set("HC_THREADS", String(threads));
  }
  const d = await initBackend(threads !== undefined ? "wasm" : backendName);
  const label = d.label, backend = d.backend;
  const cfg = PRESETS[preset];
  const r = await benchTraining({ preset, steps, warmup });
  // Utilisation reference: the plain product at the size of the MLP's
  // weight-gradient products (hidden x tokens x 4*hidden), capped for time;
  // measured after training, with every code path compiled.
  const plain = await plainMatmulGflops(Math.min(1024, Math.max(256, 2 * cfg.hiddenSize)));
  const out: Record<string, unknown> = {
    backend,
    device: label,
    preset,
    params: r.params,
    batch: r.batch,
    seq_len: r.seqLen,
    steps,
    tokens_per_s: Math.round(r.tokens_per_s),
    ms_per_step: +r.ms_per_step.toFixed(1),
    model_gflops: +r.model_gflops.toFixed(2),
    plain_matmul_gflops: +plain.toFixed(2),
    utilisation: +(r.model_gflops / plain).toFixed(3),
  };
  if (p.values["vs-torch"]) {
    const py = torchPython();
    if (!py) {
      out.torch = null;
      out.torch_error = `PyTorch is not installed; install it with '${TORCH_HINT}'`;
    } else {
      const peerArgs = [
        ...["--hidden", cfg.hiddenSize, "--layers", cfg.numLayers, "--heads", cfg.numHeads],
        ...["--context", cfg.maxPositions, "--vocab", cfg.vocabSize, "--batch", r.batch],
        ...["--steps", steps, "--warmup", warmup],
      ].map(String);
      // Best setting: one OpenBLAS thread inside each of torch's `threads`
      // OpenMP threads (otherwise the two pools oversubscribe the cores).
      const kitThreads = computeThreads();
      const best = runPeer(py, [...peerArgs, "--threads", String(kitThreads)], {
        OPENBLAS_NUM_THREADS: "1",
      });
      // Default setting: what `python3 script.py` does out of the box (without
      // the thread timeout the kit sets for itself, lib/blas.ts).
      const unset = Object.fromEntries(kitOpenblasEnv().map((k) => [k, undefined]));
      const dflt = runPeer(py, peerArgs, { OPENBLAS_NUM_THREADS: undefined, ...unset });
      out.torch = best.ok
        ? { setting: `OPENBLAS_NUM_THREADS=1, torch threads ${kitThreads}`, ...best.result }
        : null;
      if (!best.ok) out.torch_error = best.error;
      else out.ratio_vs_torch = +(r.tokens_per_s / best.result.tokens_per_s).toFixed(3);
      out.torch_default = dflt.ok
        ? { setting: "default (torch and OpenBLAS thread pools as they start)", ...dflt.result }
        : null;
      if (dflt.ok) {
        out.ratio_vs_torch_default = +(r.tokens_per_s / dflt.result.tokens_per_s).toFixed(3);
      }
    }
  }
  console.log(JSON.stringify(out));
  if (out.torch === null) console.error(`bench: ${out.torch_error}`);
  else if (out.torch) {
    console.error(
      `bench: ${preset}: kit ${out.tokens_per_s} tokens/s, PyTorch (best setting) ${
        Math.round((out.torch as { tokens_per_s: number }).tokens_per_s)
      }: ${out.ratio_vs_torch}x; vs PyTorch's default setting ${out.ratio_vs_torch_default}x`,
    );
  }
  return 0;
}

/** Runs benchmarks/torch_peer.py with extra environment (undefined removes a variable). */
function runPeer(
  py: string,
  args: string[],
  env: Record<string, string | undefined>,
  // deno-lint-ignore no-explicit-any
): { ok: true; result: any } | { ok: false; error: string } {
  const script = fileURLToPath(new URL("../../benchmarks/torch_peer.py", import.meta.url));
  const childEnv: Record<string, string> = { ...Deno.env.toObject() };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  // The peer links the same OpenBLAS: it inherits the OPENBLAS_CORETYPE the
  // kit set (lib/blas.ts), so both run the same sgemm kernels.
  const res = new Deno.Command(py, { args: [script, ...args], env: childEnv, clearEnv: true })
    .outputSync();
  if (!res.success) {
    return { ok: false, error: new TextDecoder().decode(res.stderr).trim().split("\n").at(-1)! };
  }
  const text = new TextDecoder().decode(res.stdout).trim().split("\n").at(-1) ?? "";
  return { ok: true, result: JSON.parse(text) };
}

/** Peak resident set size of this process so far, in bytes (Linux VmHWM). */
function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) * 1024;
  } catch { /* not Linux */ }
  return Deno.memoryUsage().rss;
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : fs.statSync(p).size;
  }
  return n;
}

/**
 * Clones a random Llama checkpoint of ~135M parameters (SmolLM-135M shape)
 * `--width` times (default 2) and prints seconds and peak RSS against the
 * clone's size on disk, as one JSON line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { benchCloneCommand } from "./bench.ts";
 * assert.equal(await benchCloneCommand(["--width", "2"]), 0);
 * ```
 */
export async function benchCloneCommand(args: string[]): Promise<number> {
  const p = parse("bench-clone", args, {
    width: { type: "string" },
    dir: { type: "string" },
    keep: { type: "boolean" },
    backend: { type: "string" },
    // Internal: write only the random source checkpoint (run in a child
    // process, so that its memory does not count in the clone's peak RSS).
    "make-source": { type: "string" },
  });
  positionals(p, "bench-clone", []);
  const width = intFlag(p, "width") ?? 2;
  const { defaultConfig } = await import("../model/config.ts");
  const { initParams } = await import("../model/params.ts");
  const { saveCheckpoint } = await import("../io/checkpoint.ts");
  const { cloneCheckpoint } = await import("../clone/checkpoint.ts");
  const cfg = defaultConfig("llama", {
    hiddenSize: 576,
    numLayers: 30,
    numHeads: 9,
    numKvHeads: 3,
    intermediateSize: 1536,
    vocabSize: 49152,
    maxPositions: 2048,
    tieWordEmbeddings: true,
  });
  if (p.values["make-source"]) {
    await saveCheckpoint(p.values["make-source"] as string, cfg, initParams(cfg, 0), {
      tokenizer: { type: "byte", vocabSize: cfg.vocabSize },
      force: true,
    } as never);
    return 0;
  }
  const root = p.values.dir ??
    Deno.makeTempDirSync({ prefix: "hc-bench-clone-" });
  fs.mkdirSync(root, { recursive: true });
  const src = path.join(root, "src"), dst = path.join(root, `clone-x${width}`);
  try {
    const main = fileURLToPath(new URL("./main.ts", import.meta.url));
    const made = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", main, "bench-clone", "--make-source", src],
      stdout: "inherit",
      stderr: "inherit",
    }).outputSync();
    if (!made.success) throw new Error("bench-clone: writing the random source checkpoint failed");
    await initBackend(p.values.backend);
    const rssBefore = peakRss();
    const t0 = performance.now();
    await cloneCheckpoint(src, dst, { width, verify: false, force: true });
    const seconds = (performance.now() - t0) / 1000;
    const cloneBytes = dirBytes(dst);
    const peak = peakRss();
    console.log(JSON.stringify({
      source_params: (await import("../model/config.ts")).paramCount(cfg),
      width,
      seconds: +seconds.toFixed(2),
      clone_bytes_on_disk: cloneBytes,
      peak_rss_bytes: peak,
      peak_rss_before_clone_bytes: rssBefore,
      peak_rss_over_clone_size: +(peak / cloneBytes).toFixed(3),
    }));
    return 0;
  } finally {
    if (!p.values.keep && !p.values.dir) fs.rmSync(root, { recursive: true, force: true });
  }
}
