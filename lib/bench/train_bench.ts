/**
 * Training-throughput benchmark: a preset model on random tokens (vocab 256),
 * AdamW, a few warm-up steps then timed steps; and the backend's own plain
 * 2-D matmul rate for the utilisation figure.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type ModelConfig, paramCount, PRESETS, trainFlopsPerToken } from "../model/config.ts";
import { initParams } from "../model/params.ts";
import { createModel, crossEntropy, disposeModel, forward } from "../model/model.ts";
import { adamwStep, createAdamW, disposeAdamW } from "../train/adamw.ts";
import { makeRng } from "../rng.ts";

/** What one benchmark run measured. */
export interface TrainBenchResult {
  preset: string;
  params: number;
  batch: number;
  seqLen: number;
  steps: number;
  tokens_per_s: number;
  ms_per_step: number;
  model_gflops: number;
  loss: number;
}

/** Options of `benchTraining`. */
export interface TrainBenchOptions {
  preset: string;
  steps?: number;
  warmup?: number;
  batch?: number;
}

/**
 * Times `steps` AdamW training steps of a preset (random tokens, batch 16,
 * sequence length = the preset's context) on the current backend.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend.ts";
 * import { benchTraining } from "./train_bench.ts";
 * await initBackend("cpu");
 * const r = await benchTraining({ preset: "tiny", steps: 2, warmup: 1, batch: 2 });
 * assert.equal(r.steps, 2);
 * assert.equal(r.batch, 2);
 * assert.ok(r.tokens_per_s > 0 && Number.isFinite(r.loss));
 * ```
 */
export async function benchTraining(o: TrainBenchOptions): Promise<TrainBenchResult> {
  const cfg: ModelConfig | undefined = PRESETS[o.preset];
  if (!cfg) throw new Error(`--preset: unknown preset '${o.preset}'`);
  const steps = o.steps ?? 10, warmup = o.warmup ?? 2, B = o.batch ?? 16;
  const T = cfg.maxPositions, V = cfg.vocabSize;
  const model = createModel(cfg, initParams(cfg, 0));
  const opt = createAdamW(model.vars);
  const vars = [...model.vars.values()];
  const rng = makeRng(1);
  const optim = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1 };
  const step = async () => {
    const tok = Int32Array.from({ length: B * (T + 1) }, () => rng.int(V));
    const inputs = new Int32Array(B * T), targets = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      inputs.set(tok.subarray(b * (T + 1), b * (T + 1) + T), b * T);
      targets.set(tok.subarray(b * (T + 1) + 1, (b + 1) * (T + 1)), b * T);
    }
    const [loss, norm] = tf.tidy(() => {
      const ids = tf.tensor2d(inputs, [B, T], "int32"), tg = tf.tensor1d(targets, "int32");
      const { value, grads } = tf.variableGrads(() => crossEntropy(forward(model, ids), tg), vars);
      return [value, adamwStep(model.vars, grads, opt, 1e-3, optim)];
    });
    const l = (await loss.data())[0];
    await norm.data();
    tf.dispose([loss, norm]);
    return l;
  };
  try {
    for (let i = 0; i < warmup; i++) await step();
    const t0 = performance.now();
    let loss = 0;
    for (let i = 0; i < steps; i++) loss = await step();
    const ms = (performance.now() - t0) / steps;
    const tokensPerS = (B * T) / (ms / 1000);
    return {
      preset: o.preset,
      params: paramCount(cfg),
      batch: B,
      seqLen: T,
      steps,
      tokens_per_s: tokensPerS,
      ms_per_step: ms,
      model_gflops: (tokensPerS * trainFlopsPerToken(cfg, T)) / 1e9,
      loss,
    };
  } finally {
    disposeAdamW(opt);
    disposeModel(model);
  }
}

/**
 * The backend's own rate for a plain 2-D matMul(a, b) of [n, n] x [n, n] in
 * GFLOP/s (best of `reps`), the reference for utilisation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend.ts";
 * import { plainMatmulGflops } from "./train_bench.ts";
 * await initBackend("cpu");
 * const rate = await plainMatmulGflops(64, 2);
 * assert.ok(rate > 0);
 * ```
 */
export async function plainMatmulGflops(n: number, reps = 10): Promise<number> {
  const a = tf.randomNormal([n, n]), b = tf.randomNormal([n, n]);
  try {
    // Warm-up: XNNPACK operator creation, JIT of the helper threads' code.
    for (let i = 0; i < 5; i++) {
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
    }
    let best = Infinity;
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      const c = tf.matMul(a, b);
      await c.data();
      best = Math.min(best, performance.now() - t0);
      c.dispose();
    }
    return (2 * n * n * n) / (best / 1000) / 1e9;
  } finally {
    tf.dispose([a, b]);
  }
}
