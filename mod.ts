/**
 * hyperclone: grow language models with HyperCloning in TensorFlow.js.
 *
 * Train a small GPT-2 or Llama style model, expand it into a wider one that
 * computes exactly the same function, keep training, and measure the compute
 * saved against random initialisation.
 *
 * @example
 * ```ts
 * import { cloneParams, computeLogits, initBackend, initParams, PRESETS } from "./mod.ts";
 * await initBackend("cpu");
 * const src = initParams(PRESETS.tiny, 0);
 * const wide = cloneParams(PRESETS.tiny, src, { width: 2, variant: "symmetric" });
 * const ids = [new Int32Array([72, 101, 108, 108, 111])];
 * const [a] = await computeLogits(PRESETS.tiny, src, ids);
 * const [b] = await computeLogits(wide.config, wide.params, ids);
 * console.log(Math.max(...a.map((x, i) => Math.abs(x - b[i])))); // ~1e-6
 * ```
 *
 * @module
 */

// Backend and errors
export { BackendError, type DeviceInfo, deviceInfo, initBackend } from "./lib/backend.ts";
export { UsageError } from "./lib/errors.ts";
export { makeRng, type Rng } from "./lib/rng.ts";
export { type HostTensor, hostTensor, type TensorMap } from "./lib/tensor_map.ts";

// Models
export * from "./lib/model/config.ts";
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
export { pickToken, sample, type SampleOptions } from "./lib/model/sample.ts";

// Checkpoints (Hugging Face layout)
export {
  checkpointTensorReader,
  loadCheckpoint,
  loadCheckpointConfig,
  loadCheckpointTokenizer,
  saveCheckpoint,
} from "./lib/io/checkpoint.ts";
export { fromHfConfig, toHfConfig } from "./lib/io/hf_config.ts";
export { openSafetensors, readSafetensors, writeSafetensors } from "./lib/io/safetensors.ts";
export { decodeNpy, encodeNpy } from "./lib/io/npy.ts";

// Data
export {
  byteCount,
  byteTokenizer,
  type Tokenizer,
  tokenizerFromInfo,
  type TokenizerInfo,
} from "./lib/data/tokenizer.ts";
export { hfTokenizer, loadHfTokenizer, TokenizerError } from "./lib/data/hf_tokenizer.ts";
export { trainBpe } from "./lib/data/bpe_train.ts";
export { builtinBpe, resolveTokenizer } from "./lib/data/tokenizer_choice.ts";
export { loadBrownDocuments } from "./lib/data/brown.ts";
export { loadCorpus, tokenizeSplits } from "./lib/data/corpus.ts";
export { BatchSampler, fixedBatches } from "./lib/data/sampler.ts";
export { unigramEntropy } from "./lib/data/stats.ts";

// Training
export {
  ConfigError,
  parseTrainConfig,
  resolveModel,
  type TrainConfig,
} from "./lib/train/config.ts";
export { train } from "./lib/train/loop.ts";
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

// Cloning
export * from "./lib/clone/mod.ts";

// Evaluation
export { type EvalResult, evaluateBatches } from "./lib/eval/evaluate.ts";
export { modelLogProb } from "./lib/eval/logprob.ts";
export { parseTaskJsonl, scoreTask } from "./lib/eval/multiple_choice.ts";
export { loadBuiltinTask } from "./lib/eval/builtin_task.ts";
export {
  averageAccuracy,
  BUILTIN_SUITE,
  loadSuite,
  scoreSuite,
  type SuiteScore,
  type TaskResult,
} from "./lib/eval/suite.ts";
export * from "./lib/eval/speedup.ts";

// Experiments
export { parseSpec, presetOf, readSpec, type Spec } from "./lib/experiments/spec.ts";
export { expandGrid, parseShard } from "./lib/experiments/grid.ts";
export { runGrid, writeResults } from "./lib/experiments/runner.ts";
export {
  computeResults,
  experimentDir,
  findExperiments,
  loadExperiment,
  readResults,
} from "./lib/experiments/results.ts";
export { formatTable } from "./lib/experiments/report.ts";
export {
  axisTitle,
  COST_AXES,
  type CostAxis,
  costCurve,
  costOn,
  referenceStepFlops,
} from "./lib/experiments/costs.ts";
export { degenerateSources, specWarnings } from "./lib/experiments/degenerate.ts";

// Figures and notebook display
export { display, figureBundle, PLOTLY_MIME, showFigure, showTable } from "./lib/plot/display.ts";
export {
  accuracyVsDeviceHours,
  curvesFigure,
  lossVsTokens,
  mainFigure,
  panelsFigure,
  sourceQuality,
  sourceSize,
  spectraFigure,
  speedupBars,
  symmetryFigure,
  taskAccuracyFigure,
  variantAblation,
} from "./lib/plot/figures.ts";
export type { Figure } from "./lib/plot/figure.ts";
export { renderFigures } from "./lib/plot/render.ts";
export { experimentFigures, paperFigures, resultsOf, runSpectra } from "./lib/plot/paper.ts";
export { loadRun } from "./lib/plot/runs.ts";
export { speedupTable } from "./lib/plot/tables.ts";
export { checkpointSpectrum } from "./lib/plot/spectra.ts";

// Notebook helpers (keep notebooks thin)
export { runExperiment } from "./lib/notebooks/experiment.ts";
export {
  checkpointFiles,
  randomHfCheckpoint,
  sampleText,
  verificationRow,
} from "./lib/notebooks/helpers.ts";
export { cloneTrainConfig, sourceConfig } from "./lib/notebooks/presets.ts";
export { evaluateCheckpoint, smallBpeCheckpoint, trainFurther } from "./lib/notebooks/byo.ts";
