/**
 * The training loop: AdamW, warm-up + cosine, clipping, fixed validation
 * batches every `evalEvery` steps, metrics appended to metrics.jsonl,
 * checkpoints every `checkpointEvery` steps and at the end, and exact resume:
 * the resumed run sees the same batches, dropout masks and optimiser state, so
 * its losses equal the uninterrupted run's.
 *
 * Run directory:
 * - `train.json`: the resolved training config
 * - `metrics.jsonl`: one JSON line per evaluation (append-only)
 * - `checkpoint/`: the latest checkpoint (HF layout + optimizer.safetensors +
 *   state.json), replaced atomically
 * - `summary.json`: written atomically when the run finishes
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as fs from "node:fs";
import * as path from "node:path";
import { type DeviceInfo, deviceInfo } from "../backend.ts";
import { forwardFlopsPerToken, type ModelConfig, trainFlopsPerToken } from "../model/config.ts";
import { initParams } from "../model/params.ts";
import {
  createModel,
  crossEntropy,
  disposeModel,
  forward,
  type Model,
  modelToHost,
} from "../model/model.ts";
import { loadCorpus, tokenizeSplits } from "../data/corpus.ts";
import {
  byteCount,
  byteTokenizer,
  type Tokenizer,
  tokenizerFromInfo,
  type TokenizerInfo,
} from "../data/tokenizer.ts";
import { runTokenizer } from "./tokenizer.ts";
import { type Batch, BatchSampler, fixedBatches, type SamplerState } from "../data/sampler.ts";
import { evaluateBatches } from "../eval/evaluate.ts";
import { adamwStep, createAdamW, disposeAdamW } from "./adamw.ts";
import { lrAt } from "./schedule.ts";
import { ConfigError, resolveModel, type TrainConfig } from "./config.ts";
import { makeProgress, type ProgressOption, withLogFile } from "./progress.ts";
import { writeDirAtomic, writeFileAtomic } from "../io/atomic.ts";
import { loadCheckpoint, saveCheckpoint } from "../io/checkpoint.ts";
import { readSafetensors, writeSafetensors } from "../io/safetensors.ts";
import type { TensorMap } from "../tensor_map.ts";
import { modelLogProb } from "../eval/logprob.ts";
import { loadSuite, scoreSuite } from "../eval/suite.ts";
import type { MultipleChoiceTask } from "../eval/multiple_choice.ts";
import { CLONE_FILE, type CloneRecord } from "../clone/checkpoint.ts";
import { depthSymmetry, symmetrySummary } from "../clone/symmetry.ts";
import { type DeviceHoursBasis, RunClock } from "./device_time.ts";

/**
 * Training cost carried by a checkpoint (cumulative over its own run).
 * `deviceHours` is training only (CPU-thread-hours from CPU time on CPU
 * backends, wall-clock x accelerators on GPUs; lib/train/device_time.ts);
 * evaluation's share is `evalDeviceHours`. Runs written before CPU time was
 * recorded lack the optional fields and charged wall-clock incl. evaluation.
 */
export interface TrainingCost {
  steps: number;
  tokens: number;
  wallSeconds: number;
  deviceHours: number;
  trainFlops: number;
  evalFlops: number;
  cpuSeconds?: number;
  evalWallSeconds?: number;
  evalCpuSeconds?: number;
  evalDeviceHours?: number;
}

/** One line of metrics.jsonl. */
export interface MetricsLine {
  step: number;
  tokens: number;
  trainLoss: number | null;
  valLoss: number;
  /** valLoss in nats per UTF-8 byte of the validation text (comparable across tokenizers). */
  valLossPerByte?: number;
  valPerplexity: number;
  valAccuracy: number;
  lr: number;
  gradNorm: number | null;
  /** Wall-clock of the run so far (training + evaluation), seconds. */
  wallSeconds: number;
  /** Training device-hours so far (evaluation excluded); see TrainingCost. */
  deviceHours: number;
  trainFlops: number;
  evalFlops: number;
  /** CPU seconds of the process so far (all threads, user + system). */
  cpuSeconds?: number;
  /** Evaluation device-hours so far. */
  evalDeviceHours?: number;
  /** How deviceHours was measured (absent in runs written before it was recorded). */
  deviceHoursBasis?: DeviceHoursBasis;
  /** Extra per-eval measurements (task accuracy, symmetry) added by hooks. */
  [extra: string]: unknown;
}

/** What summary.json holds. */
export interface RunSummary {
  done: true;
  steps: number;
  final: MetricsLine;
  device: DeviceInfo;
  model: ModelConfig;
  cost: TrainingCost;
  /** Cost of the model this run started from (0 for random init). */
  sourceCost: TrainingCost | null;
  init: string | null;
}

/** Saved with each checkpoint so a run resumes exactly. */
interface RunState {
  step: number;
  sampler: SamplerState;
  cost: TrainingCost;
  optimizerStep: number;
}

/** Raised when the loss becomes NaN or infinite. */
export class DivergenceError extends Error {}

/** Hooks that add measurements to each metrics line. */
export interface EvalHook {
  (model: Model, step: number): Promise<Record<string, unknown>> | Record<string, unknown>;
}

/** Options of `train`. */
export interface TrainOptions {
  /** Continue from `outDir/checkpoint` (no-op when the run already finished). */
  resume?: boolean;
  /** A mode, or a factory making one reporter per run (e.g. a row of a notebook table). */
  progress?: ProgressOption;
  /** Extra measurements at every evaluation (e.g. task accuracy, symmetry). */
  evalHooks?: EvalHook[];
  /** Tasks scored instead of the built-in suite when `tasks` is "builtin": for tests. */
  suiteTasks?: MultipleChoiceTask[];
  /** Stop (as if killed) after this many steps of this call: for tests. */
  stopAfterSteps?: number;
}

const zeroCost = (): TrainingCost => ({
  steps: 0,
  tokens: 0,
  wallSeconds: 0,
  deviceHours: 0,
  trainFlops: 0,
  evalFlops: 0,
  cpuSeconds: 0,
  evalWallSeconds: 0,
  evalCpuSeconds: 0,
  evalDeviceHours: 0,
});

/** Paths inside a run directory. */
export function runPaths(outDir: string) {
  return {
    train: path.join(outDir, "train.json"),
    metrics: path.join(outDir, "metrics.jsonl"),
    checkpoint: path.join(outDir, "checkpoint"),
    summary: path.join(outDir, "summary.json"),
  };
}

/**
 * Reads a finished run's summary, or null when the run has not finished.
 *
 * @example
 * ```ts
 * import { readSummary } from "./loop.ts";
 * const s = readSummary("runs/demo");
 * ```
 */
export function readSummary(outDir: string): RunSummary | null {
  const p = runPaths(outDir).summary;
  return fs.existsSync(p) ? JSON.parse(fs.readFileSync(p, "utf8")) : null;
}

/**
 * Reads metrics.jsonl, ignoring a torn last line (a kill during the append).
 *
 * @example
 * ```ts
 * import { readMetrics } from "./loop.ts";
 * const lines = readMetrics("runs/demo");
 * ```
 */
export function readMetrics(outDir: string): MetricsLine[] {
  const p = runPaths(outDir).metrics;
  if (!fs.existsSync(p)) return [];
  const out: MetricsLine[] = [];
  for (const line of fs.readFileSync(p, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      break; // torn write at the end of the file
    }
  }
  return out;
}

/**
 * The whole training history a checkpoint carries (its hyperclone.json):
 * its own run's cost (`training`) plus the cost of the model that run started
 * from (`sourceTraining`, itself cumulative). Staged growth (32 -> 64, train,
 * -> 128) thus charges every stage exactly once. The only place stage costs
 * are summed.
 */
export function checkpointCost(extra: Record<string, unknown> | undefined): TrainingCost | null {
  const ok = (t: unknown): t is TrainingCost =>
    typeof t === "object" && t !== null && typeof (t as TrainingCost).deviceHours === "number";
  const own = ok(extra?.training) ? extra.training : null;
  const before = ok(extra?.sourceTraining) ? extra.sourceTraining : null;
  return own ? addCost(before, own) : before;
}

function addCost(a: TrainingCost | null, b: TrainingCost): TrainingCost {
  if (!a) return b;
  const out = { ...b };
  for (const k of Object.keys(b) as (keyof TrainingCost)[]) out[k] = (a[k] ?? 0) + (b[k] ?? 0);
  return out;
}

const dataCache = new Map<string, Record<"train" | "validation" | "test", Int32Array>>();

/** Tokenised splits of a data source (cached per process and tokenizer). */
export function loadSplits(
  source: string,
  tokenizer: TokenizerInfo | Tokenizer = byteTokenizer,
) {
  const tok = "encode" in tokenizer ? tokenizer : tokenizerFromInfo(tokenizer);
  const key = `${source}|${tok.info.type}|${tok.info.sha256 ?? ""}`;
  let s = dataCache.get(key);
  if (!s) {
    s = tokenizeSplits(loadCorpus(source), tok);
    dataCache.set(key, s);
  }
  return s;
}

/** clone.json of a checkpoint directory, or null when it is not a clone. */
export function readCloneRecord(dir: string): CloneRecord | null {
  const p = path.join(dir, CLONE_FILE);
  return fs.existsSync(p) ? JSON.parse(fs.readFileSync(p, "utf8")) : null;
}

/** The training cost recorded in a clone's source checkpoint, if any. */
function sourceCostOfClone(rec: CloneRecord | null): TrainingCost | null {
  const meta = rec && path.join(rec.source.path, "hyperclone.json");
  if (!meta || !fs.existsSync(meta)) return null;
  return checkpointCost(JSON.parse(fs.readFileSync(meta, "utf8")).extra);
}

async function saveRunCheckpoint(
  dir: string,
  model: Model,
  opt: { m: Map<string, tf.Variable>; v: Map<string, tf.Variable> },
  state: RunState,
  tokenizer: Tokenizer,
  sourceCost: TrainingCost | null,
): Promise<void> {
  const params = await modelToHost(model);
  const moments: TensorMap = new Map();
  for (const [k, t] of opt.m) {
    moments.set(`m.${k}`, { shape: [...t.shape], data: (await t.data()) as Float32Array });
  }
  for (const [k, t] of opt.v) {
    moments.set(`v.${k}`, { shape: [...t.shape], data: (await t.data()) as Float32Array });
  }
  await writeDirAtomic(dir, async (tmp) => {
    // The model part is a plain HF checkpoint; optimizer and state ride along.
    await saveCheckpoint(tmp, model.config, params, {
      tokenizer,
      extra: { training: state.cost, ...(sourceCost ? { sourceTraining: sourceCost } : {}) },
      force: true,
    });
    await writeSafetensors(path.join(tmp, "optimizer.safetensors"), moments);
    await Deno.writeTextFile(path.join(tmp, "state.json"), JSON.stringify(state, null, 2));
  }, { force: true });
}

/**
 * Trains a model as `cfg` describes into `outDir`. The backend must be
 * initialised (initBackend). Returns the run summary.
 *
 * @example
 * ```ts
 * import { initBackend } from "../backend.ts";
 * import { parseTrainConfig } from "./config.ts";
 * import { train } from "./loop.ts";
 * await initBackend();
 * const summary = await train(parseTrainConfig({ model: { preset: "tiny" }, steps: 20 }), "runs/example");
 * ```
 */
export async function train(
  cfg: TrainConfig,
  outDir: string,
  opts: TrainOptions = {},
): Promise<RunSummary> {
  const device = deviceInfo();
  const paths = runPaths(outDir);
  // Checked before anything is written: a bad tokenizer is a config error.
  const tokenizer = await runTokenizer(cfg);
  const done = readSummary(outDir);
  if (done) {
    if (opts.resume) return done;
    throw new ConfigError(
      `${outDir} holds a finished run; pass --resume to reuse it or choose another --out`,
    );
  }
  const hasCheckpoint = fs.existsSync(path.join(paths.checkpoint, "state.json"));
  const cfgJson = JSON.stringify(cfg, null, 2);
  if (fs.existsSync(paths.train)) {
    if (!opts.resume) {
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

  // Model and where it starts from.
  let modelCfg: ModelConfig, params: TensorMap;
  let sourceCost: TrainingCost | null = null;
  let cloneRecord: CloneRecord | null = null;
  if (cfg.init) {
    const ck = await loadCheckpoint(cfg.init);
    modelCfg = { ...ck.config, dropout: cfg.dropout ?? ck.config.dropout };
    params = ck.params;
    cloneRecord = readCloneRecord(cfg.init);
    sourceCost = checkpointCost(ck.extra) ?? sourceCostOfClone(cloneRecord);
  } else {
    modelCfg = resolveModel(cfg, "config", cfg.tokenizer ? tokenizer.info.vocabSize : undefined);
    params = initParams(modelCfg, cfg.seed);
  }
  const { seqLen, batchSize } = cfg.data;
  if (seqLen > modelCfg.maxPositions) {
    throw new ConfigError(
      `data.seqLen ${seqLen} exceeds the model's maxPositions ${modelCfg.maxPositions}`,
    );
  }
  const splits = loadSplits(cfg.data.source, tokenizer);
  const samplerOpts = { batchSize, seqLen, seed: cfg.seed };
  const valBatches: Batch[] = fixedBatches(splits.validation, {
    batchSize,
    seqLen,
    count: cfg.evalBatches,
  });
  // UTF-8 bytes the validation targets stand for: loss per byte compares tokenizers.
  const valBytes = valBatches.reduce((n, b) => n + byteCount(tokenizer, b.targets), 0);

  let state: RunState;
  let sampler: BatchSampler;
  let momentsFrom: { step: number; m: TensorMap; v: TensorMap } | undefined;
  if (opts.resume && hasCheckpoint) {
    const ck = await loadCheckpoint(paths.checkpoint);
    params = ck.params;
    state = JSON.parse(fs.readFileSync(path.join(paths.checkpoint, "state.json"), "utf8"));
    state.cost = { ...zeroCost(), ...state.cost };
    sampler = BatchSampler.restore(splits.train, samplerOpts, state.sampler);
    const mom =
      (await readSafetensors(path.join(paths.checkpoint, "optimizer.safetensors"))).tensors;
    const pick = (prefix: string) =>
      new Map([...mom].filter(([k]) => k.startsWith(prefix)).map(([k, t]) => [k.slice(2), t]));
    momentsFrom = { step: state.optimizerStep, m: pick("m."), v: pick("v.") };
    // Drop metrics logged after the checkpoint: the resumed run logs them again.
    const kept = readMetrics(outDir).filter((l) => l.step <= state.step);
    await writeFileAtomic(paths.metrics, kept.map((l) => JSON.stringify(l) + "\n").join(""));
  } else {
    sampler = new BatchSampler(splits.train, samplerOpts);
    state = { step: 0, sampler: sampler.state(), cost: zeroCost(), optimizerStep: 0 };
    if (fs.existsSync(paths.metrics)) fs.rmSync(paths.metrics);
  }

  const model = createModel(modelCfg, params);
  const opt = createAdamW(model.vars, momentsFrom);
  const suite = cfg.tasks === "builtin" ? opts.suiteTasks ?? await loadSuite() : null;

  const varList = [...model.vars.values()];
  const tokensPerStep = batchSize * seqLen;
  const stepFlops = tokensPerStep * trainFlopsPerToken(modelCfg, seqLen);
  const evalFlopsEach = valBatches.length * tokensPerStep * forwardFlopsPerToken(modelCfg, seqLen);
  const schedule = {
    peakLr: cfg.optim.lr,
    warmupSteps: cfg.optim.warmupSteps,
    totalSteps: cfg.steps,
    minRatio: cfg.optim.minLrRatio,
  };
  // The full log always goes to the run's folder, whatever the display shows.
  const progress = withLogFile(
    makeProgress(cfg.steps, state.step, opts.progress, path.basename(path.resolve(outDir))),
    path.join(outDir, "train.log"),
  );
  // Resume-safe: the clock continues the times the checkpoint carried.
  const clock = new RunClock(state.cost, device);
  const syncCost = () => clock.sync(state.cost as Required<TrainingCost>);

  const evaluate = async (trainLoss: number | null, gradNorm: number | null, lr: number) => {
    clock.startEval();
    const r = await evaluateBatches(model, valBatches);
    state.cost.evalFlops += evalFlopsEach;
    const extra: Record<string, unknown> = {};
    if (suite) {
      const stats = { tokens: 0 };
      const sc = await scoreSuite(suite, modelLogProb(model, 16, stats), tokenizer);
      // Attention counted at full window length: a slight over-estimate.
      state.cost.evalFlops += stats.tokens * forwardFlopsPerToken(modelCfg, modelCfg.maxPositions);
      const items = Object.values(sc.taskScores).reduce((n, t) => n + t.n, 0);
      Object.assign(extra, {
        ...sc,
        // Legacy names (readers of older runs): the suite average.
        taskName: "builtin",
        taskAccuracy: sc.avgAccuracy,
        taskStderr: sc.avgAccuracyStderr,
        taskItems: items,
      });
    }
    if (cloneRecord) {
      const host = await modelToHost(model);
      // clone.json written before depth growth existed has no depth fields.
      const depth = {
        depth: cloneRecord.depth ?? 1,
        depthMode: cloneRecord.depthMode ?? "identity",
      };
      extra.symmetry = symmetrySummary(modelCfg, host, {
        width: cloneRecord.width,
        ffn: cloneRecord.ffn,
        heads: cloneRecord.heads,
        ...depth,
      });
      // Depth clones: each new layer vs the layer it was copied from.
      if (depth.depth > 1) extra.depthSymmetry = depthSymmetry(modelCfg, host, depth);
    }
    for (const hook of opts.evalHooks ?? []) Object.assign(extra, await hook(model, state.step));
    clock.endEval();
    syncCost();
    const line: MetricsLine = {
      step: state.step,
      tokens: state.cost.tokens,
      trainLoss,
      valLoss: r.loss,
      valLossPerByte: (r.loss * r.tokens) / valBytes,
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
    fs.appendFileSync(paths.metrics, JSON.stringify(line) + "\n");
    progress.log(
      `step ${state.step}/${cfg.steps} val ${r.loss.toFixed(4)} acc ${r.accuracy.toFixed(3)}` +
        (trainLoss === null ? "" : ` train ${trainLoss.toFixed(4)}`) +
        ` lr ${lr.toExponential(2)}` +
        (typeof extra.avgAccuracy === "number"
          ? ` avg-acc ${extra.avgAccuracy.toFixed(3)}±${
            (extra.avgAccuracyStderr as number).toFixed(3)
          }`
          : ""),
    );
    return line;
  };

  let last: MetricsLine | undefined = readMetrics(outDir).at(-1);
  try {
    if (state.step === 0 && !last) last = await evaluate(null, null, lrAt(0, schedule));
    let lossSum = 0, lossCount = 0, lastNorm = 0, stepsThisCall = 0;
    let windowStart = performance.now(), windowTokens = 0;
    while (state.step < cfg.steps) {
      if (opts.stopAfterSteps !== undefined && stepsThisCall >= opts.stopAfterSteps) {
        throw new Error("stopped by stopAfterSteps");
      }
      const batch = sampler.next();
      const lr = lrAt(state.step, schedule);
      const step = state.step;
      const [lossT, normT] = tf.tidy(() => {
        const ids = tf.tensor2d(batch.inputs, [batchSize, seqLen], "int32");
        const targets = tf.tensor1d(batch.targets, "int32");
        const { value, grads } = tf.variableGrads(
          () =>
            crossEntropy(
              forward(model, ids, { training: true, dropoutSeed: cfg.seed * 1_000_003 + step }),
              targets,
            ),
          varList,
        );
        const norm = adamwStep(model.vars, grads, opt, lr, cfg.optim);
        return [value, norm];
      });
      const loss = (await lossT.data())[0], gradNorm = (await normT.data())[0];
      lossT.dispose(), normT.dispose();
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        throw new DivergenceError(
          `loss became ${loss} (grad norm ${gradNorm}) at step ${
            step + 1
          }; the last good checkpoint ` +
            `is in ${paths.checkpoint} (step ${
              fs.existsSync(paths.checkpoint) ? "saved" : "none"
            }). ` +
            `Lower optim.lr or raise optim.warmupSteps.`,
        );
      }
      state.step += 1, stepsThisCall += 1;
      state.cost.steps += 1;
      state.cost.tokens += tokensPerStep;
      state.cost.trainFlops += stepFlops;
      state.optimizerStep = opt.step;
      lossSum += loss, lossCount += 1, lastNorm = gradNorm, windowTokens += tokensPerStep;
      const now = performance.now();
      progress.update(state.step, {
        loss,
        tokensPerSec: windowTokens / ((now - windowStart) / 1000),
      });
      if (now - windowStart > 10_000) windowStart = now, windowTokens = 0;
      const final = state.step === cfg.steps;
      if (state.step % cfg.evalEvery === 0 || final) {
        last = await evaluate(lossSum / lossCount, lastNorm, lr);
        lossSum = 0, lossCount = 0;
      }
      if (state.step % cfg.checkpointEvery === 0 || final) {
        state.sampler = sampler.state();
        syncCost();
        await saveRunCheckpoint(paths.checkpoint, model, opt, state, tokenizer, sourceCost);
      }
    }
    syncCost();
    const summary: RunSummary = {
      done: true,
      steps: cfg.steps,
      final: last!,
      device,
      model: modelCfg,
      cost: state.cost,
      sourceCost,
      init: cfg.init ?? null,
    };
    await writeFileAtomic(paths.summary, JSON.stringify(summary, null, 2));
    return summary;
  } finally {
    progress.stop();
    disposeAdamW(opt);
    disposeModel(model);
  }
}

/** Total cost of a run including the model it started from. */
export function totalCost(s: RunSummary): TrainingCost {
  return addCost(s.sourceCost, s.cost);
}
