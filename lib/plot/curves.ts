/**
 * Metric-versus-cost curves of experiment runs: the values behind every line
 * figure, and the speed-up table behind the bars.
 *
 * @module
 */
import type { MetricsLine, TrainingCost } from "../train/loop.ts";
import { type Curve, type SeedSummary, speedupOverSeeds } from "../eval/speedup.ts";
import { groupBy } from "./aggregate.ts";
import type { RunRecord } from "./runs.ts";

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
  runs: RunRecord[],
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
export function deviceHoursTitle(runs: RunRecord[], withSource: boolean): string {
  const gpu = runs.length > 0 && runs.every((r) => r.isGpu);
  return (gpu ? "GPU-hours" : "device-hours (CPU threads)") +
    (withSource ? ", source training included" : "");
}

/** A run's curve on the given axes. */
export function runCurve(
  r: RunRecord,
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

/** One row of the speed-up table: an initialisation against random init in its group. */
export interface SpeedupRow {
  group: string;
  init: string;
  seeds: number;
  finalValLoss: number;
  finalAccuracy: number;
  /** Speed-up to random init's final value, source cost not charged. */
  speedup: SeedSummary;
  /** The same with the source's cost added to this run's. */
  speedupWithSource: SeedSummary;
}

/** Options of {@link speedupRows}. */
export interface SpeedupTableOptions {
  axis?: CostAxis;
  /** Metric whose baseline final value is the target (default valLoss). */
  metric?: MetricName;
  /** Final evaluations averaged into the target (default 2). */
  k?: number;
}

/**
 * Time-to-target speed-ups vs random init per (group, initialisation), over
 * seeds (paired by seed, bootstrap CI from lib/eval/speedup.ts). Groups with
 * no random-init run are skipped.
 *
 * @example
 * ```ts
 * import { loadExperiment } from "./runs.ts";
 * import { speedupRows } from "./curves.ts";
 * const rows = speedupRows(loadExperiment("runs/variant-ablation/quick").runs);
 * ```
 */
export function speedupRows(runs: RunRecord[], opts: SpeedupTableOptions = {}): SpeedupRow[] {
  const axis = opts.axis ?? "deviceHours";
  const metric = resolveMetric(opts.metric ?? "valLoss", runs);
  const acc = resolveMetric("accuracy", runs);
  const direction = metric.endsWith("Loss") ? "lower" : "higher";
  const rows: SpeedupRow[] = [];
  for (const [group, inGroup] of groupBy(runs, (r) => String(r.meta.group ?? ""))) {
    const base = new Map(
      inGroup.filter((r) => r.meta.init === "random").map((r) => [r.meta.seed, r]),
    );
    if (base.size === 0) continue;
    for (const [init, rs] of groupBy(inGroup, (r) => r.meta.init)) {
      const paired = rs.filter((r) => base.has(r.meta.seed));
      if (paired.length === 0) continue;
      const summarise = (withSource: boolean) =>
        speedupOverSeeds(
          paired.map((r) => ({
            baseline: runCurve(base.get(r.meta.seed)!, axis, metric, false),
            treatment: runCurve(r, axis, metric, withSource),
          })),
          { k: opts.k ?? 2, direction },
          { seed: 0 },
        );
      const last = (r: RunRecord) => r.metrics[r.metrics.length - 1];
      rows.push({
        group,
        init,
        seeds: paired.length,
        finalValLoss: avg(paired.map((r) => last(r).valLoss)),
        finalAccuracy: avg(paired.map((r) => metricAt(last(r), acc))),
        speedup: summarise(false),
        speedupWithSource: summarise(true),
      });
    }
  }
  return rows;
}

function avg(v: number[]): number {
  return v.reduce((a, b) => a + b, 0) / v.length;
}
