/**
 * Runs as figures see them: experiment runs come from
 * lib/experiments/results.ts (`loadExperiment(dir).runs`); a plain training
 * folder (e.g. one a notebook trained by hand) can join them with
 * {@link loadRun}.
 *
 * @module
 */
import * as path from "node:path";
import { readCloneRecord, readMetrics, readSummary } from "../io/run_folder.ts";
import type { LoadedRun } from "../experiments/results.ts";

export type { LoadedRun };

/**
 * A plain training run folder (train.json, metrics.jsonl, summary.json) as a
 * {@link LoadedRun} labelled `init`, so the figure builders can plot it.
 *
 * @example
 * ```ts
 * import { loadRun } from "./runs.ts";
 * const run = loadRun("runs/nb/symmetric-dropout0", "symmetric, dropout 0");
 * ```
 */
export function loadRun(dir: string, init: string, seed = 0): LoadedRun {
  const metrics = readMetrics(dir);
  if (metrics.length === 0) {
    throw new Error(`${dir}: no metrics.jsonl lines; train the run first`);
  }
  const summary = readSummary(dir);
  return {
    record: {
      id: path.basename(dir),
      spec: "adhoc",
      preset: "adhoc",
      kind: "target",
      init,
      group: init,
      seed,
      source: null,
      clone: null,
    },
    dir,
    metrics,
    summary,
    sourceCost: summary?.sourceCost ?? null,
  };
}

/**
 * The clone checkpoint a run started from: `clones/<id>` of its experiment,
 * or the `init` folder of its train.json. Null for random init.
 *
 * @example
 * ```ts
 * import { cloneDirOf, loadRun } from "./runs.ts";
 * const start = cloneDirOf(loadRun("runs/nb/sym", "symmetric"));
 * ```
 */
export function cloneDirOf(run: LoadedRun): string | null {
  if (run.record.clone) {
    return path.join(path.dirname(path.dirname(run.dir)), "clones", run.record.clone);
  }
  const summaryInit = run.summary?.init;
  if (summaryInit && readCloneRecord(summaryInit)) return summaryInit;
  return null;
}

/**
 * Whether a run's device-hours are GPU-hours.
 *
 * @example
 * ```ts
 * import { isGpuRun } from "./runs.ts";
 * // isGpuRun(run) is false for runs on the wasm or cpu backends
 * ```
 */
export function isGpuRun(run: LoadedRun): boolean {
  return Boolean(run.summary?.device.isGpu);
}
