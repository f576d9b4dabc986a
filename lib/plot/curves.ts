/**
 * Metric-versus-cost curves of runs: the values behind every line figure.
 * Costs come from the one definition in lib/experiments/costs.ts, so a
 * figure's x is the table's x.
 *
 * @module
 */
import type { MetricsLine, TrainingCost } from "../io/run_folder.ts";
import type { Curve } from "../eval/speedup.ts";
import {
  axisTitle,
  type CostAxis,
  costCurve,
  costOn,
  deviceHoursKind,
  referenceStepFlops,
  sourceCharge,
} from "../experiments/costs.ts";
import type { LoadedRun } from "./runs.ts";

export type { CostAxis };

/**
 * Metrics a curve can show. "accuracy" is the suite's average accuracy when
 * logged (`avgAccuracy`), else the single built-in task's (`taskAccuracy`,
 * old runs), else next-byte accuracy; `task:<name>` is one task's score
 * from `taskScores`.
 */
export type MetricName =
  | "accuracy"
  | "avgAccuracy"
  | "valLoss"
  | "valAccuracy"
  | "taskAccuracy"
  | "trainLoss"
  | `task:${string}`;

/** A metric with "accuracy" resolved. */
export type ResolvedMetric = Exclude<MetricName, "accuracy">;

/**
 * The cost of a metrics line on `axis`, plus the source's when `src` is
 * given. `stepFlops` is the unit of the steps axis (one baseline step's
 * training FLOPs; lib/experiments/costs.ts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { costAt } from "./curves.ts";
 * const line = { step: 10, tokens: 640, trainFlops: 1e9, deviceHours: 0 } as never;
 * assert.equal(costAt(line, "tokens", null, 1e8), 640);
 * assert.equal(costAt(line, "steps", null, 1e8), 10); // FLOPs in units of a baseline step
 * ```
 */
export function costAt(
  line: MetricsLine,
  axis: CostAxis,
  src: TrainingCost | null,
  stepFlops: number,
): number {
  return costOn(line, axis, stepFlops) + sourceCharge(src, axis, stepFlops);
}

function every(runs: LoadedRun[], has: (l: MetricsLine) => boolean): boolean {
  return runs.length > 0 && runs.every((r) => r.metrics.some(has));
}

/**
 * Resolves "accuracy" to the metric the runs logged: the suite's average
 * accuracy when every run has it, else the single built-in task's, else
 * next-byte accuracy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveMetric } from "./curves.ts";
 * assert.equal(resolveMetric("valLoss", []), "valLoss");
 * ```
 */
export function resolveMetric(metric: MetricName, runs: LoadedRun[]): ResolvedMetric {
  if (metric !== "accuracy") return metric;
  if (every(runs, (l) => typeof l.avgAccuracy === "number")) return "avgAccuracy";
  if (every(runs, (l) => typeof l.taskAccuracy === "number")) return "taskAccuracy";
  return "valAccuracy";
}

/** One task's entry of a metrics line's `taskScores`. */
export interface TaskScore {
  score: number;
  stderr: number;
  n: number;
  metric: "acc" | "acc_norm";
}

/**
 * The task names logged in the runs' `taskScores`, sorted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { taskNames } from "./curves.ts";
 * const run = { metrics: [{ taskScores: { cloze: { score: 0.4 } } }] } as never;
 * assert.deepEqual(taskNames([run]), ["cloze"]);
 * ```
 */
export function taskNames(runs: LoadedRun[]): string[] {
  const names = new Set<string>();
  for (const r of runs) {
    for (const l of r.metrics) {
      const ts = l.taskScores as Record<string, TaskScore> | undefined;
      if (ts && typeof ts === "object") { for (const k of Object.keys(ts)) names.add(k); }
    }
  }
  return [...names].sort();
}

/**
 * The value of `metric` in a metrics line (NaN when absent, e.g. trainLoss at step 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { metricAt } from "./curves.ts";
 * assert.equal(metricAt({ valLoss: 2.5 } as never, "valLoss"), 2.5);
 * assert.equal(metricAt({ taskScores: { cloze: { score: 0.4 } } } as never, "task:cloze"), 0.4);
 * ```
 */
export function metricAt(line: MetricsLine, metric: ResolvedMetric): number {
  return metricWithStderr(line, metric).value;
}

/**
 * A metric with its standard error where the run logged one (the suite
 * average and each task's score; NaN for losses, which have none here).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { metricWithStderr } from "./curves.ts";
 * const line = { avgAccuracy: 0.7, avgAccuracyStderr: 0.01 } as never;
 * assert.deepEqual(metricWithStderr(line, "avgAccuracy"), { value: 0.7, stderr: 0.01 });
 * ```
 */
export function metricWithStderr(
  line: MetricsLine,
  metric: ResolvedMetric,
): { value: number; stderr: number } {
  const num = (v: unknown) => typeof v === "number" ? v : NaN;
  if (metric.startsWith("task:")) {
    const t = (line.taskScores as Record<string, TaskScore> | undefined)?.[metric.slice(5)];
    return { value: num(t?.score), stderr: num(t?.stderr) };
  }
  const se = metric === "avgAccuracy"
    ? line.avgAccuracyStderr
    : metric === "taskAccuracy"
    ? line.taskStderr
    : undefined;
  return { value: num(line[metric]), stderr: num(se) };
}

/** Titles of the cost axes without runs at hand (device-hours as CPU thread-hours). */
export const AXIS_TITLE: Record<CostAxis, string> = {
  deviceHours: axisTitle("deviceHours"),
  tokens: axisTitle("tokens"),
  steps: axisTitle("steps"),
  flops: axisTitle("flops"),
};

/** Metric titles. */
export const METRIC_TITLE: Record<Exclude<ResolvedMetric, `task:${string}`>, string> = {
  avgAccuracy: "average accuracy (zero-shot suite)",
  valLoss: "validation loss (nats/byte)",
  valAccuracy: "next-byte accuracy (validation)",
  taskAccuracy: "built-in task accuracy",
  trainLoss: "training loss",
};

/**
 * The title of a resolved metric.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { metricTitle } from "./curves.ts";
 * assert.equal(metricTitle("task:brown-cloze-v1"), "brown-cloze-v1 accuracy");
 * ```
 */
export function metricTitle(metric: ResolvedMetric): string {
  return metric.startsWith("task:")
    ? `${metric.slice(5)} accuracy`
    : METRIC_TITLE[metric as Exclude<ResolvedMetric, `task:${string}`>];
}

/**
 * Title of a cost axis for these runs: the device-hours axis says whether
 * it shows CPU thread-hours or GPU-hours; every axis says evaluation is
 * excluded and whether the source's training is charged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { costAxisTitle } from "./curves.ts";
 * assert.equal(
 *   costAxisTitle("flops", [], true),
 *   "training FLOPs (evaluation excluded), source training charged",
 * );
 * ```
 */
export function costAxisTitle(axis: CostAxis, runs: LoadedRun[], withSource: boolean): string {
  return axisTitle(axis, { kind: deviceHoursKind(runs), withSource });
}

/**
 * Title of the device-hours axis for these runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deviceHoursTitle } from "./curves.ts";
 * assert.match(deviceHoursTitle([], false), /^device-hours/);
 * ```
 */
export function deviceHoursTitle(runs: LoadedRun[], withSource: boolean): string {
  return costAxisTitle("deviceHours", runs, withSource);
}

/**
 * A run's curve of `metric` against `axis`. `stepFlops` is the steps
 * axis' unit (default: {@link referenceStepFlops} of the run alone, i.e.
 * its own steps); figures pass the experiment's baseline step.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCurve } from "./curves.ts";
 * const line = (step: number, valLoss: number) =>
 *   ({ step, tokens: step * 64, trainFlops: step * 1e6, deviceHours: 0, valLoss });
 * const run = { metrics: [line(0, 5), line(10, 3)], sourceCost: null } as never;
 * const c = runCurve(run, "tokens", "valLoss", false, 1e6);
 * assert.deepEqual(c.x, [0, 640]);
 * assert.deepEqual(c.y, [5, 3]);
 * assert.deepEqual(runCurve(run, "steps", "valLoss", false, 1e6).x, [0, 10]);
 * ```
 */
export function runCurve(
  r: LoadedRun,
  axis: CostAxis,
  metric: ResolvedMetric,
  withSource: boolean,
  stepFlops?: number | null,
): Curve & { step: number[]; se: number[] } {
  const lines = r.metrics.filter((l) => Number.isFinite(metricAt(l, metric)));
  const unit = stepFlops ?? referenceStepFlops([r]);
  return {
    step: lines.map((l) => l.step),
    x: costCurve(r, axis, { withSource, stepFlops: unit }, lines),
    y: lines.map((l) => metricAt(l, metric)),
    se: lines.map((l) => metricWithStderr(l, metric).stderr),
  };
}
