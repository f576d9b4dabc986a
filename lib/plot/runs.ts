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
 * import assert from "node:assert/strict";
 * import { appendMetricsLine } from "../io/run_folder.ts";
 * import { loadRun } from "./runs.ts";
 * const dir = Deno.makeTempDirSync();
 * appendMetricsLine(dir, { step: 0, tokens: 0, trainLoss: null, valLoss: 5, valPerplexity: 148.4,
 *   valAccuracy: 0, lr: 0, gradNorm: null, wallSeconds: 0, deviceHours: 0, trainFlops: 0,
 *   evalFlops: 0 });
 * const run = loadRun(dir, "symmetric, dropout 0");
 * assert.equal(run.record.init, "symmetric, dropout 0");
 * assert.equal(run.metrics.length, 1);
 * assert.equal(run.summary, null); // not finished
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
 * import assert from "node:assert/strict";
 * import { cloneDirOf } from "./runs.ts";
 * const record = { id: "r", spec: "s", preset: "p", kind: "target" as const, init: "sym",
 *   group: "small", seed: 0, source: "small-1", clone: "small-symmetric-2" };
 * const run = { record, dir: "runs/s/p/runs/r", metrics: [], summary: null, sourceCost: null };
 * assert.equal(cloneDirOf(run), "runs/s/p/clones/small-symmetric-2");
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
 * import assert from "node:assert/strict";
 * import { isGpuRun } from "./runs.ts";
 * const device = { backend: "wasm", label: "wasm-simd", accelerators: 1, isGpu: false };
 * assert.equal(isGpuRun({ summary: { device } } as never), false);
 * ```
 */
export function isGpuRun(run: LoadedRun): boolean {
  return Boolean(run.summary?.device.isGpu);
}
