/**
 * Every figure of the kit from a runs folder: what `hc figures` and the
 * paper-figures notebook write.
 *
 * @module
 */
import * as path from "node:path";
import {
  computeResults,
  type Experiment,
  findExperiments,
  loadExperiment,
  readResults,
  type ResultsFile,
} from "../experiments/results.ts";
import type { Figure } from "./figure.ts";
import {
  accuracyVsDeviceHours,
  lossVsTokens,
  mainFigure,
  sourceQuality,
  sourceSize,
  spectraFigure,
  speedupBars,
  symmetryFigure,
  taskAccuracyFigure,
  variantAblation,
} from "./figures.ts";
import { referenceStepFlops } from "../experiments/costs.ts";
import { cloneDirOf, type LoadedRun } from "./runs.ts";
import { checkpointSpectrum, defaultSpectrumTensor, type Spectrum } from "./spectra.ts";
import * as fs from "node:fs";

/**
 * results.json of an experiment folder, or computed from its runs when the
 * grid has not finished writing it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment } from "../experiments/results.ts";
 * import { resultsOf } from "./paper.ts";
 * // Needs the experiment on disk: `deno task hc ablate experiments/variant-ablation.json --preset quick`.
 * const res = resultsOf(loadExperiment("runs/variant-ablation/quick"));
 * assert.equal(res.spec, "variant-ablation");
 * assert.equal(res.preset, "quick");
 * ```
 */
export function resultsOf(exp: Experiment): ResultsFile {
  return readResults(exp.dirs[0]) ?? computeResults(exp);
}

/**
 * Spectra of one weight matrix per initialisation (its lowest seed): at the
 * start (the clone checkpoint) and at the end (the run's checkpoint).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment } from "../experiments/results.ts";
 * import { runSpectra } from "./paper.ts";
 * // Needs the experiment on disk: `deno task hc ablate experiments/variant-ablation.json --preset quick`.
 * const spectra = await runSpectra(loadExperiment("runs/variant-ablation/quick").runs);
 * assert.ok(spectra.length > 0);
 * assert.ok(spectra.every((s) => s.tensor === "transformer.h.0.mlp.c_fc.weight"));
 * ```
 */
export async function runSpectra(runs: LoadedRun[], tensor?: string): Promise<Spectrum[]> {
  const first = new Map<string, LoadedRun>();
  for (const r of [...runs].sort((a, b) => a.record.seed - b.record.seed)) {
    if (!first.has(r.record.init)) first.set(r.record.init, r);
  }
  const out: Spectrum[] = [];
  const starts = new Set<string>();
  for (const [label, r] of first) {
    const name = tensor ?? defaultSpectrumTensor(r.summary?.model.family ?? "gpt2");
    const start = cloneDirOf(r);
    // Runs that share a clone (e.g. dropout 0 and 0.1) share its start spectrum.
    if (start && !starts.has(path.resolve(start))) {
      starts.add(path.resolve(start));
      out.push(await checkpointSpectrum(start, name, `${label} start`));
    }
    const end = path.join(r.dir, "checkpoint");
    if (fs.existsSync(end)) out.push(await checkpointSpectrum(end, name, `${label} end`));
  }
  return out;
}

/**
 * All figures of one experiment, keyed by file name
 * (`<spec>-<preset>-<figure>`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment } from "../experiments/results.ts";
 * import { experimentFigures } from "./paper.ts";
 * // Needs the experiment on disk: `deno task hc ablate experiments/variant-ablation.json --preset quick`.
 * const figs = await experimentFigures(loadExperiment("runs/variant-ablation/quick"));
 * assert.ok("variant-ablation-quick-main" in figs);
 * ```
 */
export async function experimentFigures(exp: Experiment): Promise<Record<string, Figure>> {
  const p = `${exp.grid.spec}-${exp.grid.preset}-`;
  const runs = exp.runs.filter((r) => r.metrics.length > 0);
  const res = resultsOf(exp);
  // The steps axis' unit: one step of this experiment's baseline (costs.ts).
  const stepFlops = referenceStepFlops(runs, exp.grid.baseline);
  const figs: Record<string, Figure> = {
    [p + "main"]: mainFigure(runs, { stepFlops }),
    [p + "accuracy-vs-device-hours"]: accuracyVsDeviceHours(runs),
    [p + "accuracy-vs-device-hours-with-source"]: accuracyVsDeviceHours(runs, {
      includeSourceCost: true,
    }),
    [p + "loss-vs-tokens"]: lossVsTokens(runs),
    [p + "speedup-steps"]: speedupBars(res, "steps"),
    [p + "speedup-device-hours"]: speedupBars(res, "deviceHours"),
    [p + "final-metrics"]: variantAblation(res),
  };
  if (runs.some((r) => r.metrics.some((l) => l.taskScores))) {
    figs[p + "task-accuracy"] = taskAccuracyFigure(runs, { stepFlops });
  }
  if (exp.grid.spec.includes("source-quality")) figs[p + "source-quality"] = sourceQuality(runs);
  if (exp.grid.spec.includes("source-size")) figs[p + "source-size"] = sourceSize(runs);
  if (runs.some((r) => r.metrics.some((l) => Array.isArray(l.symmetry)))) {
    figs[p + "symmetry"] = symmetryFigure(runs);
  }
  const spectra = await runSpectra(runs.filter((r) => cloneDirOf(r)));
  if (spectra.length) figs[p + "spectra"] = spectraFigure(spectra);
  return figs;
}

/**
 * Every figure of every experiment under `runsDir` (folders holding grid.json).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paperFigures } from "./paper.ts";
 * // Every experiment found under runs/, e.g. after `deno task demo`.
 * const figs = await paperFigures("runs");
 * assert.ok(Object.keys(figs).some((name) => name.startsWith("variant-ablation-quick-")));
 * ```
 */
export async function paperFigures(runsDir: string): Promise<Record<string, Figure>> {
  const dirs = findExperiments(runsDir);
  if (fs.existsSync(path.join(runsDir, "grid.json"))) dirs.unshift(runsDir);
  if (dirs.length === 0) {
    throw new Error(
      `${runsDir}: no experiment folders (ROOT/<spec>/<preset>/grid.json); run 'deno task hc ablate' first`,
    );
  }
  const figs: Record<string, Figure> = {};
  for (const d of dirs) Object.assign(figs, await experimentFigures(loadExperiment(d)));
  return figs;
}
