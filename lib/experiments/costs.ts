/**
 * The one definition of every cost axis. results.json, the printed table,
 * every figure and every notebook read a run's cost through this module.
 *
 * Axes (each with or without the source model's training charged):
 * - `steps`: **baseline-equivalent steps** = training FLOPs / the training
 *   FLOPs of one step of the random-init baseline. For runs of the target
 *   size this is the step count; a smaller model's step (the keep-training
 *   control, the source) counts as the fraction of a baseline step its FLOPs
 *   are (FLOPs-fair).
 * - `tokens`: training tokens seen.
 * - `flops`: analytic training FLOPs (lib/model/config.ts).
 * - `deviceHours`: measured training device-hours: CPU-thread-hours (CPU
 *   time of the process, all threads) on CPU backends, wall-clock x
 *   accelerators (GPU-hours) on GPUs; lib/train/device_time.ts.
 *
 * Evaluation is excluded on every axis: how often and how much a run is
 * evaluated is a measurement choice, not part of the method's cost. Its
 * cost is still recorded (`evalFlops`, `evalDeviceHours`). Runs written
 * before evaluation was timed apart charged wall-clock including evaluation
 * on the device-hours axis; their titles say so.
 *
 * "With source" adds the source's training cost on the same axis (its
 * evaluation excluded too). Random init carries no source cost.
 *
 * @module
 */
import type { MetricsLine, TrainingCost } from "../io/run_folder.ts";
import type { LoadedRun } from "./results.ts";

/** The cost axes, in table order. */
export const COST_AXES = ["steps", "tokens", "flops", "deviceHours"] as const;
/** One of {@link COST_AXES}. */
export type CostAxis = typeof COST_AXES[number];

/** The fields of a metrics line or TrainingCost the axes read. */
export type CostRecord = Pick<TrainingCost, "tokens" | "trainFlops" | "deviceHours">;

/**
 * The cost of a metrics line (or a whole TrainingCost) on `axis`.
 * `stepFlops` is the training FLOPs of one baseline step (the unit of the
 * steps axis).
 *
 * @example
 * ```ts
 * import { costOn } from "./costs.ts";
 * costOn({ tokens: 640, trainFlops: 3e9, deviceHours: 0.1 }, "steps", 1e9); // 3
 * costOn({ tokens: 640, trainFlops: 3e9, deviceHours: 0.1 }, "tokens", 1e9); // 640
 * ```
 */
export function costOn(c: CostRecord, axis: CostAxis, stepFlops: number): number {
  switch (axis) {
    case "steps":
      return c.trainFlops / stepFlops;
    case "tokens":
      return c.tokens;
    case "flops":
      return c.trainFlops;
    case "deviceHours":
      return c.deviceHours;
  }
}

/**
 * What the source's training adds on `axis` (0 for random init).
 *
 * @example
 * ```ts
 * import { sourceCharge } from "./costs.ts";
 * sourceCharge(null, "flops", 1e9); // 0
 * ```
 */
export function sourceCharge(
  src: TrainingCost | null,
  axis: CostAxis,
  stepFlops: number,
): number {
  return src ? costOn(src, axis, stepFlops) : 0;
}

/**
 * Training FLOPs of one step of a run, from its metrics (or summary); null
 * when it has taken no step yet.
 *
 * @example
 * ```ts
 * import { runStepFlops } from "./costs.ts";
 * // runStepFlops(run) === run.summary.cost.trainFlops / run.summary.cost.steps
 * ```
 */
export function runStepFlops(run: LoadedRun): number | null {
  const c = run.summary?.cost;
  if (c && c.steps > 0) return c.trainFlops / c.steps;
  const l = run.metrics.findLast((m) => m.step > 0);
  return l ? l.trainFlops / l.step : null;
}

/**
 * The unit of the steps axis: FLOPs of one step of the baseline (runs with
 * init `baseline`; without it, random-init runs of the target size, then any
 * target-size run). Null when no such run has taken a step.
 *
 * @example
 * ```ts
 * import { referenceStepFlops } from "./costs.ts";
 * import { loadExperiment } from "./results.ts";
 * const exp = loadExperiment("tests/fixtures/variant-ablation-quick");
 * const unit = referenceStepFlops(exp.runs, exp.grid.baseline);
 * ```
 */
export function referenceStepFlops(runs: LoadedRun[], baseline?: string): number | null {
  const tiers = [
    runs.filter((r) => baseline !== undefined && r.record.init === baseline),
    runs.filter((r) => r.record.kind === "target" && !r.record.source && !r.record.clone),
    runs.filter((r) => r.record.kind === "target"),
  ];
  for (const tier of tiers) {
    for (const r of tier) {
      const f = runStepFlops(r);
      if (f) return f;
    }
  }
  return null;
}

/** Options of {@link costCurve}. */
export interface CostCurveOptions {
  /** Charge the source's training (default false). */
  withSource?: boolean;
  /** Unit of the steps axis; default the run's own step FLOPs (raw steps). */
  stepFlops?: number | null;
}

/**
 * A run's cost on `axis` at each of `lines` (default: all its metrics lines).
 *
 * @example
 * ```ts
 * import { costCurve } from "./costs.ts";
 * // costCurve(run, "flops", { withSource: true }) = trainFlops of each line + the source's
 * ```
 */
export function costCurve(
  run: LoadedRun,
  axis: CostAxis,
  opts: CostCurveOptions = {},
  lines: MetricsLine[] = run.metrics,
): number[] {
  const unit = opts.stepFlops ?? runStepFlops(run) ?? 1;
  const off = opts.withSource ? sourceCharge(run.sourceCost, axis, unit) : 0;
  return lines.map((l) => costOn(l, axis, unit) + off);
}

/** How the device-hours of a set of runs were measured. */
export type DeviceHoursKind = "cpu-time" | "gpu-wall" | "mixed" | "legacy-wall";

/**
 * How the runs' device-hours were measured: all CPU time, all GPU
 * wall-clock, a mix, or (runs written before the basis was recorded)
 * wall-clock x threads including evaluation.
 *
 * @example
 * ```ts
 * import { deviceHoursKind } from "./costs.ts";
 * deviceHoursKind([]); // "legacy-wall"
 * ```
 */
export function deviceHoursKind(runs: LoadedRun[]): DeviceHoursKind {
  const bases = new Set<string>();
  for (const r of runs) {
    for (const l of r.metrics) bases.add(l.deviceHoursBasis ?? "legacy");
  }
  if (bases.size === 0 || bases.has("legacy")) return "legacy-wall";
  if (bases.size > 1) return "mixed";
  return bases.has("cpu-time") ? "cpu-time" : "gpu-wall";
}

/**
 * Short name of an axis (table column heads): CPU-h / GPU-h for device-hours.
 *
 * @example
 * ```ts
 * import { axisShortName } from "./costs.ts";
 * axisShortName("deviceHours", "gpu-wall"); // "GPU-h"
 * ```
 */
export function axisShortName(axis: CostAxis, kind: DeviceHoursKind = "cpu-time"): string {
  if (axis === "deviceHours") {
    return kind === "cpu-time" ? "CPU-h" : kind === "gpu-wall" ? "GPU-h" : "device-h";
  }
  return { steps: "steps", tokens: "tokens", flops: "FLOPs" }[axis];
}

/**
 * The axis title every figure uses: what is counted, that evaluation is
 * not, and whether the source's training is charged.
 *
 * @example
 * ```ts
 * import { axisTitle } from "./costs.ts";
 * axisTitle("deviceHours", { kind: "cpu-time", withSource: true });
 * // "CPU thread-hours of training (evaluation excluded), source training charged"
 * ```
 */
export function axisTitle(
  axis: CostAxis,
  opts: { kind?: DeviceHoursKind; withSource?: boolean } = {},
): string {
  const kind = opts.kind ?? "cpu-time";
  const base = axis === "deviceHours"
    ? {
      "cpu-time": "CPU thread-hours of training (evaluation excluded)",
      "gpu-wall": "GPU-hours of training (evaluation excluded)",
      "mixed": "device-hours of training (CPU thread-hours and GPU-hours mixed)",
      "legacy-wall": "device-hours (wall-clock x threads, evaluation included)",
    }[kind]
    : {
      steps: "baseline-equivalent steps (training FLOPs / one baseline step)",
      tokens: "training tokens",
      flops: "training FLOPs (evaluation excluded)",
    }[axis];
  return base + (opts.withSource ? ", source training charged" : "");
}
