/**
 * The kit's figures as Plotly specs, built from experiment runs
 * (lib/plot/runs.ts): accuracy vs device-hours (the paper's main figure),
 * loss vs tokens, speed-up bars, variant ablation, source quality and size,
 * symmetry between cloned blocks, singular-value spectra.
 *
 * @module
 */
import { groupBy, meanOverSeeds } from "./aggregate.ts";
import {
  type CostAxis,
  costAxisTitle,
  METRIC_TITLE,
  type MetricName,
  metricTitle,
  type ResolvedMetric,
  resolveMetric,
  runCurve,
  taskNames,
} from "./curves.ts";
import { axisTitle, referenceStepFlops } from "../experiments/costs.ts";
import {
  bandTraces,
  baseLayout,
  colorFor,
  emptyFigure,
  type Figure,
  type Trace,
} from "./figure.ts";
import type { LoadedRun } from "./runs.ts";
import type { Spectrum } from "./spectra.ts";
import type { Axis, InitResult, ResultsFile, SpeedupStat } from "../experiments/results.ts";
import { formatFactor } from "../format.ts";

/** Options of {@link curvesFigure}. */
export interface CurvesOptions {
  x?: CostAxis;
  y?: MetricName;
  /** Add the source model's training cost to each cloned run's x. */
  includeSourceCost?: boolean;
  title?: string;
  /** Log-scale x axis. */
  logX?: boolean;
  /**
   * Unit of the steps axis (training FLOPs of one baseline step); default
   * from the runs' random-init target runs (lib/experiments/costs.ts).
   */
  stepFlops?: number | null;
}

/** Mean-over-seeds traces of every initialisation for one panel. */
function panelTraces(
  runs: LoadedRun[],
  axis: CostAxis,
  metric: ResolvedMetric,
  withSource: boolean,
  stepFlops: number | null,
  panel?: { xaxis: string; yaxis: string; showlegend: boolean },
): Trace[] {
  const data: Trace[] = [];
  let i = 0;
  for (const [label, rs] of groupBy(runs, (r) => r.record.init)) {
    const m = meanOverSeeds(rs.map((r) => runCurve(r, axis, metric, withSource, stepFlops)));
    const name = m.n > 1 ? `${label} (${m.n} seeds)` : label;
    // One seed: a band only where the score carries its standard error.
    const hasBand = m.n > 1 || m.lo.some((lo, k) => lo !== m.y[k]);
    const band = hasBand ? { lo: m.lo, hi: m.hi } : {};
    const ts = bandTraces({ name, x: m.x, y: m.y, ...band, color: colorFor(label, i++) });
    if (panel) {
      for (const t of ts) {
        Object.assign(t, { xaxis: panel.xaxis, yaxis: panel.yaxis });
        if (!panel.showlegend) t.showlegend = false;
      }
    }
    data.push(...ts);
  }
  return data;
}

/**
 * One line per initialisation (run label): the mean over seeds with a band
 * spanning the seeds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment } from "../experiments/results.ts";
 * import { curvesFigure } from "./figures.ts";
 * // Needs the experiment on disk: `deno task hc ablate experiments/<spec>.json --preset quick`.
 * const fig = curvesFigure(loadExperiment("tests/fixtures/variant-ablation-quick").runs, { x: "tokens", y: "valLoss" });
 * const titleOf = (f: typeof fig) => (f.layout.title as { text: string }).text;
 * assert.equal(titleOf(fig), "validation loss (nats/byte) vs training tokens");
 * assert.equal(fig.data.length, 6); // one line per initialisation
 * ```
 */
export function curvesFigure(runs: LoadedRun[], opts: CurvesOptions = {}): Figure {
  const axis = opts.x ?? "deviceHours";
  const metric = resolveMetric(opts.y ?? "accuracy", runs);
  const withSource = opts.includeSourceCost ?? false;
  const xTitle = costAxisTitle(axis, runs, withSource);
  const title = opts.title ?? `${metricTitle(metric)} vs ${xTitle}`;
  if (runs.length === 0) return emptyFigure(title, "no runs with metrics yet");
  const unit = opts.stepFlops ?? referenceStepFlops(runs);
  const data = panelTraces(runs, axis, metric, withSource, unit);
  const layout = baseLayout(title, xTitle, metricTitle(metric));
  if (opts.logX) (layout.xaxis as Record<string, unknown>).type = "log";
  return { data, layout };
}

/**
 * The paper's main figure: accuracy vs device-hours, one line per
 * initialisation, mean over seeds with a band; optionally charging each
 * cloned run the source model's training.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment } from "../experiments/results.ts";
 * import { accuracyVsDeviceHours } from "./figures.ts";
 * // Needs the experiment on disk: `deno task hc ablate experiments/<spec>.json --preset quick`.
 * const fig = accuracyVsDeviceHours(loadExperiment("tests/fixtures/variant-ablation-quick").runs, { includeSourceCost: true });
 * const titleOf = (f: typeof fig) => (f.layout.title as { text: string }).text;
 * assert.equal(titleOf(fig), "Accuracy vs device-hours (source cost charged)");
 * assert.equal(fig.data.length, 12); // a band and a line per initialisation
 * ```
 */
export function accuracyVsDeviceHours(
  runs: LoadedRun[],
  opts: { includeSourceCost?: boolean; metric?: MetricName } = {},
): Figure {
  const src = opts.includeSourceCost ?? false;
  return curvesFigure(runs, {
    x: "deviceHours",
    y: opts.metric ?? "accuracy",
    includeSourceCost: src,
    title: `Accuracy vs device-hours${src ? " (source cost charged)" : ""}`,
  });
}

/** One panel of {@link panelsFigure}. */
export interface Panel {
  x: CostAxis;
  y: MetricName;
  withSource: boolean;
  title: string;
  /**
   * Zoom y onto the later part of training: the upper limit is the highest
   * value any line has a quarter of the way through its points (a loss
   * falling from ln 256 would otherwise flatten every difference).
   */
  zoomLate?: boolean;
}

/** y range covering every line from a quarter of the way through its points on. */
function lateRange(traces: Trace[]): [number, number] | null {
  const lines = traces.filter((t) => !String(t.name).endsWith(" band"));
  const ys = lines.flatMap((t) => (t.y as number[]).filter(Number.isFinite));
  if (!ys.length) return null;
  const hi = Math.max(...lines.map((t) => {
    const y = (t.y as number[]).filter(Number.isFinite);
    return y[Math.min(y.length - 1, Math.ceil(y.length / 4))] ?? -Infinity;
  }));
  const lo = Math.min(...ys);
  const pad = 0.05 * (hi - lo || 1);
  return [lo - pad, hi + pad];
}

/**
 * Several metric-vs-cost panels in a grid (row-major), one legend for all:
 * each initialisation is the mean over seeds with a band spanning the seeds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment } from "../experiments/results.ts";
 * import { panelsFigure } from "./figures.ts";
 * // Needs the experiment on disk: `deno task hc ablate experiments/variant-ablation.json --preset quick`.
 * const fig = panelsFigure(loadExperiment("tests/fixtures/variant-ablation-quick").runs, [
 *   { x: "tokens", y: "valLoss", withSource: false, title: "loss" },
 *   { x: "tokens", y: "accuracy", withSource: false, title: "accuracy" },
 * ], { title: "two panels", columns: 2 });
 * assert.deepEqual(fig.layout.title, { text: "two panels" });
 * assert.ok(fig.layout.xaxis2 !== undefined); // the second panel's axes
 * ```
 */
export function panelsFigure(
  runs: LoadedRun[],
  panels: Panel[],
  opts: { title: string; columns: number; stepFlops?: number | null },
): Figure {
  if (runs.length === 0 || panels.length === 0) {
    return emptyFigure(opts.title, "no runs with metrics yet");
  }
  const unit = opts.stepFlops ?? referenceStepFlops(runs);
  const cols = opts.columns, rows = Math.ceil(panels.length / cols);
  const data: Trace[] = [];
  const layout: Record<string, unknown> = {
    ...baseLayout(opts.title, "", ""),
    grid: { rows, columns: cols, pattern: "independent", xgap: 0.15, ygap: 0.35 },
    annotations: [] as unknown[],
    margin: { l: 70, r: 30, t: 90, b: 60 },
  };
  panels.forEach((p, i) => {
    const n = i === 0 ? "" : String(i + 1);
    const metric = resolveMetric(p.y, runs);
    const traces = panelTraces(runs, p.x, metric, p.withSource, unit, {
      xaxis: `x${n}`,
      yaxis: `y${n}`,
      showlegend: i === 0,
    });
    data.push(...traces);
    const range = p.zoomLate ? lateRange(traces) : null;
    layout[`xaxis${n}`] = {
      title: { text: costAxisTitle(p.x, runs, p.withSource), font: { size: 11 } },
      zeroline: false,
      gridcolor: "#e5e5e5",
    };
    layout[`yaxis${n}`] = {
      title: { text: metricTitle(metric), font: { size: 11 } },
      zeroline: false,
      gridcolor: "#e5e5e5",
      ...(range ? { range } : {}),
    };
    (layout.annotations as unknown[]).push({
      text: `<b>${p.title}</b>`,
      showarrow: false,
      xref: `x${n} domain`,
      yref: `y${n} domain`,
      x: 0.5,
      y: 1.04,
      xanchor: "center",
      yanchor: "bottom",
    });
  });
  return { data, layout };
}

/**
 * The paper's main figure: average accuracy against device-hours (CPU
 * thread-hours on CPU backends, GPU-hours on GPUs; training only), mean over
 * seeds with a band, without (left) and with (right) the source's training
 * charged; below them validation loss against the same axes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment } from "../experiments/results.ts";
 * import { mainFigure } from "./figures.ts";
 * // Needs the experiment on disk: `deno task hc ablate experiments/variant-ablation.json --preset quick`.
 * const exp = loadExperiment("tests/fixtures/variant-ablation-quick");
 * const fig = mainFigure(exp.runs);
 * assert.match((fig.layout.title as { text: string }).text, /^Accuracy and loss vs device-hours/);
 * assert.ok(fig.layout.yaxis4 !== undefined); // four panels: accuracy and loss, source charged or not
 * ```
 */
export function mainFigure(runs: LoadedRun[], opts: { stepFlops?: number | null } = {}): Figure {
  const x: CostAxis = "deviceHours";
  return panelsFigure(runs, [
    { x, y: "accuracy", withSource: false, title: "accuracy, source cost not charged" },
    { x, y: "accuracy", withSource: true, title: "accuracy, source cost charged" },
    { x, y: "valLoss", withSource: false, title: "loss, source cost not charged", zoomLate: true },
    { x, y: "valLoss", withSource: true, title: "loss, source cost charged", zoomLate: true },
  ], {
    title:
      "Accuracy and loss vs device-hours (mean over seeds; band: min-max over seeds, or ±1 SE for one seed)",
    columns: 2,
    stepFlops: opts.stepFlops,
  });
}

/**
 * One panel per task of the suite (`taskScores`), each task's accuracy
 * against `x` (default device-hours, source cost not charged).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment } from "../experiments/results.ts";
 * import { taskAccuracyFigure } from "./figures.ts";
 * // Needs the experiment on disk: `deno task hc ablate experiments/<spec>.json --preset quick`.
 * const fig = taskAccuracyFigure(loadExperiment("tests/fixtures/variant-ablation-quick").runs);
 * const titleOf = (f: typeof fig) => (f.layout.title as { text: string }).text;
 * assert.match(titleOf(fig), /^Per-task accuracy/);
 * assert.ok(fig.data.length > 0);
 * ```
 */
export function taskAccuracyFigure(
  runs: LoadedRun[],
  opts: { x?: CostAxis; includeSourceCost?: boolean; stepFlops?: number | null } = {},
): Figure {
  const title =
    "Per-task accuracy (mean over seeds; band: min-max over seeds, or ±1 SE for one seed)";
  const tasks = taskNames(runs);
  if (tasks.length === 0) return emptyFigure(title, "no run logged per-task scores (taskScores)");
  return panelsFigure(
    runs,
    tasks.map((t) => ({
      x: opts.x ?? "deviceHours",
      y: `task:${t}` as const,
      withSource: opts.includeSourceCost ?? false,
      title: t,
    })),
    { title, columns: Math.min(3, tasks.length), stepFlops: opts.stepFlops },
  );
}

/**
 * Validation loss vs training tokens, one line per initialisation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment } from "../experiments/results.ts";
 * import { lossVsTokens } from "./figures.ts";
 * // Needs the experiment on disk: `deno task hc ablate experiments/<spec>.json --preset quick`.
 * const fig = lossVsTokens(loadExperiment("tests/fixtures/variant-ablation-quick").runs);
 * const titleOf = (f: typeof fig) => (f.layout.title as { text: string }).text;
 * assert.equal(titleOf(fig), "Validation loss vs tokens");
 * assert.equal(fig.data.length, 6);
 * ```
 */
export function lossVsTokens(
  runs: LoadedRun[],
  opts: { includeSourceCost?: boolean } = {},
): Figure {
  return curvesFigure(runs, {
    x: "tokens",
    y: "valLoss",
    includeSourceCost: opts.includeSourceCost,
    title: "Validation loss vs tokens",
  });
}

/** A finite mean with a finite interval (Infinity: the run starts past the target). */
function finite(s: SpeedupStat | null): boolean {
  return !!s && typeof s.mean === "number" && Number.isFinite(s.mean);
}

function ciErrors(stats: (SpeedupStat | null)[]) {
  const ok = (s: SpeedupStat | null) =>
    finite(s) && s!.ci95 && s!.ci95.every((v) => typeof v === "number" && Number.isFinite(v));
  return {
    type: "data",
    symmetric: false,
    array: stats.map((s) => ok(s) ? s!.ci95![1] - s!.mean! : 0),
    arrayminus: stats.map((s) => ok(s) ? s!.mean! - s!.ci95![0] : 0),
  };
}

/**
 * Speed-up bars with 95% bootstrap intervals from results.json: how much
 * sooner each initialisation reaches the random-init baseline's final loss,
 * without and with the source model's cost charged. Initialisations that
 * never reach it show no bar and a "not reached" label; those that start
 * past the target (infinite speed-up) show no bar and a "∞" label.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readResults } from "../experiments/results.ts";
 * import { speedupBars } from "./figures.ts";
 * // Needs the experiment on disk: `deno task hc ablate experiments/<spec>.json --preset quick`.
 * const fig = speedupBars(readResults("tests/fixtures/variant-ablation-quick")!, "flops");
 * const titleOf = (f: typeof fig) => (f.layout.title as { text: string }).text;
 * assert.match(titleOf(fig), /^Speed-up to random init's final loss/);
 * assert.equal(fig.data[0].type, "bar");
 * ```
 */
export function speedupBars(res: ResultsFile, axis: Axis = "deviceHours"): Figure {
  const title = `Speed-up to random init's final loss (${
    axisTitle(axis, { kind: res.deviceHours ?? "legacy-wall" })
  })`;
  const rows = res.inits.filter((r) => r.speedup);
  if (rows.length === 0) return emptyFigure(title, "needs finished baseline and clone runs");
  const x = rows.map((r) => r.init);
  const bar = (name: string, pick: (r: InitResult) => SpeedupStat, color: string) => {
    // A row whose source the baseline never passed has no defined speed-up.
    const stats = rows.map((r) => r.undefinedReason ? null : pick(r));
    return {
      type: "bar" as const,
      name,
      x,
      y: stats.map((s) => finite(s) ? s!.mean : null),
      marker: { color },
      error_y: ciErrors(stats),
      text: stats.map((s) =>
        s === null
          ? "undefined (baseline never passed the source)"
          : s.mean === null
          ? "not reached"
          : finite(s)
          ? formatFactor(s.mean)
          : "∞ (starts past target)"
      ),
      textposition: "outside",
    };
  };
  return {
    data: [
      bar("source cost not charged", (r) => r.speedup![axis].without, "#1f77b4"),
      bar("source cost charged", (r) => r.speedup![axis].withSource, "#ff7f0e"),
    ],
    layout: baseLayout(title, "initialisation", "speed-up vs random init (x)", {
      barmode: "group",
      shapes: [{
        type: "line",
        xref: "paper",
        x0: 0,
        x1: 1,
        y0: 1,
        y1: 1,
        line: { dash: "dot", color: "#444" },
      }],
    }),
  };
}

/**
 * Variant ablation from results.json: final validation loss and final
 * accuracy (built-in task when measured, else next-byte) per
 * initialisation, mean over seeds with +-1 sd error bars, side by side.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readResults } from "../experiments/results.ts";
 * import { variantAblation } from "./figures.ts";
 * // Needs the experiment on disk: `deno task hc ablate experiments/<spec>.json --preset quick`.
 * const fig = variantAblation(readResults("tests/fixtures/variant-ablation-quick")!);
 * const titleOf = (f: typeof fig) => (f.layout.title as { text: string }).text;
 * assert.match(titleOf(fig), /^Variant ablation/);
 * assert.equal(fig.data.length, 2); // final loss and accuracy
 * ```
 */
export function variantAblation(res: ResultsFile): Figure {
  const title = "Variant ablation: final loss and accuracy (mean +- sd over seeds)";
  const rows = res.inits.filter((r) => r.finalValLoss.n > 0);
  if (rows.length === 0) return emptyFigure(title, "no finished runs yet");
  const acc = (r: InitResult) => r.finalAccuracy ?? r.finalTaskAccuracy;
  const task = rows.every((r) => acc(r).n > 0);
  const labels = rows.map((r) => r.init);
  const colors = labels.map((l, i) => colorFor(l, i));
  const bars = (pick: (r: InitResult) => InitResult["finalValLoss"], axis: "" | "2") => ({
    type: "bar" as const,
    name: axis ? "accuracy" : "loss",
    x: labels,
    y: rows.map((r) => pick(r).mean),
    xaxis: `x${axis}`,
    yaxis: `y${axis}`,
    marker: { color: colors },
    error_y: { type: "data", array: rows.map((r) => pick(r).sd ?? 0) },
    showlegend: false,
  });
  return {
    data: [
      bars((r) => r.finalValLoss, ""),
      bars((r) => task ? acc(r) : r.finalValAccuracy, "2"),
    ],
    layout: {
      ...baseLayout(title, "", METRIC_TITLE.valLoss),
      grid: { rows: 1, columns: 2, pattern: "independent" },
      yaxis2: {
        title: { text: task ? "final accuracy (suite average)" : METRIC_TITLE.valAccuracy },
        gridcolor: "#e5e5e5",
      },
      xaxis2: { gridcolor: "#e5e5e5" },
    },
  };
}

/**
 * Source-quality ablation: the same target cloned from sources trained for
 * different budgets (one line per initialisation), against tokens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment } from "../experiments/results.ts";
 * import { sourceQuality } from "./figures.ts";
 * // Needs the experiment on disk: `deno task hc ablate experiments/<spec>.json --preset quick`.
 * const fig = sourceQuality(loadExperiment("runs/source-quality/quick").runs);
 * const titleOf = (f: typeof fig) => (f.layout.title as { text: string }).text;
 * assert.match(titleOf(fig), /^Source quality/);
 * assert.ok(fig.data.length > 0);
 * ```
 */
export function sourceQuality(runs: LoadedRun[], opts: { y?: MetricName } = {}): Figure {
  return curvesFigure(runs, {
    x: "tokens",
    y: opts.y ?? "valLoss",
    title: "Source quality: targets cloned from sources trained for different budgets",
  });
}

/**
 * Source-size ablation: one target size reached by cloning sources of
 * different sizes (one line per initialisation), against FLOPs
 * with the source's training charged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment } from "../experiments/results.ts";
 * import { sourceSize } from "./figures.ts";
 * // Needs the experiment on disk: `deno task hc ablate experiments/<spec>.json --preset quick`.
 * const fig = sourceSize(loadExperiment("runs/source-size/quick").runs);
 * const titleOf = (f: typeof fig) => (f.layout.title as { text: string }).text;
 * assert.match(titleOf(fig), /^Source size/);
 * assert.ok(fig.data.length > 0);
 * ```
 */
export function sourceSize(runs: LoadedRun[], opts: { y?: MetricName } = {}): Figure {
  return curvesFigure(runs, {
    x: "flops",
    y: opts.y ?? "valLoss",
    includeSourceCost: true,
    title: "Source size: 2x clone of a larger source vs 4x clone of a smaller one",
  });
}

interface SymmetryPoint {
  /** "embed", "layer 0", ..., "head" (lib/clone/symmetry.ts layerOf). */
  layer: string | number;
  meanCosine: number;
}

/**
 * Symmetry between cloned blocks: mean cosine similarity between the copies
 * of each layer's weights vs step, one line per initialisation and layer
 * (mean over seeds; layers share their initialisation's colour, dashed
 * alternately). Runs that logged no `symmetry` are left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment } from "../experiments/results.ts";
 * import { symmetryFigure } from "./figures.ts";
 * // Needs the experiment on disk: `deno task hc ablate experiments/variant-ablation.json --preset quick`.
 * const fig = symmetryFigure(loadExperiment("tests/fixtures/variant-ablation-quick").runs);
 * assert.match((fig.layout.title as { text: string }).text, /^Symmetry: cosine between cloned blocks/);
 * ```
 */
export function symmetryFigure(runs: LoadedRun[]): Figure {
  const title = "Symmetry: cosine between cloned blocks during training";
  const withSym = runs.filter((r) => r.metrics.some((l) => Array.isArray(l.symmetry)));
  if (withSym.length === 0) return emptyFigure(title, "no run logged symmetry diagnostics");
  const data: Trace[] = [];
  let i = 0;
  for (const [label, rs] of groupBy(withSym, (r) => r.record.init)) {
    const color = colorFor(label, i++);
    const layers = new Set<string | number>();
    for (const r of rs) {
      for (const l of r.metrics) {
        for (const p of (l.symmetry as SymmetryPoint[] | undefined) ?? []) layers.add(p.layer);
      }
    }
    [...layers].forEach((layer, li) => {
      const m = meanOverSeeds(rs.map((r) => {
        const lines = r.metrics.filter((l) => Array.isArray(l.symmetry));
        const y = lines.map((l) =>
          (l.symmetry as SymmetryPoint[]).find((p) => p.layer === layer)?.meanCosine ?? NaN
        );
        return { step: lines.map((l) => l.step), x: lines.map((l) => l.step), y };
      }));
      data.push(...bandTraces({
        name: `${label}, ${typeof layer === "number" ? `layer ${layer}` : layer}`,
        x: m.x,
        y: m.y,
        color,
        dash: (["solid", "dash", "dot"] as const)[li % 3],
      }));
    });
  }
  return { data, layout: baseLayout(title, "step", "mean cosine between copies") };
}

/**
 * Singular-value spectra (descending, log scale), one line per spectrum.
 * Values below 1e-7 of the largest are drawn at that floor, since a log axis
 * cannot show zero.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spectraFigure } from "./figures.ts";
 * const fig = spectraFigure([{ name: "start", tensor: "w", values: [3, 1, 0] }]);
 * assert.deepEqual(fig.layout.title, { text: "Singular values of w" });
 * assert.deepEqual(fig.data[0].y, [3, 1, 3e-7]); // zero drawn at 1e-7 of the largest (log axis)
 * ```
 */
export function spectraFigure(spectra: Spectrum[], title?: string): Figure {
  const t = title ?? `Singular values of ${spectra[0]?.tensor ?? "a weight matrix"}`;
  if (spectra.length === 0) return emptyFigure(t, "no spectra");
  const data: Trace[] = spectra.map((s, i) => {
    const floor = (s.values[0] ?? 0) * 1e-7;
    return {
      type: "scatter",
      mode: "lines+markers",
      name: s.name,
      x: s.values.map((_, k) => k + 1),
      y: s.values.map((v) => Math.max(v, floor)),
      line: {
        color: colorFor(s.name.split(" ")[0], i),
        dash: /start/.test(s.name) ? "dot" : "solid",
      },
      marker: { size: 3 },
    };
  });
  return {
    data,
    layout: baseLayout(t, "index (descending)", "singular value", {
      yaxis: { title: { text: "singular value" }, type: "log", gridcolor: "#e5e5e5" },
    }),
  };
}
