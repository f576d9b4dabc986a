import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/backend.ts";
import { defaultConfig, type ModelConfig } from "../lib/model/config.ts";
import { initParams } from "../lib/model/params.ts";
import { computeLogits, createModel, disposeModel } from "../lib/model/model.ts";
import { referenceLogits } from "./reference_model.ts";
import type { TensorMap } from "../lib/tensor_map.ts";

// Hand-set parameters: the random init at std 0.02 makes every block nearly
// the identity, so scale weights up to exercise attention and the MLP.
function handSet(cfg: ModelConfig, seed: number): TensorMap {
  const p = initParams(cfg, seed);
  let k = 0;
  for (const [name, t] of p) {
    for (let i = 0; i < t.data.length; i++) {
      if (name.includes("norm") || name.includes("ln_")) t.data[i] = 1 + 0.3 * Math.sin(i + k);
      else t.data[i] = t.data[i] * 15 + (name.endsWith("bias") ? 0.1 * Math.cos(i + k) : 0);
    }
    k++;
  }
  return p;
}

// Tolerance: float32 evaluation of a depth-L network whose dot products have
// at most K terms. Each product/sum contributes relative error ~ u*sqrt(K)
// (u = 2^-24, random-sign accumulation); norms renormalise every block, so
// errors add per layer rather than compound. With K <= 256 and a few ops per
// layer, the relative error is ~ u * sqrt(K) * (ops per layer) * L ~ 4e-6 for
// K = 64, L = 2. Measured: <= 7e-7 relative. We allow 5e-6 * max|logit| + 1e-6.
function compare(cfg: ModelConfig, params: TensorMap, got: Float32Array, ids: number[]) {
  const want = referenceLogits(cfg, params, ids);
  let maxAbs = 0, maxRef = 0;
  for (let i = 0; i < want.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(got[i] - want[i]));
    maxRef = Math.max(maxRef, Math.abs(want[i]));
  }
  const tol = 5e-6 * maxRef + 1e-6;
  if (!(maxAbs <= tol)) {
    throw new Error(`max |diff| ${maxAbs} > tol ${tol} (max |logit| ${maxRef})`);
  }
  assert(maxRef > 1, "logits should not be trivially small");
}

const ids = [3, 17, 250, 0, 42, 42, 7, 99, 128, 5, 64, 1];

for (const backend of ["cpu", "wasm"]) {
  for (
    const [label, cfg] of [
      [
        "gpt2 tied",
        defaultConfig("gpt2", { hiddenSize: 16, numHeads: 2, numLayers: 2, maxPositions: 16 }),
      ],
      [
        "gpt2 untied",
        defaultConfig("gpt2", {
          hiddenSize: 16,
          numHeads: 4,
          numLayers: 1,
          maxPositions: 16,
          tieWordEmbeddings: false,
        }),
      ],
      [
        "llama GQA untied",
        defaultConfig("llama", {
          hiddenSize: 16,
          numHeads: 4,
          numKvHeads: 2,
          numLayers: 2,
          intermediateSize: 24,
          tieWordEmbeddings: false,
          maxPositions: 16,
        }),
      ],
      [
        "llama MQA tied",
        defaultConfig("llama", {
          hiddenSize: 24,
          numHeads: 3,
          numKvHeads: 1,
          numLayers: 2,
          intermediateSize: 40,
          maxPositions: 16,
          ropeTheta: 500,
        }),
      ],
    ] as [string, ModelConfig][]
  ) {
    Deno.test(`${label} forward on ${backend} equals a plain-loop reference`, async () => {
      await initBackend(backend);
      const params = handSet(cfg, 7);
      const [got] = await computeLogits(cfg, params, [new Int32Array(ids)]);
      compare(cfg, params, got, ids);
    });
  }
}

for (const backend of ["cpu", "wasm"]) {
  Deno.test(`disposeModel frees every tensor and byte createModel made on ${backend}`, async () => {
    await initBackend(backend);
    await tf.setBackend(backend);
    const cfg = defaultConfig("llama", { hiddenSize: 16, numHeads: 4, numKvHeads: 2 });
    const before = tf.memory();
    disposeModel(createModel(cfg, initParams(cfg, 1)));
    const after = tf.memory();
    assert.equal(after.numTensors, before.numTensors);
    assert.equal(after.numBytes, before.numBytes);
  });
}
