/**
 * Registers the fused elementwise kernels (lib/kernels/norm_kernels.ts,
 * lib/kernels/act_kernels.ts) for the wasm backend under their own names
 * (`HcLayerNorm`, `HcGelu`, `HcAdamW`, ...), and says whether the model's ops use them.
 * tfjs-wasm runs LayerNorm, GELU, softmax and cross-entropy as chains of 5-20
 * single-purpose kernels, each a full pass over memory plus tens of
 * microseconds of dispatch; the fused forms make one or two passes. Other
 * backends keep the composite ops (lib/model/ops.ts).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
// Registers the wasm kernels first, so that Add and Multiply can be wrapped.
import "@tensorflow/tfjs-backend-wasm";
import {
  layerNormGradKernel,
  layerNormKernel,
  rmsNormGradKernel,
  rmsNormKernel,
} from "./norm_kernels.ts";
import {
  geluArgKernel,
  geluGradKernel,
  softmaxGradKernel,
  softmaxXentGradKernel,
  xentLossKernel,
} from "./act_kernels.ts";
import { adamwKernel } from "./adamw_kernel.ts";
import { affineKernel } from "./affine_kernel.ts";
import { embedGradKernel, embedKernel } from "./embed_kernels.ts";
import { heapOffset, MIN_PART, wasmMemory } from "./norm_kernels.ts";
import { parallelFor, poolThreads, simdActive } from "./pool.ts";
import {
  attnDSKernel,
  attnGradsKernel,
  attnPVKernel,
  attnScoresKernel,
} from "./attention_kernel.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

const KERNELS: Record<string, (args: Any) => Any> = {
  HcLayerNorm: layerNormKernel,
  HcLayerNormGrad: layerNormGradKernel,
  HcRmsNorm: rmsNormKernel,
  HcRmsNormGrad: rmsNormGradKernel,
  HcGeluArg: geluArgKernel,
  HcGeluGrad: geluGradKernel,
  HcSoftmaxGrad: softmaxGradKernel,
  HcXentLoss: xentLossKernel,
  HcSoftmaxXentGrad: softmaxXentGradKernel,
  HcAdamW: adamwKernel,
  HcAffine: affineKernel,
  HcEmbed: embedKernel,
  HcEmbedGrad: embedGradKernel,
  HcAttnScores: attnScoresKernel,
  HcAttnPV: attnPVKernel,
  HcAttnDS: attnDSKernel,
  HcAttnGrads: attnGradsKernel,
};

let registered = false;
let enabled = true;

/**
 * Registers the fused kernels for the wasm backend (idempotent). `HC_FUSED=off`
 * leaves them off (the composite ops run instead).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fusedKernelsActive, registerFusedKernels } from "./fused.ts";
 * registerFusedKernels();
 * assert.equal(typeof fusedKernelsActive(), "boolean");
 * ```
 */
export function registerFusedKernels(): void {
  if (registered) return;
  registered = true;
  for (const [kernelName, kernelFunc] of Object.entries(KERNELS)) {
    tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc });
  }
  spreadBinary("Add", "add");
  spreadBinary("Multiply", "mul");
  enabled = Deno.env.get("HC_FUSED") !== "off";
}

/**
 * Turns the fused kernels on or off (tests compare both paths).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fusedKernelsActive, setFusedKernels } from "./fused.ts";
 * setFusedKernels(false);
 * assert.equal(fusedKernelsActive(), false);
 * ```
 */
export function setFusedKernels(on: boolean): void {
  registerFusedKernels();
  enabled = on;
}

/**
 * Whether the model's ops run the fused kernels: registered, on, and the
 * current backend is wasm.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend.ts";
 * import { fusedKernelsActive } from "./fused.ts";
 * await initBackend("cpu");
 * assert.equal(fusedKernelsActive(), false);
 * ```
 */
export function fusedKernelsActive(): boolean {
  return registered && enabled && tf.getBackend() === "wasm";
}

/**
 * tfjs-wasm's Add and Multiply (residuals, GELU's x sigmoid(2u), autodiff
 * summing gradients) run on one thread. Two float32 tensors of one shape,
 * large enough to pay a helper's wake-up, go to the SIMD loops split over
 * the helper threads instead: float32 addition and multiplication round
 * the same everywhere, so the bits do not change. Anything else (broadcasts,
 * other dtypes, no SIMD or helpers, `HC_FUSED=off`) keeps the original.
 */
function spreadBinary(kernelName: string, task: "add" | "mul"): void {
  const original = tf.getKernel(kernelName, "wasm");
  if (!original) {
    throw new Error(`registerFusedKernels: tfjs-wasm's ${kernelName} is not registered`);
  }
  tf.unregisterKernel(kernelName, "wasm");
  tf.registerKernel({
    kernelName,
    backendName: "wasm",
    setupFunc: original.setupFunc,
    kernelFunc: (args: Any) => {
      const { inputs: { a, b }, backend } = args;
      const n = tf.util.sizeFromShape(a.shape);
      const spread = enabled && a.dtype === "float32" && b.dtype === "float32" &&
        n >= 2 * MIN_PART && tf.util.arraysEqual(a.shape, b.shape) && simdActive() &&
        poolThreads() > 1;
      if (!spread) return original.kernelFunc(args);
      const out = backend.makeOutput(a.shape, "float32");
      const o = (t: Any) => heapOffset(backend, t);
      parallelFor(wasmMemory(backend), task, [o(a), o(b), o(out)], MIN_PART, n);
      return out;
    },
  });
}
