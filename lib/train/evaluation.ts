/**
 * One evaluation: validation loss on the fixed batches, the measurements of
 * the registered evaluation hooks, and the metrics line appended to
 * metrics.jsonl.
 *
 * @module
 */
import { forwardFlopsPerToken } from "../model/config.ts";
import type { Model } from "../model/model.ts";
import { evaluateBatches } from "../eval/evaluate.ts";
import { appendMetricsLine, type MetricsLine } from "../io/run_folder.ts";
import type { RunClock } from "./device_time.ts";
import type { Progress } from "./progress.ts";
import type { RunSetup } from "./setup.ts";

/** What an evaluation hook may do besides measuring. */
export interface EvalHookContext {
  /** Charges forward FLOPs the hook spent to the run's evaluation cost. */
  addEvalFlops(flops: number): void;
}

/** Adds measurements (task accuracy, symmetry, ...) to each metrics line. */
export interface EvalHook {
  (
    model: Model,
    step: number,
    ctx: EvalHookContext,
  ): Promise<Record<string, unknown>> | Record<string, unknown>;
}

/** A set-up run plus what evaluating it needs. */
export interface EvalContext extends Pick<RunSetup, "cfg" | "outDir" | "model" | "modelCfg"> {
  state: RunSetup["state"];
  valBatches: RunSetup["valBatches"];
  valBytes: number;
  hooks: EvalHook[];
  clock: RunClock;
  progress: Progress;
}

/** The one-line progress log of an evaluation. */
function logLine(run: EvalContext, line: MetricsLine): string {
  const { trainLoss, lr, avgAccuracy, avgAccuracyStderr } = line;
  return `step ${line.step}/${run.cfg.steps} val ${line.valLoss.toFixed(4)} ` +
    `acc ${line.valAccuracy.toFixed(3)}` +
    (trainLoss === null ? "" : ` train ${trainLoss.toFixed(4)}`) +
    ` lr ${lr.toExponential(2)}` +
    (typeof avgAccuracy === "number"
      ? ` avg-acc ${avgAccuracy.toFixed(3)}±${(avgAccuracyStderr as number).toFixed(3)}`
      : "");
}

/**
 * Evaluates the model at the run's current step: validation loss, then each
 * hook in order (their fields join the line), with evaluation time and FLOPs
 * charged to the run's evaluation cost. Appends the line to metrics.jsonl,
 * logs it, and returns it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, deviceInfo } from "../backend.ts";
 * import { claimRunFolder, setUpRun } from "./setup.ts";
 * import { parseTrainConfig } from "./config.ts";
 * import { byteTokenizer } from "../data/tokenizer.ts";
 * import { disposeModel } from "../model/model.ts";
 * import { disposeAdamW } from "./adamw.ts";
 * import { RunClock } from "./device_time.ts";
 * import { makeProgress } from "./progress.ts";
 * import { evaluateRun } from "./evaluation.ts";
 * await initBackend("cpu");
 * const dir = Deno.makeTempDirSync();
 * const cfg = parseTrainConfig({
 *   model: { preset: "tiny" }, data: { seqLen: 16, batchSize: 2 }, steps: 2, evalBatches: 1,
 * });
 * await claimRunFolder(cfg, dir, false);
 * const run = await setUpRun(cfg, dir, byteTokenizer, false);
 * const hooks = [() => ({ answer: 42 })];
 * const ctx = { ...run, hooks, clock: new RunClock({}, deviceInfo()), progress: makeProgress(2, 0, "silent") };
 * const line = await evaluateRun(ctx, null, null, 0);
 * assert.equal(line.answer, 42);
 * assert.equal(line.step, 0);
 * disposeModel(run.model), disposeAdamW(run.opt);
 * ```
 */
export async function evaluateRun(
  run: EvalContext,
  trainLoss: number | null,
  gradNorm: number | null,
  lr: number,
): Promise<MetricsLine> {
  const { state, clock, cfg, modelCfg } = run;
  clock.startEval();
  const r = await evaluateBatches(run.model, run.valBatches);
  const { batchSize, seqLen } = cfg.data;
  state.cost.evalFlops += run.valBatches.length * (batchSize * seqLen) *
    forwardFlopsPerToken(modelCfg, seqLen);
  const extra: Record<string, unknown> = {};
  const ctx = { addEvalFlops: (flops: number) => void (state.cost.evalFlops += flops) };
  for (const hook of run.hooks) Object.assign(extra, await hook(run.model, state.step, ctx));
  clock.endEval();
  clock.sync(state.cost as Required<typeof state.cost>);
  const line: MetricsLine = {
    step: state.step,
    tokens: state.cost.tokens,
    trainLoss,
    valLoss: r.loss,
    valLossPerByte: (r.loss * r.tokens) / run.valBytes,
    valPerplexity: r.perplexity,
    valAccuracy: r.accuracy,
    lr,
    gradNorm,
    wallSeconds: state.cost.wallSeconds,
    deviceHours: state.cost.deviceHours,
    trainFlops: state.cost.trainFlops,
    evalFlops: state.cost.evalFlops,
    cpuSeconds: state.cost.cpuSeconds,
    evalDeviceHours: state.cost.evalDeviceHours,
    deviceHoursBasis: clock.basis,
    ...extra,
  };
  appendMetricsLine(run.outDir, line);
  run.progress.log(logLine(run, line));
  return line;
}
