/**
 * Metric-versus-cost curves of runs: the values behind every line figure.
 *
 * @module
 */
import type { MetricsLine, TrainingCost } from "../train/loop.ts";
import type { Curve } from "../eval/speedup.ts";
import { isGpuRun, type LoadedRun } from "./runs.ts";

/** Cost axes a curve can be drawn against. */
export type CostAxis = "deviceHours" | "tokens" | "steps" | "flops";

/** Metrics a curve can show. "accuracy" is the built-in task's when logged, else next-token. */
export type MetricName = "accuracy" | "valLoss" | "valAccuracy" | "taskAccuracy" | "trainLoss";

/**
 * The cost of a metrics line on `axis`, plus the source's when `src` is given.
 *
 * @example
 * ```ts
 * import { costAt } from "./curves.ts";
 * costAt({ step: 10, tokens: 640 } as never, "tokens", null); // 640
 * ```
 */
export function costAt(line: MetricsLine, axis: CostAxis, src: TrainingCost | null): number {
  const s = src ?? { steps: 0, tokens: 0, deviceHours: 0, trainFlops: 0, evalFlops: 0 };
  switch (axis) {
    case "deviceHours":
      return line.deviceHours + s.deviceHours;
    case "tokens":
      return line.tokens + s.tokens;
    case "steps":
      return line.step + s.steps;
    case "flops":
      return line.trainFlops + line.evalFlops + s.trainFlops + s.evalFlops;
  }
}

/**
 * Resolves "accuracy" to the metric the runs logged: the built-in task's
 * accuracy when every run has it, else next-token accuracy.
 *
 * @example
 * ```ts
 * import { resolveMetric } from "./curves.ts";
 * resolveMetric("valLoss", []); // "valLoss"
 * ```
 */
export function resolveMetric(
  metric: MetricName,
  runs: LoadedRun[],
): Exclude<MetricName, "accuracy"> {
  if (metric !== "accuracy") return metric;
  const task = runs.length > 0 &&
    runs.every((r) => r.metrics.some((l) => typeof l.taskAccuracy === "number"));
  return task ? "taskAccuracy" : "valAccuracy";
}

/**
 * The value of `metric` in a metrics line (NaN when absent, e.g. trainLoss at step 0).
 *
 * @example
 * ```ts
 * import { metricAt } from "./curves.ts";
 * metricAt({ valLoss: 2.5 } as never, "valLoss"); // 2.5
 * ```
 */
export function metricAt(line: MetricsLine, metric: Exclude<MetricName, "accuracy">): number {
  const v = line[metric];
  return typeof v === "number" ? v : NaN;
}

/** Axis titles. */
export const AXIS_TITLE: Record<CostAxis, string> = {
  deviceHours: "device-hours",
  tokens: "tokens",
  steps: "steps",
  flops: "FLOPs",
};

/** Metric titles. */
export const METRIC_TITLE: Record<Exclude<MetricName, "accuracy">, string> = {
  valLoss: "validation loss (nats/byte)",
  valAccuracy: "next-byte accuracy (validation)",
  taskAccuracy: "built-in task accuracy",
  trainLoss: "training loss",
};

/**
 * Title of the device-hours axis: GPU-hours when the runs used GPUs.
 *
 * @example
 * ```ts
 * import { deviceHoursTitle } from "./curves.ts";
 * deviceHoursTitle([], false); // "device-hours (CPU threads)"
 * ```
 */
export function deviceHoursTitle(runs: LoadedRun[], withSource: boolean): string {
  const gpu = runs.length > 0 && runs.every(isGpuRun);
  return (gpu ? "GPU-hours" : "device-hours (CPU threads)") +
    (withSource ? ", source training included" : "");
}

/** A run's curve on the given axes. */
export function runCurve(
  r: LoadedRun,
  axis: CostAxis,
  metric: Exclude<MetricName, "accuracy">,
  withSource: boolean,
): Curve & { step: number[] } {
  const lines = r.metrics.filter((l) => Number.isFinite(metricAt(l, metric)));
  return {
    step: lines.map((l) => l.step),
    x: lines.map((l) => costAt(l, axis, withSource ? r.sourceCost : null)),
    y: lines.map((l) => metricAt(l, metric)),
  };
}
