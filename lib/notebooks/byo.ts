/**
 * Notebook 05's steps with a checkpoint that has its own tokenizer: a small
 * model trained here with a BPE tokenizer (when the user brings none), its
 * evaluation (loss per token and per byte, task accuracy) and a short training
 * run of its clone.
 *
 * @module
 */
import * as path from "node:path";
import { parseTrainConfig } from "../train/config.ts";
import { train } from "../train/loop.ts";
import { loadSplits } from "../train/splits.ts";
import type { RunSummary } from "../io/run_folder.ts";
import { loadCheckpoint, loadCheckpointTokenizer } from "../io/checkpoint.ts";
import { createModel, disposeModel } from "../model/model.ts";
import { fixedBatches } from "../data/sampler.ts";
import { byteCount } from "../data/tokenizer.ts";
import { evaluateBatches } from "../eval/evaluate.ts";
import { modelLogProb } from "../eval/logprob.ts";
import { scoreTask } from "../eval/multiple_choice.ts";
import {
  averageAccuracy,
  loadSuite,
  suiteMetric,
  type TaskResult,
  taskResult,
} from "../eval/suite.ts";

const STEPS: Record<string, number> = { quick: 150, standard: 600, paper: 20000 };

/**
 * Trains (or reuses) a small GPT-2 with a BPE tokenizer trained on the
 * corpus and returns its checkpoint folder (config.json, model.safetensors,
 * tokenizer.json, ...): a stand-in for a downloaded Hugging Face model.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { smallBpeCheckpoint } from "./byo.ts";
 * import { initBackend } from "../backend.ts";
 * await initBackend();
 * // Trains 150 steps the first time (under a minute); later calls reuse the run.
 * const dir = await smallBpeCheckpoint("runs/nb/bpe-source", "quick");
 * assert.ok(Deno.statSync(`${dir}/tokenizer.json`).isFile);
 * ```
 */
export async function smallBpeCheckpoint(
  dir: string,
  preset = "quick",
  tokenizer = "bpe-1024",
): Promise<string> {
  const steps = STEPS[preset] ?? STEPS.quick;
  const cfg = parseTrainConfig({
    comment: `notebook 05 source with tokenizer ${tokenizer} (${preset})`,
    model: { family: "gpt2", hiddenSize: 32, numLayers: 2, numHeads: 2, maxPositions: 64 },
    tokenizer,
    data: { source: "brown", seqLen: 64, batchSize: 16 },
    optim: { lr: 1e-2, warmupSteps: Math.ceil(steps / 20) },
    steps,
    evalEvery: steps,
    evalBatches: 4,
    checkpointEvery: steps,
  });
  await train(cfg, dir, { resume: true, progress: "silent" });
  return path.join(dir, "checkpoint");
}

/** What {@link evaluateCheckpoint} measures. */
export interface CheckpointEval {
  checkpoint: string;
  tokenizer: string;
  /** Validation loss, nats per token. */
  loss: number;
  /** Validation loss, nats per UTF-8 byte (compares tokenizers). */
  lossPerByte: number;
  bytesPerToken: number;
  /** Average suite accuracy (each task's reported metric) over the first `items` items of each task. */
  taskAccuracy: number;
}

/**
 * Evaluates a checkpoint folder with its own tokenizer on the validation
 * split and the zero-shot suite.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluateCheckpoint } from "./byo.ts";
 * import { randomHfCheckpoint } from "./helpers.ts";
 * import { initBackend } from "../backend.ts";
 * await initBackend("cpu");
 * const dir = await Deno.makeTempDir();
 * const row = await evaluateCheckpoint(await randomHfCheckpoint(dir), { batches: 1, items: 4 });
 * assert.equal(row.bytesPerToken, 1); // a byte-level checkpoint
 * assert.ok(Math.abs(row.loss - Math.log(256)) < 0.5); // untrained: near uniform
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function evaluateCheckpoint(
  dir: string,
  opts: { batches?: number; items?: number } = {},
): Promise<CheckpointEval> {
  const ck = await loadCheckpoint(dir);
  const tok = await loadCheckpointTokenizer(dir);
  const model = createModel(ck.config, ck.params);
  try {
    const seqLen = Math.min(64, ck.config.maxPositions);
    const batches = fixedBatches(loadSplits("brown", tok).validation, {
      batchSize: 16,
      seqLen,
      count: opts.batches ?? 8,
    });
    const r = await evaluateBatches(model, batches);
    const bytes = batches.reduce((n, b) => n + byteCount(tok, b.targets), 0);
    const scores: Record<string, TaskResult> = {};
    for (const task of await loadSuite()) {
      const s = await scoreTask(task, modelLogProb(model), tok, { limit: opts.items ?? 100 });
      scores[task.name] = taskResult(s, suiteMetric(task));
    }
    return {
      checkpoint: dir,
      tokenizer: tok.info.type === "hf" ? `hf (${tok.info.vocabSize} tokens)` : tok.info.type,
      loss: r.loss,
      lossPerByte: (r.loss * r.tokens) / bytes,
      bytesPerToken: bytes / r.tokens,
      taskAccuracy: averageAccuracy(scores).avgAccuracy,
    };
  } finally {
    disposeModel(model);
  }
}

/**
 * Trains a checkpoint folder (e.g. a clone) for `steps` more steps on the
 * built-in corpus with its own tokenizer; returns the run summary (the
 * trained checkpoint is `<out>/checkpoint`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainFurther } from "./byo.ts";
 * import { randomHfCheckpoint } from "./helpers.ts";
 * import { initBackend } from "../backend.ts";
 * await initBackend("cpu");
 * const dir = await Deno.makeTempDir();
 * const s = await trainFurther(await randomHfCheckpoint(`${dir}/init`), `${dir}/trained`, 2);
 * assert.equal(s.steps, 2);
 * assert.ok(Deno.statSync(`${dir}/trained/checkpoint/model.safetensors`).isFile);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function trainFurther(init: string, out: string, steps: number): Promise<RunSummary> {
  const ck = await loadCheckpoint(init);
  const cfg = parseTrainConfig({
    comment: `notebook 05: ${init} trained ${steps} steps`,
    init,
    data: { source: "brown", seqLen: Math.min(64, ck.config.maxPositions), batchSize: 16 },
    optim: { lr: 3e-3, warmupSteps: Math.ceil(steps / 10) },
    steps,
    evalEvery: steps,
    evalBatches: 4,
    checkpointEvery: steps,
  });
  return await train(cfg, out, { resume: true, progress: "silent" });
}
