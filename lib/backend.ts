/**
 * Backend selection: `tensorflow` (tfjs-node-gpu / tfjs-node), `webgpu`,
 * `wasm` or `cpu`; `auto` takes the fastest one that actually loads. A backend
 * asked for by name either loads or throws an error naming the package and
 * the reason: there is no silent fallback.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
// Gradients are registered by the union package (tfjs-core alone registers none).
import "@tensorflow/tfjs";
import { setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { enableWasmThreads } from "./wasm_threads.ts";
import { poolStarted, poolThreads, startPool, useSimd } from "./kernels/pool.ts";
import { compileSimd, type SimdBinaries } from "./kernels/simd.ts";
import { wasmMemory } from "./kernels/norm_kernels.ts";
import { loadBlas } from "./blas.ts";
import { UsageError } from "./errors.ts";
import { registerNativeMatmul, setNativeMatmul } from "./native_matmul.ts";
import { registerFusedKernels } from "./kernels/fused.ts";
import { patchWasmKernels } from "./wasm_patches.ts";

/** Backend names accepted by `--backend` and `HC_BACKEND`. */
export type BackendName = "auto" | "tensorflow" | "webgpu" | "wasm" | "cpu";

/** What the run executes on; compute accounting reads it. */
export interface DeviceInfo {
  /** The tfjs backend in use ("tensorflow", "webgpu", "wasm", "cpu"). */
  backend: Exclude<BackendName, "auto">;
  /** Human-readable device, e.g. "wasm-simd, 1 thread, AMD EPYC 7B13". */
  label: string;
  /** Accelerators the run occupies (GPUs, or CPU threads for CPU backends). */
  accelerators: number;
  /** Whether those accelerators are GPUs (device-hours are then GPU-hours). */
  isGpu: boolean;
}

/** Error raised when a requested backend cannot load. */
export class BackendError extends Error {}

let current: DeviceInfo | undefined;

function cpuModel(): string {
  return os.cpus()[0]?.model?.trim() ?? "unknown CPU";
}

/** The backend chosen by the last `initBackend`, if any. */
export function deviceInfo(): DeviceInfo {
  if (!current) throw new Error("no backend initialised: call initBackend()");
  return current;
}

function positiveInt(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new BackendError(`${name} must be a positive integer, got '${raw}'`);
  }
  return n;
}

/**
 * Threads the kit computes with: `HC_THREADS` (what `--threads N` sets), else
 * every core of the machine: the main thread plus helper threads that split
 * the fused kernels and large products (lib/kernels/pool.ts). No two pools
 * run at once: each kernel call blocks the main thread until its parts
 * finish, and idle OpenBLAS threads sleep at once. On a machine busy with other
 * jobs fewer threads can be faster (each parallel region waits for its
 * slowest thread; see docs/performance.md): set `--threads` there.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as os from "node:os";
 * import { computeThreads } from "./backend.ts";
 * if (!Deno.env.get("HC_THREADS")) assert.equal(computeThreads(), os.cpus().length);
 * ```
 */
export function computeThreads(): number {
  const raw = Deno.env.get("HC_THREADS");
  if (raw !== undefined && raw !== "") return positiveInt("HC_THREADS", raw);
  return Math.max(1, navigator.hardwareConcurrency || os.cpus().length || 1);
}

/**
 * XNNPACK threads for wasm: `HC_WASM_THREADS`, else `HC_THREADS`, else every
 * core when XNNPACK does the matmuls but one when BLAS does: XNNPACK then
 * runs only elementwise kernels, too small to pay a thread wake-up each
 * (measured, 2 cores: two wasm threads made tiny 1.4-2x and small 1.15x
 * slower, medium the same; docs/performance.md).
 */
function wasmThreads(all: number, nativeMatmuls: boolean): number {
  for (const name of ["HC_WASM_THREADS", "HC_THREADS"]) {
    const raw = Deno.env.get(name);
    if (raw !== undefined && raw !== "") return positiveInt(name, raw);
  }
  return nativeMatmuls ? 1 : all;
}

/** The fused kernels' SIMD loops, or null (JS loops) with one line on stderr saying why. */
async function simdKernels(): Promise<SimdBinaries | null> {
  try {
    return await compileSimd();
  } catch (e) {
    console.error(`hc: SIMD kernels unavailable, JS loops instead: ${(e as Error).message}`);
    return null;
  }
}

async function loadWasm(): Promise<DeviceInfo> {
  const entry = fileURLToPath(import.meta.resolve("@tensorflow/tfjs-backend-wasm"));
  // import.meta.resolve gives dist/index.js (or dist/tf-backend-wasm.node.js).
  const dist = path.dirname(entry);
  if (!existsSync(path.join(dist, "tfjs-backend-wasm-simd.wasm"))) {
    throw new BackendError(
      `wasm: @tensorflow/tfjs-backend-wasm binaries not found in ${dist}; run 'deno install'`,
    );
  }
  setWasmPaths(dist + path.sep);
  const all = computeThreads();
  // Matmuls go to native BLAS when a CBLAS library loads (lib/blas.ts). BLAS,
  // XNNPACK and helper threads never run at once (each kernel call blocks the
  // main thread), so none oversubscribes another.
  const blas = loadBlas(all);
  const threads = wasmThreads(all, "name" in blas);
  registerNativeMatmul();
  registerFusedKernels(); // LayerNorm, GELU, softmax, cross-entropy: lib/kernels/
  // tfjs disables threads under Deno (it takes Deno for Node); wasm_threads.ts
  // patches that (see docs/performance.md). With more than one thread the
  // threaded build loads even when XNNPACK gets one: its heap is shared, so
  // the fused kernels' helper threads can work on it (lib/kernels/pool.ts).
  let restore = () => {};
  if (all > 1 || threads > 1) restore = await enableWasmThreads(threads);
  else setThreadsCount(1);
  let ok: boolean;
  try {
    ok = await tf.setBackend("wasm");
  } finally {
    restore();
  }
  if (!ok) throw new BackendError("wasm: tf.setBackend('wasm') failed to initialise");
  // deno-lint-ignore no-explicit-any
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT") as any;
  // deno-lint-ignore no-explicit-any
  const n = threads > 1 ? (tf.backend() as any).wasm.tfjs.getThreadsCount() as number : 1;
  const native = "name" in blas;
  setNativeMatmul(native);
  useSimd(await simdKernels());
  // deno-lint-ignore no-explicit-any
  const memory = wasmMemory(tf.backend() as any);
  if (all > 1 && startPool(memory, all - 1, native ? blas.path : null)) {
    await poolStarted(); // the helpers load in ~0.1-0.3 s; timings should not include that
  }
  const pooled = poolThreads() > 1;
  if (!native && !/HC_BLAS=off/.test(blas.reason)) {
    console.error(`hc: matmuls run on XNNPACK (slower): ${blas.reason}`);
  }
  const wasm = `wasm${simd ? "-simd" : ""}`;
  const used = native || pooled ? Math.max(n, all) : n;
  const what = native
    ? `${wasm} + ${blas.name}, ${all} thread${all > 1 ? "s" : ""}` +
      (n !== all ? ` (wasm ${n})` : "")
    : `${wasm} (XNNPACK matmuls), ${n} thread${n > 1 ? "s" : ""}`;
  return {
    backend: "wasm",
    label: `${what}, ${cpuModel()}`,
    // Device-hours count every CPU thread the run occupies.
    accelerators: used,
    isGpu: false,
  };
}

async function loadCpu(): Promise<DeviceInfo> {
  const ok = await tf.setBackend("cpu");
  if (!ok) throw new BackendError("cpu: tf.setBackend('cpu') failed");
  return {
    backend: "cpu",
    label: `tfjs-cpu (pure JS), 1 thread, ${cpuModel()}`,
    accelerators: 1,
    isGpu: false,
  };
}

async function loadWebgpu(): Promise<DeviceInfo> {
  // deno-lint-ignore no-explicit-any
  const gpu = (globalThis.navigator as any)?.gpu;
  if (!gpu) {
    throw new BackendError(
      "webgpu: navigator.gpu is not available in this runtime (Deno exposes it; Node does not)",
    );
  }
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    throw new BackendError(
      "webgpu: no WebGPU adapter found (install a Vulkan driver, e.g. apt install mesa-vulkan-drivers)",
    );
  }
  await import("@tensorflow/tfjs-backend-webgpu");
  const ok = await tf.setBackend("webgpu");
  if (!ok) throw new BackendError("webgpu: tf.setBackend('webgpu') failed to initialise");
  const info = adapter.info ?? {};
  const desc = [info.vendor, info.device, info.description].filter(Boolean).join(" ")
    .trim() || "unknown adapter";
  const software = /llvmpipe|swiftshader|software|lavapipe/i.test(desc) ||
    info.isFallbackAdapter === true;
  return {
    backend: "webgpu",
    label: `webgpu, ${desc}${software ? " (software adapter)" : ""}`,
    accelerators: 1,
    isGpu: !software,
  };
}

async function loadTensorflow(): Promise<DeviceInfo> {
  const errors: string[] = [];
  for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    try {
      // Optional dependency: installed by the user (`deno add npm:<pkg>@4.22.0
      // --allow-scripts`), never by the kit. Untested here (no libtensorflow).
      await import(pkg);
      const ok = await tf.setBackend("tensorflow");
      if (!ok) throw new Error("tf.setBackend('tensorflow') returned false");
      const gpu = pkg.endsWith("-gpu");
      return {
        backend: "tensorflow",
        label: `tensorflow (${pkg}), ${gpu ? "CUDA GPU" : cpuModel()}`,
        accelerators: 1,
        isGpu: gpu,
      };
    } catch (e) {
      errors.push(`${pkg}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  throw new BackendError(
    `tensorflow: neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node could be loaded (${
      errors.join("; ")
    }). Install one with internet access: 'deno add npm:@tensorflow/tfjs-node@4.22.0 --allow-scripts'`,
  );
}

function tensorflowInstalled(): boolean {
  return ["tfjs-node-gpu", "tfjs-node"].some((p) =>
    existsSync(path.join(Deno.cwd(), "node_modules", "@tensorflow", p))
  );
}

const loaders = {
  tensorflow: loadTensorflow,
  webgpu: loadWebgpu,
  wasm: loadWasm,
  cpu: loadCpu,
};

/**
 * Selects and initialises a backend. `name` defaults to `HC_BACKEND` or
 * `auto`. `auto` tries tensorflow (only when installed), then wasm, then cpu;
 * it does not pick webgpu because a software adapter is slower than wasm.
 * It first replaces four slow tfjs-wasm kernels (lib/wasm_patches.ts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "./backend.ts";
 * const device = await initBackend("cpu");
 * assert.equal(device.backend, "cpu");
 * ```
 */
export async function initBackend(name?: string): Promise<DeviceInfo> {
  const want = (name ?? Deno.env.get("HC_BACKEND") ?? "auto") as BackendName;
  if (want !== "auto" && !(want in loaders)) {
    throw new BackendError(
      `unknown backend '${want}': choose one of auto, tensorflow, webgpu, wasm, cpu`,
    );
  }
  // Kernel registrations are global, so tests that later switch with
  // tf.setBackend("wasm") get the faster kernels too.
  patchWasmKernels();
  if (current && (want === "auto" || current.backend === want)) return current;
  if (want !== "auto") {
    current = await loaders[want]();
    return current;
  }
  const order: (keyof typeof loaders)[] = tensorflowInstalled()
    ? ["tensorflow", "wasm", "cpu"]
    : ["wasm", "cpu"];
  const errors: string[] = [];
  for (const b of order) {
    try {
      current = await loaders[b]();
      return current;
    } catch (e) {
      // A bad setting (e.g. HC_BLAS naming a missing library) is not a reason to fall back.
      if (e instanceof UsageError) throw e;
      errors.push((e as Error).message);
    }
  }
  throw new BackendError(`no backend could be loaded: ${errors.join("; ")}`);
}
