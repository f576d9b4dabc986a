/**
 * Sizes behind each notebook's `preset` parameter cell, so notebooks stay
 * thin and run in minutes at "quick" on a 2-core CPU, and at full size
 * elsewhere. Experiment notebooks run the specs in experiments/ at their own
 * presets (lib/notebooks/experiment.ts).
 *
 * @module
 */
import { parseTrainConfig, type TrainConfig } from "../train/config.ts";

/** The presets every notebook accepts. */
export const NOTEBOOK_PRESETS = ["quick", "standard", "paper"] as const;
/** One of {@link NOTEBOOK_PRESETS}. */
export type NotebookPreset = typeof NOTEBOOK_PRESETS[number];

interface Sizes {
  source: { hiddenSize: number; numLayers: number; numHeads: number; maxPositions: number };
  sourceSteps: number;
  sourceLr: number;
  cloneSteps: number;
  cloneLr: number;
  evalEvery: number;
  seqLen: number;
  batchSize: number;
}

const SIZES: Record<NotebookPreset, Sizes> = {
  // ~1 minute of CPU for the source, seconds per clone run.
  quick: {
    source: { hiddenSize: 32, numLayers: 2, numHeads: 2, maxPositions: 64 },
    // The source must get past the early plateau (~100 steps at this lr) to be worth cloning.
    sourceSteps: 300,
    sourceLr: 2e-2,
    cloneSteps: 40,
    cloneLr: 5e-3,
    evalEvery: 10,
    seqLen: 64,
    batchSize: 16,
  },
  // The CPU-scale sizes of docs (32 -> 64 wide, 600 + 600 steps).
  standard: {
    source: { hiddenSize: 32, numLayers: 2, numHeads: 2, maxPositions: 64 },
    sourceSteps: 600,
    sourceLr: 2e-2,
    cloneSteps: 600,
    cloneLr: 5e-3,
    evalEvery: 50,
    seqLen: 64,
    batchSize: 16,
  },
  // A GPU-sized source (see experiments/variant-ablation.json "paper").
  paper: {
    source: { hiddenSize: 512, numLayers: 12, numHeads: 8, maxPositions: 512 },
    sourceSteps: 20000,
    sourceLr: 1.5e-3,
    cloneSteps: 20000,
    cloneLr: 1e-3,
    evalEvery: 500,
    seqLen: 512,
    batchSize: 64,
  },
};

function sizesOf(preset: string): Sizes {
  const s = SIZES[preset as NotebookPreset];
  if (!s) throw new Error(`preset: '${preset}' is unknown; use ${NOTEBOOK_PRESETS.join(", ")}`);
  return s;
}

/**
 * Training config of the notebooks' source model (GPT-2 style, Brown corpus, bytes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sourceConfig } from "./presets.ts";
 * const cfg = sourceConfig("quick");
 * assert.equal(cfg.steps, 300);
 * assert.throws(() => sourceConfig("huge"), /use quick, standard, paper/);
 * ```
 */
export function sourceConfig(preset: string): TrainConfig {
  const s = sizesOf(preset);
  return parseTrainConfig({
    comment: `notebook source model (${preset})`,
    model: { family: "gpt2", ...s.source },
    data: { source: "brown", seqLen: s.seqLen, batchSize: s.batchSize },
    optim: { lr: s.sourceLr, warmupSteps: Math.ceil(s.sourceSteps / 20) },
    steps: s.sourceSteps,
    evalEvery: s.evalEvery * 3,
    evalBatches: 4,
    checkpointEvery: s.sourceSteps,
  }, `notebook preset ${preset}`);
}

/**
 * Training config that continues a clone checkpoint (`init`) with its own
 * dropout and seed: the short runs of the symmetry notebook.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cloneTrainConfig } from "./presets.ts";
 * const cfg = cloneTrainConfig("quick", "runs/nb/clone-symmetric", { dropout: 0.1 });
 * assert.equal(cfg.init, "runs/nb/clone-symmetric");
 * ```
 */
export function cloneTrainConfig(
  preset: string,
  init: string,
  opts: { dropout?: number; seed?: number } = {},
): TrainConfig {
  const s = sizesOf(preset);
  return parseTrainConfig({
    comment: `notebook clone run (${preset})`,
    init,
    dropout: opts.dropout ?? 0,
    data: { source: "brown", seqLen: s.seqLen, batchSize: s.batchSize },
    optim: { lr: s.cloneLr, warmupSteps: Math.ceil(s.cloneSteps / 20) },
    steps: s.cloneSteps,
    evalEvery: s.evalEvery,
    evalBatches: 4,
    checkpointEvery: s.cloneSteps,
    seed: opts.seed ?? 0,
  }, `notebook preset ${preset}`);
}
