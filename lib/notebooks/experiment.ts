/**
 * Running (or loading) an experiment grid from a notebook: the same runner
 * as `hc ablate`, finished runs skipped, so re-executing a notebook loads
 * instead of training. Notebooks run the spec's presets as they are (quick
 * is the demo's size, so `deno task demo` and notebook 02 share their runs):
 * a preset scaled down further would leave the baseline above the source's
 * loss and every speed-up undefined.
 *
 * @module
 */
import { expandGrid } from "../experiments/grid.ts";
import { runGrid } from "../experiments/runner.ts";
import { presetOf, readSpec } from "../experiments/spec.ts";
import { type Experiment, experimentDir, loadExperiment } from "../experiments/results.ts";
import { specWarnings } from "../experiments/degenerate.ts";
import { notebookProgress } from "../train/progress.ts";

/** Options of {@link runExperiment}. */
export interface RunExperimentOptions {
  /** Root of the experiment folders (default "runs"). */
  out?: string;
  /** One line per phase (default console.log). */
  log?: (line: string) => void;
  /**
   * Progress display of each run (default "auto": a compact live table of
   * runs in Jupyter, plain lines elsewhere). Each run's full log goes to
   * its folder (`train.log`).
   */
  progress?: "auto" | "plain" | "silent";
}

/**
 * Runs the grid of `specFile` at `preset` into `out/<spec>/<preset>/` (runs
 * already finished are loaded, interrupted ones resumed) and returns the
 * loaded experiment. The backend must be initialised (initBackend).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend.ts";
 * import { runExperiment } from "./experiment.ts";
 * await initBackend();
 * // Trains the quick grid the first time (minutes); afterwards it loads the runs.
 * const exp = await runExperiment("experiments/variant-ablation.json", "quick", { out: "runs" });
 * assert.equal(exp.runs.length, 6); // one seed of each initialisation
 * ```
 */
export async function runExperiment(
  specFile: string,
  preset: string,
  opts: RunExperimentOptions = {},
): Promise<Experiment> {
  const spec = readSpec(specFile);
  presetOf(spec, preset);
  const log = opts.log ?? ((l: string) => console.log(l));
  for (const w of specWarnings(spec, preset)) log(`warning: ${w}`);
  const grid = expandGrid(spec, preset);
  const dir = experimentDir(opts.out ?? "runs", spec.name, preset);
  const started = performance.now();
  log(
    `${spec.name}/${preset}: ${grid.sources.length} source(s), ${grid.runs.length} run(s) -> ${dir}`,
  );
  const live = (opts.progress ?? "auto") === "auto" ? notebookProgress() : null;
  const r = await runGrid(grid, dir, {
    progress: live ? live.factory : opts.progress === "silent" ? "silent" : "plain",
    log: live ? () => {} : log,
  });
  live?.finish();
  const secs = ((performance.now() - started) / 1000).toFixed(0);
  log(`done in ${secs} s: ${r.trained.length} trained, ${r.skipped.length} loaded`);
  return loadExperiment(dir);
}
