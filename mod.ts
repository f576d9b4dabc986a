/**
 * hyperclone: grow language models with HyperCloning in TensorFlow.js.
 *
 * Train a small GPT-2 or Llama style model, expand it into a wider one that
 * computes exactly the same function, keep training, and measure the compute
 * saved against random initialisation.
 *
 * This module is the public API for notebooks and scripts: a chosen list,
 * grouped below by task. The modules under `lib/` hold more (tiling helpers,
 * CLI commands, run-folder internals); they may change without notice.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cloneParams, computeLogits, initBackend, initParams, PRESETS } from "./mod.ts";
 * await initBackend("cpu");
 * const src = initParams(PRESETS.tiny, 0);
 * const wide = cloneParams(PRESETS.tiny, src, { width: 2, variant: "symmetric" });
 * assert.equal(wide.config.hiddenSize, 2 * PRESETS.tiny.hiddenSize);
 * const ids = [new Int32Array([72, 101, 108, 108, 111])];
 * const [a] = await computeLogits(PRESETS.tiny, src, ids);
 * const [b] = await computeLogits(wide.config, wide.params, ids);
 * // The clone computes the same logits, up to float32 rounding.
 * const maxDiff = Math.max(...a.map((x, i) => Math.abs(x - b[i])));
 * assert.ok(maxDiff < 1e-4, `max |diff| ${maxDiff}`);
 * ```
 *
 * @module
 */

// Backend, errors, host tensors
export {
  BackendError,
  type BackendName,
  type DeviceInfo,
  deviceInfo,
  initBackend,
} from "./lib/backend.ts";
export { UsageError } from "./lib/errors.ts";
export { type HostTensor, hostTensor, type TensorMap } from "./lib/tensor_map.ts";

// Model: config and presets, parameters, forward pass, logits, loss, sampling
export {
  defaultConfig,
  type Family,
  forwardFlopsPerToken,
  type ModelConfig,
  paramCount,
  PRESETS,
  trainFlopsPerToken,
} from "./lib/model/config.ts";
export { initParams, type ParamSpec, paramSpecs } from "./lib/model/params.ts";
export {
  computeLogits,
  createModel,
  crossEntropy,
  disposeModel,
  forward,
  logitsOf,
  type Model,
  modelToHost,
} from "./lib/model/model.ts";
export { sample, type SampleOptions } from "./lib/model/sample.ts";

// Checkpoints (Hugging Face layout) and tensor files
export {
  type Checkpoint,
  type CheckpointTensorReader,
  checkpointTensorReader,
  loadCheckpoint,
  loadCheckpointConfig,
  loadCheckpointTokenizer,
  saveCheckpoint,
  type SaveOptions,
} from "./lib/io/checkpoint.ts";
export { fromHfConfig, toHfConfig } from "./lib/io/hf_config.ts";
export {
  openSafetensors,
  readSafetensors,
  type SafetensorsReader,
  writeSafetensors,
} from "./lib/io/safetensors.ts";
export { decodeNpy, encodeNpy } from "./lib/io/npy.ts";

// Tokenizers
export {
  byteTokenizer,
  type Tokenizer,
  tokenizerFromInfo,
  type TokenizerInfo,
} from "./lib/data/tokenizer.ts";
export {
  hfTokenizer,
  loadHfTokenizer,
  TokenizerError,
  type TokenizerFiles,
} from "./lib/data/hf_tokenizer.ts";
export { type BpeTrainOptions, type BpeTrainResult, trainBpe } from "./lib/data/bpe_train.ts";
export { builtinBpe, resolveTokenizer } from "./lib/data/tokenizer_choice.ts";

// Corpus and batches
export { type Corpus, loadCorpus, type Split, tokenizeSplits } from "./lib/data/corpus.ts";
export { type Batch, BatchSampler, fixedBatches } from "./lib/data/sampler.ts";
export { unigramEntropy } from "./lib/data/stats.ts";

// Training: config, train (resume: `{ resume: true }`), run records
export {
  ConfigError,
  parseTrainConfig,
  resolveModel,
  type TrainConfig,
} from "./lib/train/config.ts";
export { train, type TrainOptions } from "./lib/train/loop.ts";
export { DivergenceError } from "./lib/train/step.ts";
export { loadSplits } from "./lib/train/splits.ts";
export { totalCost } from "./lib/train/cost.ts";
export {
  type MetricsLine,
  readMetrics,
  readSummary,
  type RunSummary,
  type TrainingCost,
} from "./lib/io/run_folder.ts";
export { lrAt } from "./lib/train/schedule.ts";

// Evaluation: loss, multiple-choice tasks and the suite, speed-up
export { type EvalResult, evaluateBatches } from "./lib/eval/evaluate.ts";
export { modelLogProb } from "./lib/eval/logprob.ts";
export {
  type LogProbFn,
  type MultipleChoiceTask,
  parseTaskJsonl,
  type ScoreOptions,
  scoreTask,
  type TaskScore,
} from "./lib/eval/multiple_choice.ts";
export { loadBuiltinTask } from "./lib/eval/builtin_task.ts";
export {
  averageAccuracy,
  BUILTIN_SUITE,
  loadSuite,
  scoreSuite,
  type SuiteScore,
  type TaskResult,
} from "./lib/eval/suite.ts";
export {
  type BootstrapOptions,
  type Curve,
  type Direction,
  type SeedSummary,
  speedup,
  type SpeedupOptions,
  speedupOverSeeds,
  type SpeedupResult,
  timeToTarget,
} from "./lib/eval/speedup.ts";

// Cloning: options and defaults, width and depth growth, verification, symmetry
export {
  CLONE_DEFAULTS,
  cloneConfig,
  CloneOptionError,
  type CloneOptions,
  DEPTH_MODES,
  type DepthMode,
  HEAD_MODES,
  type HeadMode,
  isFunctionPreserving,
  isNoisy,
  type NoisyVariant,
  type ResolvedCloneOptions,
  TIED_MODES,
  type TiedMode,
  validateCloneOptions,
  type VariantName,
  VARIANTS,
} from "./lib/clone/options.ts";
export { cloneParams, type ClonePlan, planClone, type TensorPlan } from "./lib/clone/plan.ts";
export { type DepthLayer, depthLayers } from "./lib/clone/depth.ts";
export {
  cloneCheckpoint,
  type CloneCheckpointOptions,
  type CloneRecord,
  CloneVerificationError,
} from "./lib/clone/checkpoint.ts";
export { verifyClone, type VerifyOptions, type VerifyReport } from "./lib/clone/verify.ts";
export {
  depthSymmetry,
  type DepthSymmetryEntry,
  singularValues,
  type SymmetryEntry,
  type SymmetryOptions,
  symmetryReport,
  symmetrySummary,
} from "./lib/clone/symmetry.ts";

// Experiments: specs, grids, ablation runs, results and cost axes
export {
  parseSpec,
  presetOf,
  readSpec,
  type ResolvedPreset,
  type Spec,
} from "./lib/experiments/spec.ts";
export { expandGrid, parseShard } from "./lib/experiments/grid.ts";
export {
  runGrid,
  type RunGridOptions,
  type RunGridReport,
  writeResults,
} from "./lib/experiments/runner.ts";
export {
  type Axis,
  computeResults,
  type Experiment,
  experimentDir,
  findExperiments,
  type GridFile,
  type LoadedRun,
  loadExperiment,
  readResults,
  type ResultsFile,
} from "./lib/experiments/results.ts";
export { formatTable } from "./lib/experiments/report.ts";
export {
  formatMeanSd,
  formatSpeedup,
  markdownTable,
  type ResultRow,
  resultRows,
} from "./lib/format.ts";
export {
  axisTitle,
  COST_AXES,
  type CostAxis,
  costCurve,
  type CostCurveOptions,
  costOn,
  type CostRecord,
  type DeviceHoursKind,
  referenceStepFlops,
} from "./lib/experiments/costs.ts";
export {
  type DegenerateSource,
  degenerateSources,
  specWarnings,
} from "./lib/experiments/degenerate.ts";

// Figures and plots
export type { Figure } from "./lib/plot/figure.ts";
export type { MetricName } from "./lib/plot/curves.ts";
export {
  accuracyVsDeviceHours,
  curvesFigure,
  type CurvesOptions,
  lossVsTokens,
  mainFigure,
  type Panel,
  panelsFigure,
  sourceQuality,
  sourceSize,
  spectraFigure,
  speedupBars,
  symmetryFigure,
  taskAccuracyFigure,
  variantAblation,
} from "./lib/plot/figures.ts";
export { renderFigures, type RenderOptions, type RenderResult } from "./lib/plot/render.ts";
export { experimentFigures, paperFigures, resultsOf, runSpectra } from "./lib/plot/paper.ts";
export { loadRun } from "./lib/plot/runs.ts";
export { speedupTable } from "./lib/plot/tables.ts";
export { checkpointSpectrum, type Spectrum } from "./lib/plot/spectra.ts";

// Notebook display and helpers (notebooks stay thin)
export {
  display,
  figureBundle,
  type MimeBundle,
  PLOTLY_MIME,
  showFigure,
  type ShowFigureOptions,
  showTable,
  type TableOptions,
} from "./lib/plot/display.ts";
export { runExperiment, type RunExperimentOptions } from "./lib/notebooks/experiment.ts";
export {
  checkpointFiles,
  randomHfCheckpoint,
  sampleText,
  verificationRow,
} from "./lib/notebooks/helpers.ts";
export { cloneTrainConfig, sourceConfig } from "./lib/notebooks/presets.ts";
export {
  type CheckpointEval,
  evaluateCheckpoint,
  smallBpeCheckpoint,
  trainFurther,
} from "./lib/notebooks/byo.ts";
