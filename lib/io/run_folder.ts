/**
 * The run folder contract (docs/run-layout.md) in one place: where each file
 * lives, one zod schema per file, and the readers and writers. Every read is
 * validated; a damaged file (or one from another version) is a
 * {@link RunFolderError} naming the file and the field, which the CLI turns
 * into exit code 2. Writers are atomic (lib/io/atomic.ts), except the
 * append-only metrics.jsonl, whose readers ignore a torn last line.
 *
 * A training run folder holds `train.json` (the resolved config),
 * `metrics.jsonl` (one line per evaluation), `checkpoint/` (the latest
 * checkpoint with `state.json` and `optimizer.safetensors`), `summary.json`
 * (when finished) and `train.log`. An experiment folder holds `grid.json`,
 * `results.json`, `sources/<id>/` and `runs/<id>/` (training run folders, the
 * latter with `run.json`) and `clones/<id>/` (checkpoints with `clone.json`).
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { UsageError } from "../errors.ts";
import { writeFileAtomic } from "./atomic.ts";
import { zodMessage } from "../train/config.ts";
import type { DeviceInfo } from "../backend.ts";
import type { ModelConfig } from "../model/config.ts";
import type { SamplerState } from "../data/sampler.ts";
import type { DeviceHoursBasis } from "../train/device_time.ts";
import type { CloneRecord } from "../clone/checkpoint.ts";
import { DEPTH_MODES, HEAD_MODES, TIED_MODES, VARIANTS } from "../clone/options.ts";
import type { GridFile, ResultsFile, RunRecord } from "../experiments/results.ts";

/** File with a clone's provenance, next to its config.json. */
export const CLONE_FILE = "clone.json";

/**
 * A run-folder file that is damaged or was written by another version: the
 * message names the file, the field and the fix. The CLI exits with code 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RunFolderError } from "./run_folder.ts";
 * import { UsageError } from "../errors.ts";
 * assert.ok(new RunFolderError("runs/a/summary.json: steps: Required") instanceof UsageError);
 * ```
 */
export class RunFolderError extends UsageError {
  override name = "RunFolderError";
}

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

/** What summary.json of a finished training run holds. */
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

/**
 * summary.json of a pretrained source (lib/experiments/runner.ts): the cost
 * the spec gives it and the folder its checkpoint links to; nothing was
 * trained or evaluated here.
 */
export interface PretrainedSummary {
  done: true;
  steps: number;
  cost: TrainingCost;
  pretrained: string;
}

/** checkpoint/state.json: what a run needs besides the weights to resume exactly. */
export interface RunState {
  step: number;
  sampler: SamplerState;
  cost: TrainingCost;
  optimizerStep: number;
  /**
   * Train losses summed since the last evaluation (absent in runs written
   * before runs could stop between evaluations: then it is empty).
   */
  lossWindow?: { sum: number; count: number };
}

// ---------------------------------------------------------------- schemas

const num = z.number();
const count = z.number().int().nonnegative();
const cost = z.object({
  steps: num,
  tokens: num,
  wallSeconds: num,
  deviceHours: num,
  trainFlops: num,
  evalFlops: num,
  cpuSeconds: num.optional(),
  evalWallSeconds: num.optional(),
  evalCpuSeconds: num.optional(),
  evalDeviceHours: num.optional(),
}).passthrough();

/** Schema of one metrics.jsonl line (hooks add fields: passthrough). */
export const MetricsLineSchema = z.object({
  step: count,
  tokens: num,
  trainLoss: num.nullable(),
  valLoss: num,
  valLossPerByte: num.optional(),
  // exp(valLoss) overflows to Infinity, which JSON writes as null.
  valPerplexity: num.nullable(),
  valAccuracy: num,
  lr: num,
  gradNorm: num.nullable(),
  wallSeconds: num,
  deviceHours: num,
  trainFlops: num,
  evalFlops: num,
  cpuSeconds: num.optional(),
  evalDeviceHours: num.optional(),
  deviceHoursBasis: z.enum(["cpu-time", "wall-x-accelerators"]).optional(),
}).passthrough();

const device = z.object({
  backend: z.string(),
  label: z.string(),
  accelerators: num,
  isGpu: z.boolean(),
}).passthrough();

const modelConfig = z.object({
  family: z.enum(["gpt2", "llama"]),
  vocabSize: count,
  hiddenSize: count,
  numLayers: count,
  numHeads: count,
  numKvHeads: count,
  headDim: count,
  intermediateSize: count,
  maxPositions: count,
  normEps: num,
  ropeTheta: num,
  tieWordEmbeddings: z.boolean(),
  dropout: num,
}).passthrough();

/** Schema of summary.json of a finished training run. */
export const RunSummarySchema = z.object({
  done: z.literal(true),
  steps: count,
  final: MetricsLineSchema,
  device,
  model: modelConfig,
  cost,
  sourceCost: cost.nullable(),
  init: z.string().nullable(),
}).passthrough();

/** Schema of summary.json of a pretrained source. */
export const PretrainedSummarySchema = z.object({
  done: z.literal(true),
  steps: num,
  cost,
  pretrained: z.string(),
}).passthrough();

/** Schema of checkpoint/state.json. */
export const RunStateSchema = z.object({
  step: count,
  sampler: z.object({ seed: num, step: count, rng: z.array(num).length(4) }).passthrough(),
  // Runs written before some cost fields existed: readers fill them with 0.
  cost: cost.partial().passthrough(),
  optimizerStep: count,
  lossWindow: z.object({ sum: num, count }).optional(),
}).passthrough();

const cloneOptions = {
  width: count,
  ffn: count,
  variant: z.enum(VARIANTS),
  heads: z.enum(HEAD_MODES),
  tied: z.enum(TIED_MODES),
  seed: num,
  snrDb: num,
};

/** Schema of clone.json (depth fields are absent in clones made before depth growth). */
export const CloneRecordSchema = z.object({
  source: z.object({ path: z.string(), sha256: z.string() }).passthrough(),
  ...cloneOptions,
  depth: count.optional(),
  depthMode: z.enum(DEPTH_MODES).optional(),
  operators: z.array(z.string()).optional(),
  functionPreserving: z.boolean().optional(),
  sourceConfig: modelConfig,
  verification: z.object({}).passthrough().nullable(),
}).passthrough();

const runKind = z.enum(["target", "control"]);

/** Schema of runs/<id>/run.json. */
export const RunRecordSchema = z.object({
  id: z.string(),
  spec: z.string(),
  preset: z.string(),
  kind: runKind,
  init: z.string(),
  group: z.string(),
  seed: num,
  source: z.string().nullable(),
  clone: z.string().nullable(),
}).passthrough();

// The training configs as expandGrid wrote them. Readers of grid.json never
// train from them (runs train from the spec's expansion and keep their own
// train.json), and older grids carry since-renamed fields: only the shape is checked.
const trainConfig = z.object({}).passthrough();

/** Schema of grid.json. */
export const GridFileSchema = z.object({
  spec: z.string(),
  preset: z.string(),
  comment: z.string(),
  baseline: z.string(),
  k: count,
  inits: z.array(z.string()),
  sources: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      config: trainConfig,
      pretrained: z.object({ path: z.string(), cost: cost.partial().passthrough() }).optional(),
    }).passthrough(),
  ),
  clones: z.array(
    z.object({
      id: z.string(),
      source: z.string(),
      options: z.object({
        ...cloneOptions,
        depth: count.optional(),
        depthMode: z.enum(DEPTH_MODES).optional(),
      }).passthrough(),
    }).passthrough(),
  ),
  runs: z.array(RunRecordSchema.extend({ config: trainConfig })),
}).passthrough();

const meanSd = z.object({ mean: num.nullable(), sd: num.nullable(), n: count }).passthrough();
const speedupStat = z.object({
  mean: num.nullable(),
  // NaN bounds (too few seeds reached) are written as null by JSON.
  ci95: z.tuple([num.nullable(), num.nullable()]).nullable(),
  n: count,
  nReached: count,
  values: z.array(num.nullable()),
}).passthrough();

/** Schema of results.json (after "Infinity" strings are turned back into numbers). */
export const ResultsFileSchema = z.object({
  spec: z.string(),
  preset: z.string(),
  baseline: z.string(),
  metric: z.literal("valLoss"),
  k: count,
  total: count,
  finished: count,
  runs: z.array(
    z.object({
      id: z.string(),
      init: z.string(),
      kind: runKind,
      group: z.string(),
      seed: num,
      done: z.boolean(),
      steps: num,
      final: MetricsLineSchema.nullable(),
      cost: cost.nullable(),
      sourceCost: cost.nullable(),
    }).passthrough(),
  ),
  inits: z.array(
    z.object({
      init: z.string(),
      kind: runKind,
      group: z.string(),
      seeds: z.array(num),
      finalValLoss: meanSd,
      finalValAccuracy: meanSd,
      // Results written before accuracy was summarised lack these two.
      finalTaskAccuracy: meanSd.optional(),
      finalAccuracy: meanSd.optional(),
      undefinedReason: z.string().optional(),
      speedup: z.record(z.object({ without: speedupStat, withSource: speedupStat })).nullable(),
      target: num.nullable(),
    }).passthrough(),
  ),
  // Absent in results written before these were recorded.
  baselineStepFlops: num.nullable().optional(),
  deviceHours: z.enum(["cpu-time", "gpu-wall", "mixed", "legacy-wall"]).optional(),
  degenerate: z.array(
    z.object({
      source: z.string(),
      name: z.string(),
      sourceFinalValLoss: num,
      baselineTarget: num,
      message: z.string(),
    }).passthrough(),
  ).optional(),
}).passthrough();

/** Schema of the training history in a checkpoint's hyperclone.json (`extra`). */
export const CheckpointExtraSchema = z.object({
  training: cost.optional(),
  sourceTraining: cost.optional(),
}).passthrough();

// ---------------------------------------------------------------- paths

/**
 * Paths inside a training run folder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runPaths } from "./run_folder.ts";
 * assert.equal(runPaths("runs/a").summary, "runs/a/summary.json");
 * assert.equal(runPaths("runs/a").state, "runs/a/checkpoint/state.json");
 * ```
 */
export function runPaths(outDir: string) {
  const checkpoint = path.join(outDir, "checkpoint");
  return {
    train: path.join(outDir, "train.json"),
    metrics: path.join(outDir, "metrics.jsonl"),
    checkpoint,
    state: path.join(checkpoint, "state.json"),
    optimizer: path.join(checkpoint, "optimizer.safetensors"),
    summary: path.join(outDir, "summary.json"),
    log: path.join(outDir, "train.log"),
    run: path.join(outDir, "run.json"),
  };
}

/**
 * Paths inside an experiment folder `ROOT/<spec>/<preset>/`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { experimentPaths } from "./run_folder.ts";
 * const p = experimentPaths("runs/x/quick");
 * assert.equal(p.grid, "runs/x/quick/grid.json");
 * assert.equal(p.run("r1"), "runs/x/quick/runs/r1");
 * ```
 */
export function experimentPaths(expDir: string) {
  return {
    grid: path.join(expDir, "grid.json"),
    results: path.join(expDir, "results.json"),
    source: (id: string) => path.join(expDir, "sources", id),
    clone: (id: string) => path.join(expDir, "clones", id),
    run: (id: string) => path.join(expDir, "runs", id),
  };
}

// ---------------------------------------------------------------- reading

const FIX = "delete the folder (or this file) and rerun";

function parseJson(file: string, text: string, reviver?: (k: string, v: unknown) => unknown) {
  try {
    return JSON.parse(text, reviver);
  } catch (e) {
    throw new RunFolderError(`${file}: not valid JSON (${(e as Error).message}); ${FIX}`);
  }
}

function validate<S extends z.ZodTypeAny>(schema: S, value: unknown, file: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new RunFolderError(`${zodMessage(r.error, file)}; ${FIX}`);
  return r.data;
}

/** A JSON file validated by `schema`, or null when it does not exist. */
function readJson<S extends z.ZodTypeAny>(
  file: string,
  schema: S,
  reviver?: (k: string, v: unknown) => unknown,
): z.output<S> | null {
  if (!fs.existsSync(file)) return null;
  return validate(schema, parseJson(file, fs.readFileSync(file, "utf8"), reviver), file);
}

/**
 * Reads a finished run's summary.json, or null when the run has not finished.
 * A pretrained source's summary (no evaluation) is read by
 * {@link readSourceSummary}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSummary } from "./run_folder.ts";
 * assert.equal(readSummary(Deno.makeTempDirSync()), null);
 * ```
 */
export function readSummary(outDir: string): RunSummary | null {
  return readJson(runPaths(outDir).summary, RunSummarySchema) as RunSummary | null;
}

/**
 * Reads a source's summary.json: a trained source's {@link RunSummary} or a
 * pretrained source's {@link PretrainedSummary}; null when unfinished.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSourceSummary, writePretrainedSummary } from "./run_folder.ts";
 * const dir = Deno.makeTempDirSync();
 * const cost = { steps: 0, tokens: 0, wallSeconds: 0, deviceHours: 0, trainFlops: 5, evalFlops: 0 };
 * await writePretrainedSummary(dir, { done: true, steps: 0, cost, pretrained: "/models/x" });
 * assert.equal(readSourceSummary(dir)!.cost.trainFlops, 5);
 * ```
 */
export function readSourceSummary(outDir: string): RunSummary | PretrainedSummary | null {
  const file = runPaths(outDir).summary;
  if (!fs.existsSync(file)) return null;
  const raw = parseJson(file, fs.readFileSync(file, "utf8"));
  const pretrained = raw && typeof raw === "object" && "pretrained" in raw;
  return validate(pretrained ? PretrainedSummarySchema : RunSummarySchema, raw, file) as
    | RunSummary
    | PretrainedSummary;
}

/**
 * Reads metrics.jsonl, ignoring a torn last line (a kill during the append).
 * A complete line that is not a metrics line is an error naming the line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readMetrics } from "./run_folder.ts";
 * assert.deepEqual(readMetrics(Deno.makeTempDirSync()), []);
 * ```
 */
export function readMetrics(outDir: string): MetricsLine[] {
  const file = runPaths(outDir).metrics;
  if (!fs.existsSync(file)) return [];
  const out: MetricsLine[] = [];
  const lines = fs.readFileSync(file, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(lines[i]);
    } catch {
      break; // torn write at the end of the file
    }
    out.push(validate(MetricsLineSchema, value, `${file} line ${i + 1}`) as MetricsLine);
  }
  return out;
}

/**
 * Reads checkpoint/state.json of a run folder, or null when it has no
 * checkpoint. Cost fields older runs lack are filled with 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readRunState } from "./run_folder.ts";
 * assert.equal(readRunState(Deno.makeTempDirSync()), null);
 * ```
 */
export function readRunState(outDir: string): RunState | null {
  const s = readJson(runPaths(outDir).state, RunStateSchema);
  if (!s) return null;
  return { ...s, cost: { ...zeroCost(), ...s.cost } } as RunState;
}

/**
 * Reads clone.json of a checkpoint folder, or null when it is not a clone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readCloneRecord } from "./run_folder.ts";
 * assert.equal(readCloneRecord(Deno.makeTempDirSync()), null);
 * ```
 */
export function readCloneRecord(dir: string): CloneRecord | null {
  return readJson(path.join(dir, CLONE_FILE), CloneRecordSchema) as CloneRecord | null;
}

/**
 * Reads run.json of a run folder, or null when absent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readRunRecord } from "./run_folder.ts";
 * assert.equal(readRunRecord(Deno.makeTempDirSync()), null);
 * ```
 */
export function readRunRecord(runDir: string): RunRecord | null {
  return readJson(runPaths(runDir).run, RunRecordSchema) as RunRecord | null;
}

/**
 * Reads grid.json of an experiment folder; a missing file is a usage error
 * saying how to make it. The training configs in it are checked to be
 * objects only (see the schema).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readGrid } from "./run_folder.ts";
 * assert.throws(() => readGrid(Deno.makeTempDirSync()), /no grid.json/);
 * ```
 */
export function readGrid(expDir: string): GridFile {
  const grid = readJson(experimentPaths(expDir).grid, GridFileSchema);
  if (!grid) {
    throw new RunFolderError(
      `${expDir}: no grid.json; run 'hc ablate SPEC --preset P --out ROOT' first`,
    );
  }
  return grid as unknown as GridFile;
}

/**
 * Reads results.json of an experiment folder, or null when absent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readResults } from "./run_folder.ts";
 * assert.equal(readResults(Deno.makeTempDirSync()), null);
 * ```
 */
export function readResults(expDir: string): ResultsFile | null {
  const file = experimentPaths(expDir).results;
  if (!fs.existsSync(file)) return null;
  return parseResults(fs.readFileSync(file, "utf8"), file);
}

const infinityReviver = (_k: string, v: unknown) =>
  v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v;

/**
 * Parses and validates results.json text, turning "Infinity" back into a number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseResults } from "./run_folder.ts";
 * assert.throws(() => parseResults('{"inits": []}', "results.json"), /results.json: spec: Required/);
 * ```
 */
export function parseResults(text: string, file = "results.json"): ResultsFile {
  return validate(ResultsFileSchema, parseJson(file, text, infinityReviver), file) as ResultsFile;
}

/**
 * The training history in a checkpoint's hyperclone.json (`extra.training`,
 * `extra.sourceTraining`), or null when the folder has no such file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readCheckpointExtra } from "./run_folder.ts";
 * assert.equal(readCheckpointExtra(Deno.makeTempDirSync()), null);
 * ```
 */
export function readCheckpointExtra(
  dir: string,
): { training?: TrainingCost; sourceTraining?: TrainingCost } | null {
  const file = path.join(dir, "hyperclone.json");
  const meta = readJson(file, z.object({ extra: z.unknown() }).passthrough());
  return meta ? validate(CheckpointExtraSchema, meta.extra ?? {}, `${file} extra`) : null;
}

// ---------------------------------------------------------------- writing

/**
 * A cost with every field 0: a run that has not started.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { zeroCost } from "./run_folder.ts";
 * assert.equal(zeroCost().trainFlops, 0);
 * ```
 */
export function zeroCost(): Required<TrainingCost> {
  return {
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
  };
}

/** Writes `text` atomically unless the file already holds exactly it. */
async function writeIfChanged(file: string, text: string): Promise<void> {
  if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === text) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, text);
}

/**
 * Appends one line to metrics.jsonl (a kill mid-append leaves a torn last
 * line, which {@link readMetrics} ignores).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { appendMetricsLine, readMetrics } from "./run_folder.ts";
 * const dir = Deno.makeTempDirSync();
 * const line = { step: 0, tokens: 0, trainLoss: null, valLoss: 5, valPerplexity: 148.4,
 *   valAccuracy: 0, lr: 0, gradNorm: null, wallSeconds: 0, deviceHours: 0, trainFlops: 0, evalFlops: 0 };
 * appendMetricsLine(dir, line);
 * assert.deepEqual(readMetrics(dir), [line]);
 * ```
 */
export function appendMetricsLine(outDir: string, line: MetricsLine): void {
  fs.appendFileSync(runPaths(outDir).metrics, JSON.stringify(line) + "\n");
}

/**
 * Replaces metrics.jsonl atomically with `lines` (none: removes it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readMetrics, writeMetrics } from "./run_folder.ts";
 * const dir = Deno.makeTempDirSync();
 * await writeMetrics(dir, []);
 * assert.deepEqual(readMetrics(dir), []);
 * ```
 */
export async function writeMetrics(outDir: string, lines: MetricsLine[]): Promise<void> {
  const file = runPaths(outDir).metrics;
  if (!lines.length) {
    if (fs.existsSync(file)) fs.rmSync(file);
    return;
  }
  await writeFileAtomic(file, lines.map((l) => JSON.stringify(l) + "\n").join(""));
}

/**
 * Writes summary.json atomically: the run is finished.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSummary, writeSummary, zeroCost } from "./run_folder.ts";
 * import { PRESETS } from "../model/config.ts";
 * const dir = Deno.makeTempDirSync();
 * const device = { backend: "cpu" as const, label: "cpu", accelerators: 1, isGpu: false };
 * const final = { step: 0, tokens: 0, trainLoss: null, valLoss: 5, valPerplexity: 148.4,
 *   valAccuracy: 0, lr: 0, gradNorm: null, wallSeconds: 0, deviceHours: 0, trainFlops: 0,
 *   evalFlops: 0 };
 * const summary = { done: true as const, steps: 0, final, device, model: PRESETS.tiny,
 *   cost: zeroCost(), sourceCost: null, init: null };
 * await writeSummary(dir, summary);
 * assert.deepEqual(readSummary(dir), summary);
 * ```
 */
export async function writeSummary(outDir: string, summary: RunSummary): Promise<void> {
  await writeFileAtomic(runPaths(outDir).summary, JSON.stringify(summary, null, 2));
}

/**
 * Writes a pretrained source's summary.json atomically.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSourceSummary, writePretrainedSummary } from "./run_folder.ts";
 * const dir = Deno.makeTempDirSync();
 * const cost = { steps: 0, tokens: 0, wallSeconds: 0, deviceHours: 0, trainFlops: 0, evalFlops: 0 };
 * await writePretrainedSummary(dir, { done: true, steps: 0, cost, pretrained: "/models/x" });
 * assert.equal(readSourceSummary(dir)!.steps, 0);
 * ```
 */
export async function writePretrainedSummary(
  dir: string,
  summary: PretrainedSummary,
): Promise<void> {
  await writeFileAtomic(runPaths(dir).summary, JSON.stringify(summary, null, 2) + "\n");
}

/**
 * Writes state.json into a checkpoint folder (being built: `dir` is the
 * checkpoint folder itself, not the run folder).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readRunState, writeRunState, zeroCost } from "./run_folder.ts";
 * const run = Deno.makeTempDirSync();
 * Deno.mkdirSync(`${run}/checkpoint`);
 * const sampler = { seed: 0, step: 3, rng: [1, 2, 3, 4] };
 * const state = { step: 3, sampler, cost: zeroCost(), optimizerStep: 3 };
 * await writeRunState(`${run}/checkpoint`, state);
 * assert.equal(readRunState(run)!.step, 3);
 * ```
 */
export async function writeRunState(checkpointDir: string, state: RunState): Promise<void> {
  await writeFileAtomic(path.join(checkpointDir, "state.json"), JSON.stringify(state, null, 2));
}

/**
 * Writes clone.json into a (possibly temporary) checkpoint folder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readCloneRecord, writeCloneRecord } from "./run_folder.ts";
 * import { PRESETS } from "../model/config.ts";
 * import type { CloneRecord } from "../clone/checkpoint.ts";
 * const dir = Deno.makeTempDirSync();
 * const record: CloneRecord = { source: { path: "/models/s", sha256: "00" }, width: 2, ffn: 2,
 *   variant: "symmetric", heads: "more", tied: "fold-norm", seed: 0, snrDb: 0, depth: 1,
 *   depthMode: "identity", operators: [], functionPreserving: true,
 *   sourceConfig: PRESETS.tiny, verification: null };
 * await writeCloneRecord(dir, record);
 * assert.deepEqual(readCloneRecord(dir), record);
 * ```
 */
export async function writeCloneRecord(dir: string, record: CloneRecord): Promise<void> {
  await writeFileAtomic(path.join(dir, CLONE_FILE), JSON.stringify(record, null, 2) + "\n");
}

/**
 * Writes run.json (atomically, only when its content changed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readRunRecord, writeRunRecord } from "./run_folder.ts";
 * const dir = Deno.makeTempDirSync();
 * const rec = { id: "r", spec: "s", preset: "p", kind: "target" as const, init: "random",
 *   group: "random", seed: 0, source: null, clone: null };
 * await writeRunRecord(dir, rec);
 * assert.deepEqual(readRunRecord(dir), rec);
 * ```
 */
export async function writeRunRecord(runDir: string, record: RunRecord): Promise<void> {
  await writeIfChanged(runPaths(runDir).run, JSON.stringify(record, null, 2) + "\n");
}

/**
 * Writes grid.json (atomically, only when its content changed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readGrid, writeGrid } from "./run_folder.ts";
 * const dir = Deno.makeTempDirSync();
 * const grid = { spec: "s", preset: "quick", comment: "", baseline: "random", k: 1,
 *   inits: [], sources: [], clones: [], runs: [] };
 * await writeGrid(dir, grid);
 * assert.deepEqual(readGrid(dir), grid);
 * ```
 */
export async function writeGrid(expDir: string, grid: GridFile): Promise<void> {
  await writeIfChanged(experimentPaths(expDir).grid, JSON.stringify(grid, null, 2) + "\n");
}

/**
 * results.json text: JSON with infinite speed-ups (a treatment that starts
 * at or beyond the target) written as the string "Infinity".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resultsJson } from "./run_folder.ts";
 * assert.equal(resultsJson({ x: Infinity } as never), '{\n  "x": "Infinity"\n}\n');
 * ```
 */
export function resultsJson(res: ResultsFile): string {
  return JSON.stringify(
    res,
    (_k, v) => (v === Infinity ? "Infinity" : v === -Infinity ? "-Infinity" : v),
    2,
  ) + "\n";
}

/**
 * Writes results.json atomically.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readResults, writeResultsFile } from "./run_folder.ts";
 * const dir = Deno.makeTempDirSync();
 * const res = { spec: "s", preset: "quick", baseline: "random", metric: "valLoss" as const,
 *   k: 1, total: 0, finished: 0, runs: [], inits: [], baselineStepFlops: null,
 *   deviceHours: "cpu-time" as const, degenerate: [] };
 * await writeResultsFile(dir, res);
 * assert.deepEqual(readResults(dir), res);
 * ```
 */
export async function writeResultsFile(expDir: string, res: ResultsFile): Promise<void> {
  await writeFileAtomic(experimentPaths(expDir).results, resultsJson(res));
}
