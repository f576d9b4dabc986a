/**
 * Setting up a training run before its first step: claiming the run folder,
 * loading the starting weights and their provenance (random init, a
 * checkpoint, or a clone of one), and either starting fresh or restoring the
 * checkpoint's weights, optimiser moments, sampler and costs for an exact
 * resume.
 *
 * @module
 */
import * as fs from "node:fs";
import { type ModelConfig } from "../model/config.ts";
import { initParams } from "../model/params.ts";
import { createModel, type Model } from "../model/model.ts";
import { byteCount, type Tokenizer } from "../data/tokenizer.ts";
import { type Batch, BatchSampler, fixedBatches } from "../data/sampler.ts";
import { loadCheckpoint } from "../io/checkpoint.ts";
import { readSafetensors } from "../io/safetensors.ts";
import type { TensorMap } from "../tensor_map.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import {
  readCheckpointExtra,
  readCloneRecord,
  readMetrics,
  readRunState,
  readSummary,
  runPaths,
  type RunState,
  type RunSummary,
  type TrainingCost,
  writeMetrics,
  zeroCost,
} from "../io/run_folder.ts";
import type { CloneRecord } from "../clone/checkpoint.ts";
import { type AdamWState, createAdamW } from "./adamw.ts";
import { ConfigError, resolveModel, type TrainConfig } from "./config.ts";
import { checkpointCost } from "./cost.ts";
import { loadSplits } from "./splits.ts";

/** Where a run's weights come from. */
export interface RunStart {
  /** The checkpoint folder it starts from (null: random init). */
  init: string | null;
  /** Training cost of that checkpoint, its own earlier stages included (null: none). */
  sourceCost: TrainingCost | null;
  /** clone.json of the init folder when it is a clone. */
  cloneRecord: CloneRecord | null;
}

/** A run ready for its next step. */
export interface RunSetup {
  cfg: TrainConfig;
  outDir: string;
  tokenizer: Tokenizer;
  modelCfg: ModelConfig;
  start: RunStart;
  model: Model;
  opt: AdamWState;
  sampler: BatchSampler;
  /** Mutable: the loop advances it and saves it with each checkpoint. */
  state: RunState;
  /** The fixed validation batches and the UTF-8 bytes their targets stand for. */
  valBatches: Batch[];
  valBytes: number;
}

/**
 * Checks the run folder against this call and claims it (writes train.json).
 * Returns the summary when the run already finished and `resume` is set; a
 * finished or unfinished run without `resume`, or a different config, is a
 * ConfigError.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { claimRunFolder } from "./setup.ts";
 * import { parseTrainConfig } from "./config.ts";
 * const dir = Deno.makeTempDirSync();
 * const cfg = parseTrainConfig({ model: { preset: "tiny" }, steps: 2 });
 * assert.equal(await claimRunFolder(cfg, dir, false), null);
 * await assert.rejects(claimRunFolder(cfg, dir, false), /unfinished run/);
 * ```
 */
export async function claimRunFolder(
  cfg: TrainConfig,
  outDir: string,
  resume: boolean,
): Promise<RunSummary | null> {
  const paths = runPaths(outDir);
  const done = readSummary(outDir);
  if (done) {
    if (resume) return done;
    throw new ConfigError(
      `${outDir} holds a finished run; pass --resume to reuse it or choose another --out`,
    );
  }
  const cfgJson = JSON.stringify(cfg, null, 2);
  if (fs.existsSync(paths.train)) {
    if (!resume) {
      throw new ConfigError(
        `${outDir} holds an unfinished run; pass --resume to continue it or choose another --out`,
      );
    }
    if (fs.readFileSync(paths.train, "utf8") !== cfgJson) {
      throw new ConfigError(
        `${outDir}/train.json differs from this config; resume with the original config or use another --out`,
      );
    }
  } else {
    fs.mkdirSync(outDir, { recursive: true });
    await writeFileAtomic(paths.train, cfgJson);
  }
  return null;
}

/**
 * The model config and weights a run starts from, with their provenance: the
 * `init` checkpoint (its recorded cost, or its clone source's) or a random
 * init from `cfg.seed`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startingWeights } from "./setup.ts";
 * import { parseTrainConfig } from "./config.ts";
 * import { byteTokenizer } from "../data/tokenizer.ts";
 * const cfg = parseTrainConfig({ model: { preset: "tiny" }, steps: 2 });
 * const { start } = await startingWeights(cfg, byteTokenizer);
 * assert.deepEqual(start, { init: null, sourceCost: null, cloneRecord: null });
 * ```
 */
export async function startingWeights(
  cfg: TrainConfig,
  tokenizer: Tokenizer,
): Promise<{ modelCfg: ModelConfig; params: TensorMap; start: RunStart }> {
  if (!cfg.init) {
    const modelCfg = resolveModel(
      cfg,
      "config",
      cfg.tokenizer ? tokenizer.info.vocabSize : undefined,
    );
    const start = { init: null, sourceCost: null, cloneRecord: null };
    return { modelCfg, params: initParams(modelCfg, cfg.seed), start };
  }
  const ck = await loadCheckpoint(cfg.init);
  const modelCfg = { ...ck.config, dropout: cfg.dropout ?? ck.config.dropout };
  const cloneRecord = readCloneRecord(cfg.init);
  // A clone carries no cost of its own: charge the checkpoint it was made from.
  const sourceCost = checkpointCost(ck.extra) ??
    (cloneRecord ? checkpointCost(readCheckpointExtra(cloneRecord.source.path)) : null);
  return { modelCfg, params: ck.params, start: { init: cfg.init, sourceCost, cloneRecord } };
}

/** Restores the loop state from `outDir/checkpoint`, dropping metrics logged after it. */
async function resumeState(outDir: string, splits: Int32Array, samplerOpts: SamplerOpts) {
  const paths = runPaths(outDir);
  const { params } = await loadCheckpoint(paths.checkpoint);
  const state = readRunState(outDir)!;
  const sampler = BatchSampler.restore(splits, samplerOpts, state.sampler);
  const mom = (await readSafetensors(paths.optimizer)).tensors;
  const pick = (prefix: string) =>
    new Map([...mom].filter(([k]) => k.startsWith(prefix)).map(([k, t]) => [k.slice(2), t]));
  const moments = { step: state.optimizerStep, m: pick("m."), v: pick("v.") };
  // The resumed run logs later evaluations again.
  await writeMetrics(outDir, readMetrics(outDir).filter((l) => l.step <= state.step));
  return { params, state, sampler, moments };
}

type SamplerOpts = { batchSize: number; seqLen: number; seed: number };

/**
 * Sets up a run whose folder is claimed ({@link claimRunFolder}): starting
 * weights, data, validation batches, and the loop state (fresh, or restored
 * from the checkpoint when `resume` is set and one exists). The caller owns
 * the returned model and optimiser (disposeModel / disposeAdamW).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend.ts";
 * import { claimRunFolder, setUpRun } from "./setup.ts";
 * import { parseTrainConfig } from "./config.ts";
 * import { byteTokenizer } from "../data/tokenizer.ts";
 * import { disposeModel } from "../model/model.ts";
 * import { disposeAdamW } from "./adamw.ts";
 * await initBackend("cpu");
 * const dir = Deno.makeTempDirSync();
 * const cfg = parseTrainConfig({
 *   model: { preset: "tiny" }, data: { seqLen: 16, batchSize: 2 }, steps: 2, evalBatches: 1,
 * });
 * await claimRunFolder(cfg, dir, false);
 * const run = await setUpRun(cfg, dir, byteTokenizer, false);
 * assert.equal(run.state.step, 0);
 * disposeModel(run.model), disposeAdamW(run.opt);
 * ```
 */
export async function setUpRun(
  cfg: TrainConfig,
  outDir: string,
  tokenizer: Tokenizer,
  resume: boolean,
): Promise<RunSetup> {
  let { modelCfg, params, start } = await startingWeights(cfg, tokenizer);
  const { seqLen, batchSize } = cfg.data;
  if (seqLen > modelCfg.maxPositions) {
    throw new ConfigError(
      `data.seqLen ${seqLen} exceeds the model's maxPositions ${modelCfg.maxPositions}`,
    );
  }
  const splits = loadSplits(cfg.data.source, tokenizer);
  const samplerOpts = { batchSize, seqLen, seed: cfg.seed };
  const valBatches = fixedBatches(splits.validation, { batchSize, seqLen, count: cfg.evalBatches });
  // UTF-8 bytes the validation targets stand for: loss per byte compares tokenizers.
  const valBytes = valBatches.reduce((n, b) => n + byteCount(tokenizer, b.targets), 0);

  let state: RunState, sampler: BatchSampler;
  let moments: { step: number; m: TensorMap; v: TensorMap } | undefined;
  if (resume && fs.existsSync(runPaths(outDir).state)) {
    ({ params, state, sampler, moments } = await resumeState(outDir, splits.train, samplerOpts));
  } else {
    sampler = new BatchSampler(splits.train, samplerOpts);
    state = { step: 0, sampler: sampler.state(), cost: zeroCost(), optimizerStep: 0 };
    await writeMetrics(outDir, []);
  }
  const model = createModel(modelCfg, params);
  const opt = createAdamW(model.vars, moments);
  return {
    cfg,
    outDir,
    tokenizer,
    modelCfg,
    start,
    model,
    opt,
    sampler,
    state,
    valBatches,
    valBytes,
  };
}
