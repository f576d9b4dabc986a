/**
 * The training loop: AdamW, warm-up + cosine, clipping, fixed validation
 * batches every `evalEvery` steps, metrics appended to metrics.jsonl,
 * checkpoints every `checkpointEvery` steps and at the end, and exact resume:
 * the resumed run sees the same batches, dropout masks and optimiser state, so
 * its losses equal the uninterrupted run's. The run folder's files are
 * lib/io/run_folder.ts's; setting up a run is lib/train/setup.ts, one step
 * lib/train/step.ts, one evaluation lib/train/evaluation.ts.
 *
 * @module
 */
import * as path from "node:path";
import { deviceInfo } from "../backend.ts";
import { disposeModel, modelToHost } from "../model/model.ts";
import type { Tokenizer } from "../data/tokenizer.ts";
import { disposeAdamW } from "./adamw.ts";
import { lrAt } from "./schedule.ts";
import type { TrainConfig } from "./config.ts";
import { makeProgress, type ProgressOption, withLogFile } from "./progress.ts";
import { writeDirAtomic } from "../io/atomic.ts";
import { saveCheckpoint } from "../io/checkpoint.ts";
import { writeSafetensors } from "../io/safetensors.ts";
import type { TensorMap } from "../tensor_map.ts";
import type { MultipleChoiceTask } from "../eval/multiple_choice.ts";
import {
  type MetricsLine,
  readMetrics,
  runPaths,
  type RunSummary,
  type TrainingCost,
  writeRunState,
  writeSummary,
} from "../io/run_folder.ts";
import { RunClock } from "./device_time.ts";
import { claimRunFolder, type RunSetup, setUpRun } from "./setup.ts";
import { trainStep } from "./step.ts";
import { type EvalContext, type EvalHook, evaluateRun } from "./evaluation.ts";
import { configEvalHooks } from "./hooks.ts";
import { runTokenizer } from "./tokenizer.ts";

export { DivergenceError } from "./step.ts";
export type { EvalHook, EvalHookContext } from "./evaluation.ts";

/** Options of `train`. */
export interface TrainOptions {
  /** Continue from `outDir/checkpoint` (no-op when the run already finished). */
  resume?: boolean;
  /** A mode, or a factory making one reporter per run (e.g. a row of a notebook table). */
  progress?: ProgressOption;
  /**
   * Extra measurements at every evaluation, after the ones the config asks
   * for (task scoring, clone symmetry: lib/train/hooks.ts).
   */
  evalHooks?: EvalHook[];
  /** Tasks scored instead of the built-in suite when `tasks` is "builtin": for tests. */
  suiteTasks?: MultipleChoiceTask[];
  /**
   * Stops the run after the step in progress: a checkpoint is saved there
   * (so `resume` continues exactly) and train() rejects with the signal's
   * reason. A run whose last step was already taken finishes normally.
   */
  signal?: AbortSignal;
}

/** Saves the model, optimiser moments and loop state as `dir`, atomically. */
async function saveRunCheckpoint(run: RunSetup, sourceCost: TrainingCost | null): Promise<void> {
  const { model, opt, state } = run;
  const params = await modelToHost(model);
  const moments: TensorMap = new Map();
  for (const [k, t] of opt.m) {
    moments.set(`m.${k}`, { shape: [...t.shape], data: (await t.data()) as Float32Array });
  }
  for (const [k, t] of opt.v) {
    moments.set(`v.${k}`, { shape: [...t.shape], data: (await t.data()) as Float32Array });
  }
  const paths = runPaths(run.outDir);
  await writeDirAtomic(paths.checkpoint, async (tmp) => {
    // The model part is a plain HF checkpoint; optimizer and state ride along.
    await saveCheckpoint(tmp, model.config, params, {
      tokenizer: run.tokenizer,
      extra: { training: state.cost, ...(sourceCost ? { sourceTraining: sourceCost } : {}) },
      force: true,
    });
    await writeSafetensors(path.join(tmp, path.basename(paths.optimizer)), moments);
    await writeRunState(tmp, state);
  }, { force: true });
}

/** A set-up run while it trains. */
interface Loop extends EvalContext {
  run: RunSetup;
  schedule: { peakLr: number; warmupSteps: number; totalSteps: number; minRatio: number };
}

function startLoop(run: RunSetup, hooks: EvalHook[], progress?: ProgressOption): Loop {
  const { cfg, outDir, state } = run;
  return {
    ...run,
    run,
    hooks,
    // The full log always goes to the run's folder, whatever the display shows.
    progress: withLogFile(
      makeProgress(cfg.steps, state.step, progress, path.basename(path.resolve(outDir))),
      runPaths(outDir).log,
    ),
    // Resume-safe: the clock continues the times the checkpoint carried.
    clock: new RunClock(state.cost, deviceInfo()),
    schedule: {
      peakLr: cfg.optim.lr,
      warmupSteps: cfg.optim.warmupSteps,
      totalSteps: cfg.steps,
      minRatio: cfg.optim.minLrRatio,
    },
  };
}

/** Train losses since the last evaluation (their mean is the next line's trainLoss). */
type LossWindow = { sum: number; count: number };

async function checkpoint(loop: Loop, losses: LossWindow): Promise<void> {
  const { state } = loop;
  state.sampler = loop.run.sampler.state();
  // Saved only between evaluations, so checkpoints on an evaluation stay as they were.
  if (losses.count) state.lossWindow = { ...losses };
  else delete state.lossWindow;
  loop.clock.sync(state.cost as Required<TrainingCost>);
  await saveRunCheckpoint(loop.run, loop.run.start.sourceCost);
}

/** Runs steps until the end (or an abort), evaluating and saving on schedule. */
async function runSteps(loop: Loop, signal?: AbortSignal): Promise<MetricsLine | undefined> {
  const { cfg, state, progress } = loop;
  signal?.throwIfAborted();
  let last: MetricsLine | undefined = readMetrics(loop.outDir).at(-1);
  if (state.step === 0 && !last) last = await evaluateRun(loop, null, null, lrAt(0, loop.schedule));
  const losses: LossWindow = { ...(state.lossWindow ?? { sum: 0, count: 0 }) };
  // Throughput shown by the progress display: tokens over the last ~10 s.
  let lastNorm = 0, windowStart = performance.now(), windowTokens = 0;
  const tokensPerStep = cfg.data.batchSize * cfg.data.seqLen;
  while (state.step < cfg.steps) {
    const lr = lrAt(state.step, loop.schedule);
    const { loss, gradNorm } = await trainStep(loop.run, lr);
    losses.sum += loss, losses.count += 1, lastNorm = gradNorm, windowTokens += tokensPerStep;
    const now = performance.now();
    progress.update(state.step, {
      loss,
      tokensPerSec: windowTokens / ((now - windowStart) / 1000),
    });
    if (now - windowStart > 10_000) windowStart = now, windowTokens = 0;
    const final = state.step === cfg.steps;
    if (state.step % cfg.evalEvery === 0 || final) {
      last = await evaluateRun(loop, losses.sum / losses.count, lastNorm, lr);
      losses.sum = 0, losses.count = 0;
    }
    const saveDue = state.step % cfg.checkpointEvery === 0 || final;
    if (saveDue) await checkpoint(loop, losses);
    if (signal?.aborted && !final) {
      if (!saveDue) await checkpoint(loop, losses);
      signal.throwIfAborted();
    }
  }
  return last;
}

/**
 * Trains a model as `cfg` describes into `outDir`. The backend must be
 * initialised (initBackend). Returns the run summary.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend.ts";
 * import { parseTrainConfig } from "./config.ts";
 * import { train } from "./loop.ts";
 * await initBackend("cpu");
 * const cfg = parseTrainConfig({
 *   model: { preset: "tiny" }, data: { seqLen: 16, batchSize: 2 }, steps: 2, evalBatches: 1,
 * });
 * const summary = await train(cfg, Deno.makeTempDirSync(), { progress: "silent" });
 * assert.equal(summary.steps, 2);
 * assert.equal(summary.final.step, 2);
 * ```
 */
export async function train(
  cfg: TrainConfig,
  outDir: string,
  opts: TrainOptions = {},
): Promise<RunSummary> {
  // Checked before anything is written: a bad tokenizer is a config error.
  const tokenizer: Tokenizer = await runTokenizer(cfg);
  const finished = await claimRunFolder(cfg, outDir, opts.resume ?? false);
  if (finished) return finished;
  const run = await setUpRun(cfg, outDir, tokenizer, opts.resume ?? false);
  let loop: Loop | undefined;
  try {
    const hooks = [...await configEvalHooks(run, opts.suiteTasks), ...(opts.evalHooks ?? [])];
    loop = startLoop(run, hooks, opts.progress);
    const last = await runSteps(loop, opts.signal);
    loop.clock.sync(run.state.cost as Required<TrainingCost>);
    const summary: RunSummary = {
      done: true,
      steps: cfg.steps,
      final: last!,
      device: loop.clock.device,
      model: run.modelCfg,
      cost: run.state.cost,
      sourceCost: run.start.sourceCost,
      init: cfg.init ?? null,
    };
    await writeSummary(outDir, summary);
    return summary;
  } finally {
    loop?.progress.stop();
    disposeAdamW(run.opt);
    disposeModel(run.model);
  }
}
