/**
 * Typed readers over the experiment folder contract (docs/run-layout.md) and
 * the speed-up table computed from them. Figures, notebooks and the ablation
 * report read experiments only through this module.
 *
 * Layout of one experiment `ROOT/<spec>/<preset>/`: `grid.json`,
 * `sources/<id>/` (training runs), `clones/<id>/` (clone checkpoints),
 * `runs/<id>/` (training runs with `run.json`), `results.json`.
 *
 * Speed-up definitions (see lib/eval/speedup.ts for the maths):
 * - the metric is validation loss, the target the random-init baseline's
 *   final value smoothed over its last `k` evaluations, paired by seed;
 * - the cost axes (steps = baseline-equivalent steps, tokens, FLOPs,
 *   device-hours; training only; with and without the source's training)
 *   are defined once in lib/experiments/costs.ts, which the figures use too;
 * - when the baseline's final loss is not below a source's final loss, the
 *   speed-ups of that source's inits are undefined (lib/experiments/degenerate.ts).
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  experimentPaths,
  type MetricsLine,
  readGrid,
  readMetrics,
  readRunRecord,
  readSourceSummary,
  readSummary,
  runPaths,
  type RunSummary,
  type TrainingCost,
} from "../io/run_folder.ts";
import { totalCost } from "../train/cost.ts";
import type { TrainConfig } from "../train/config.ts";
import type { StoredCloneOptions } from "../clone/options.ts";
import { type Curve, type SeedSummary, speedupOverSeeds } from "../eval/speedup.ts";
import {
  COST_AXES,
  type CostAxis,
  costCurve,
  type DeviceHoursKind,
  deviceHoursKind,
  referenceStepFlops,
} from "./costs.ts";
import { type DegenerateSource, degenerateSources } from "./degenerate.ts";

/** What kind of run: a model of the target size, or a control (keep training the source). */
export type RunKind = "target" | "control";

/** Contents of `runs/<id>/run.json`. */
export interface RunRecord {
  id: string;
  spec: string;
  preset: string;
  kind: RunKind;
  /** "random", a clone label (e.g. "noisy-symmetric") or "keep-training". */
  init: string;
  /** What the run is compared within (e.g. the source it came from). */
  group: string;
  seed: number;
  /** Source id (under sources/) or null for random init. */
  source: string | null;
  /** Clone id (under clones/) or null. */
  clone: string | null;
}

/** One source model in grid.json. */
export interface GridSource {
  id: string;
  /** Name of the source in the spec. */
  name: string;
  /** How it is trained (for a pretrained source: only names the folder, never run). */
  config: TrainConfig;
  /** An existing checkpoint folder used as the source, with the cost the spec gives it. */
  pretrained?: { path: string; cost: TrainingCost };
}

/** One clone checkpoint in grid.json. */
export interface GridClone {
  id: string;
  source: string;
  /** Options passed to cloneCheckpoint (depth fields absent: width only). */
  options: StoredCloneOptions;
}

/** One training run in grid.json: its record plus its training config. */
export interface GridRun extends RunRecord {
  /** Training config; `init` (if any) is relative to the experiment folder. */
  config: TrainConfig;
}

/** Contents of grid.json: the expanded grid, deterministic from spec and preset. */
export interface GridFile {
  spec: string;
  preset: string;
  comment: string;
  /** Label of the random-init run every other init is compared with. */
  baseline: string;
  /** Evaluations averaged into the speed-up target. */
  k: number;
  /** Init labels in the spec's order (the table's row order). */
  inits: string[];
  sources: GridSource[];
  clones: GridClone[];
  /** Sorted by id; `--shard i/n` takes index mod n. */
  runs: GridRun[];
}

/** One run as read from disk. */
export interface LoadedRun {
  record: RunRecord;
  dir: string;
  metrics: MetricsLine[];
  /** null while the run is unfinished. */
  summary: RunSummary | null;
  /** Training cost of the source it started from (null for random init). */
  sourceCost: TrainingCost | null;
}

/** One experiment read from one or more roots (shards merged). */
export interface Experiment {
  /** The experiment folders read (one per root that has it). */
  dirs: string[];
  grid: GridFile;
  /** Runs of grid.json with a run folder in any of the dirs, in grid order. */
  runs: LoadedRun[];
}

/**
 * The experiment folder of a spec and preset under a root.
 *
 * @example
 * ```ts
 * import { experimentDir } from "./results.ts";
 * experimentDir("runs", "variant-ablation", "quick"); // "tests/fixtures/variant-ablation-quick"
 * ```
 */
export function experimentDir(root: string, spec: string, preset: string): string {
  return path.join(root, spec, preset);
}

/**
 * Finds every experiment folder (one holding grid.json) under a root, sorted.
 *
 * @example
 * ```ts
 * import { findExperiments } from "./results.ts";
 * for (const dir of findExperiments("runs")) console.log(dir);
 * ```
 */
export function findExperiments(root: string): string[] {
  const out: string[] = [];
  if (!fs.existsSync(root)) return out;
  for (const spec of fs.readdirSync(root).sort()) {
    const specDir = path.join(root, spec);
    if (!fs.statSync(specDir).isDirectory()) continue;
    for (const preset of fs.readdirSync(specDir).sort()) {
      if (fs.existsSync(experimentPaths(path.join(specDir, preset)).grid)) {
        out.push(path.join(specDir, preset));
      }
    }
  }
  return out;
}

function sourceCostOf(dirs: string[], sourceId: string | null): TrainingCost | null {
  if (!sourceId) return null;
  for (const d of dirs) {
    const s = readSourceSummary(experimentPaths(d).source(sourceId));
    if (s) return totalCost(s); // a staged source carries its earlier stages
  }
  return null;
}

/**
 * Loads an experiment from one or several experiment folders (e.g. shards
 * run on different machines): grid.json from the first, each run from the
 * first folder holding it finished (else the first holding it at all).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment } from "./results.ts";
 * // Shards of one experiment: `hc ablate SPEC --shard 1/2 --out shardA`, ... on two machines.
 * const shards = [await Deno.makeTempDir(), await Deno.makeTempDir()];
 * // Before either shard has written its grid.json there is nothing to load.
 * assert.throws(() => loadExperiment(shards), /no grid\.json in any of these folders/);
 * ```
 */
export function loadExperiment(expDirs: string | string[]): Experiment {
  const dirs = (Array.isArray(expDirs) ? expDirs : [expDirs]).filter((d) =>
    fs.existsSync(experimentPaths(d).grid)
  );
  if (!dirs.length) throw new Error(`${expDirs}: no grid.json in any of these folders`);
  const grid = readGrid(dirs[0]);
  const runs: LoadedRun[] = [];
  for (const g of grid.runs) {
    const candidates = dirs.map((d) => experimentPaths(d).run(g.id)).filter((d) =>
      fs.existsSync(runPaths(d).run)
    );
    if (!candidates.length) continue;
    const dir = candidates.find((d) => readSummary(d)) ?? candidates[0];
    const summary = readSummary(dir);
    const { config: _c, ...record } = g;
    runs.push({
      record: readRunRecord(dir) ?? record,
      dir,
      metrics: readMetrics(dir),
      summary,
      sourceCost: summary?.sourceCost ?? sourceCostOf(dirs, g.source),
    });
  }
  return { dirs, grid, runs };
}

/** Cost axes of the speed-up table (lib/experiments/costs.ts). */
export const AXES = COST_AXES;
/** One of {@link AXES}. */
export type Axis = CostAxis;

/** Speed-up over seeds on one axis, without and with the source's cost. */
export interface AxisSpeedup {
  without: SpeedupStat;
  withSource: SpeedupStat;
}

/** Compact {@link SeedSummary}: what results.json stores. */
export interface SpeedupStat {
  mean: number | null;
  ci95: [number, number] | null;
  n: number;
  nReached: number;
  /** Ratio per seed (null: never reached), in seed order. */
  values: (number | null)[];
}

/** Mean and sample standard deviation over seeds. */
export interface MeanSd {
  mean: number | null;
  sd: number | null;
  n: number;
}

/** One row of the table: an initialisation over its seeds. */
export interface InitResult {
  init: string;
  kind: RunKind;
  group: string;
  seeds: number[];
  finalValLoss: MeanSd;
  finalValAccuracy: MeanSd;
  /** Built-in task accuracy at the last evaluation (null when not measured). */
  finalTaskAccuracy: MeanSd;
  /**
   * "Accuracy": the suite's average accuracy at the last evaluation when
   * logged (`avgAccuracy`), else the single built-in task's (old runs).
   */
  finalAccuracy: MeanSd;
  /** Set when the baseline never passed this init's source: its speed-ups are undefined. */
  undefinedReason?: string;
  /** Null for the baseline itself, or when its baseline runs are missing. */
  speedup: Record<Axis, AxisSpeedup> | null;
  /** Loss target (baseline's smoothed final val loss), mean over seeds. */
  target: number | null;
}

/** Per-run entry of results.json. */
export interface RunResult {
  id: string;
  init: string;
  kind: RunKind;
  group: string;
  seed: number;
  done: boolean;
  steps: number;
  final: MetricsLine | null;
  cost: TrainingCost | null;
  sourceCost: TrainingCost | null;
}

/** Contents of results.json. */
export interface ResultsFile {
  spec: string;
  preset: string;
  baseline: string;
  metric: "valLoss";
  k: number;
  /** Runs in grid.json / finished among them. */
  total: number;
  finished: number;
  runs: RunResult[];
  inits: InitResult[];
  /** Baseline-equivalent step unit: training FLOPs of one baseline step. */
  baselineStepFlops: number | null;
  /** How device-hours were measured (lib/experiments/costs.ts). */
  deviceHours: DeviceHoursKind;
  /** Sources the baseline never passed (their inits' speed-ups are undefined). */
  degenerate: DegenerateSource[];
}

/**
 * The "accuracy" of a metrics line: the suite's average accuracy, else the
 * old single-task accuracy (runs logged before the suite).
 *
 * @example
 * ```ts
 * import { accuracyOf } from "./results.ts";
 * accuracyOf({ avgAccuracy: 0.41, taskAccuracy: 0.3 } as never); // 0.41
 * ```
 */
export function accuracyOf(line: MetricsLine): number | undefined {
  const v = typeof line.avgAccuracy === "number" ? line.avgAccuracy : line.taskAccuracy;
  return typeof v === "number" ? v : undefined;
}

function meanSd(xs: (number | null | undefined)[]): MeanSd {
  const v = xs.filter((x): x is number => typeof x === "number" && Number.isFinite(x));
  if (!v.length) return { mean: null, sd: null, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = v.length > 1
    ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1))
    : null;
  return { mean, sd, n: v.length };
}

/**
 * A run's validation-loss curve on one axis (lib/experiments/costs.ts), with
 * or without its source's training charged. `baselineStepFlops` is the unit
 * of the steps axis.
 *
 * @example
 * ```ts
 * import { curveOf, loadExperiment } from "./results.ts";
 * const exp = loadExperiment("tests/fixtures/variant-ablation-quick");
 * const c = curveOf(exp.runs[0], "flops", 1);
 * ```
 */
export function curveOf(
  run: LoadedRun,
  axis: Axis,
  baselineStepFlops: number,
  withSource = false,
): Curve {
  return {
    x: costCurve(run, axis, { stepFlops: baselineStepFlops, withSource }),
    y: run.metrics.map((m) => m.valLoss),
  };
}

function stat(s: SeedSummary): SpeedupStat {
  return { mean: s.mean, ci95: s.ci95, n: s.n, nReached: s.nReached, values: s.values };
}

/**
 * Computes results.json's content from a loaded experiment: per-run finals
 * and, per initialisation, final metrics over seeds and speed-ups vs the
 * random-init baseline of the same seed (bootstrap seed 0, 2000 resamples).
 * Only finished runs count; nothing here depends on wall-clock except the
 * device-hours axis.
 *
 * @example
 * ```ts
 * import { computeResults, loadExperiment } from "./results.ts";
 * const res = computeResults(loadExperiment("tests/fixtures/variant-ablation-quick"));
 * console.log(res.inits.map((r) => [r.init, r.speedup?.steps.without.mean]));
 * ```
 */
export function computeResults(exp: Experiment): ResultsFile {
  const { grid } = exp;
  const done = exp.runs.filter((r) => r.summary);
  const baseBySeed = new Map<number, LoadedRun>();
  for (const r of done) {
    if (r.record.init === grid.baseline) baseBySeed.set(r.record.seed, r);
  }
  // One unit for the steps axis: every seed's baseline has the same shape.
  const unit = referenceStepFlops(done, grid.baseline) ?? 1;
  const inits: InitResult[] = [];
  for (const label of grid.inits) {
    const rs = done.filter((r) => r.record.init === label).sort((a, b) =>
      a.record.seed - b.record.seed
    );
    const anyRun = grid.runs.find((g) => g.init === label);
    if (!anyRun) continue;
    const finals = rs.map((r) => r.summary!.final);
    const row: InitResult = {
      init: label,
      kind: anyRun.kind,
      group: anyRun.group,
      seeds: rs.map((r) => r.record.seed),
      finalValLoss: meanSd(finals.map((f) => f.valLoss)),
      finalValAccuracy: meanSd(finals.map((f) => f.valAccuracy)),
      finalTaskAccuracy: meanSd(finals.map((f) => f.taskAccuracy as number | undefined)),
      finalAccuracy: meanSd(finals.map(accuracyOf)),
      speedup: null,
      target: null,
    };
    const pairs = rs.filter((r) => baseBySeed.has(r.record.seed)).map((r) => ({
      run: r,
      base: baseBySeed.get(r.record.seed)!,
    }));
    if (label !== grid.baseline && pairs.length) {
      const sp = {} as Record<Axis, AxisSpeedup>;
      let target = 0;
      // Each seed's treatment is compared with that seed's baseline; the
      // source cost is charged by shifting the treatment's x (costs.ts).
      const k = Math.min(grid.k, ...pairs.map((p) => p.base.metrics.length));
      for (const axis of AXES) {
        const run1 = (withSource: boolean) =>
          speedupOverSeeds(
            pairs.map(({ run, base }) => ({
              baseline: curveOf(base, axis, unit),
              treatment: curveOf(run, axis, unit, withSource),
            })),
            { k, direction: "lower" },
            { seed: 0, resamples: 2000 },
          );
        const without = run1(false);
        sp[axis] = { without: stat(without), withSource: stat(run1(true)) };
        target = without.perSeed.reduce((a, r) => a + r.target, 0) / without.perSeed.length;
      }
      row.speedup = sp;
      row.target = target;
    }
    inits.push(row);
  }
  const runs: RunResult[] = exp.runs.map((r) => ({
    id: r.record.id,
    init: r.record.init,
    kind: r.record.kind,
    group: r.record.group,
    seed: r.record.seed,
    done: Boolean(r.summary),
    steps: r.summary?.steps ?? r.metrics.at(-1)?.step ?? 0,
    final: r.summary?.final ?? null,
    cost: r.summary?.cost ?? null,
    sourceCost: r.sourceCost,
  }));
  const degenerate = degenerateSources(exp);
  for (const row of inits) {
    const ids = new Set(done.filter((r) => r.record.init === row.init).map((r) => r.record.source));
    const d = degenerate.find((x) => ids.has(x.source));
    if (d && row.speedup) row.undefinedReason = d.message;
  }
  return {
    spec: grid.spec,
    preset: grid.preset,
    baseline: grid.baseline,
    metric: "valLoss",
    k: grid.k,
    total: grid.runs.length,
    finished: done.length,
    runs,
    inits,
    baselineStepFlops: referenceStepFlops(done, grid.baseline),
    deviceHours: deviceHoursKind(done),
    degenerate,
  };
}

/** results.json is read (validated) by the run-folder module; re-exported for the figure builders. */
export { readResults } from "../io/run_folder.ts";
