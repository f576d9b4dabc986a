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
  AXIS_TITLE,
  type CostAxis,
  deviceHoursTitle,
  METRIC_TITLE,
  type MetricName,
  resolveMetric,
  runCurve,
} from "./curves.ts";
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

/** Options of {@link curvesFigure}. */
export interface CurvesOptions {
  x?: CostAxis;
  y?: MetricName;
  /** Add the source model's training cost to each cloned run's x. */
  includeSourceCost?: boolean;
  title?: string;
  /** Log-scale x axis. */
  logX?: boolean;
}

/**
 * One line per initialisation (run label): the mean over seeds with a band
 * spanning the seeds.
 *
 * @example
 * ```ts
 * import { loadExperiment } from "../experiments/results.ts";
 * import { curvesFigure } from "./figures.ts";
 * const fig = curvesFigure(loadExperiment("runs/variant-ablation/quick").runs, { x: "tokens", y: "valLoss" });
 * ```
 */
export function curvesFigure(runs: LoadedRun[], opts: CurvesOptions = {}): Figure {
  const axis = opts.x ?? "deviceHours";
  const metric = resolveMetric(opts.y ?? "accuracy", runs);
  const withSource = opts.includeSourceCost ?? false;
  const title = opts.title ?? `${METRIC_TITLE[metric]} vs ${AXIS_TITLE[axis]}`;
  if (runs.length === 0) return emptyFigure(title, "no runs with metrics yet");
  const data: Trace[] = [];
  let i = 0;
  for (const [label, rs] of groupBy(runs, (r) => r.record.init)) {
    const m = meanOverSeeds(rs.map((r) => runCurve(r, axis, metric, withSource)));
    const name = m.n > 1 ? `${label} (${m.n} seeds)` : label;
    const band = m.n > 1 ? { lo: m.lo, hi: m.hi } : {};
    data.push(...bandTraces({ name, x: m.x, y: m.y, ...band, color: colorFor(label, i++) }));
  }
  const xTitle = axis === "deviceHours"
    ? deviceHoursTitle(runs, withSource)
    : AXIS_TITLE[axis] + (withSource ? ", source training included" : "");
  const layout = baseLayout(title, xTitle, METRIC_TITLE[metric]);
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
 * import { loadExperiment } from "../experiments/results.ts";
 * import { accuracyVsDeviceHours } from "./figures.ts";
 * const fig = accuracyVsDeviceHours(loadExperiment("runs/variant-ablation/quick").runs, { includeSourceCost: true });
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

/**
 * Validation loss vs training tokens, one line per initialisation.
 *
 * @example
 * ```ts
 * import { loadExperiment } from "../experiments/results.ts";
 * import { lossVsTokens } from "./figures.ts";
 * const fig = lossVsTokens(loadExperiment("runs/variant-ablation/quick").runs);
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

const AXIS_NAME: Record<Axis, string> = {
  steps: "baseline-equivalent steps",
  flops: "training FLOPs",
  deviceHours: "device-hours",
};

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
 * import { readResults } from "../experiments/results.ts";
 * import { speedupBars } from "./figures.ts";
 * const fig = speedupBars(readResults("runs/variant-ablation/quick")!, "flops");
 * ```
 */
export function speedupBars(res: ResultsFile, axis: Axis = "deviceHours"): Figure {
  const title = `Speed-up to random init's final loss (${AXIS_NAME[axis]})`;
  const rows = res.inits.filter((r) => r.speedup);
  if (rows.length === 0) return emptyFigure(title, "needs finished baseline and clone runs");
  const x = rows.map((r) => r.init);
  const bar = (name: string, pick: (r: InitResult) => SpeedupStat, color: string) => {
    const stats = rows.map(pick);
    return {
      type: "bar" as const,
      name,
      x,
      y: stats.map((s) => finite(s) ? s.mean : null),
      marker: { color },
      error_y: ciErrors(stats),
      text: stats.map((s) =>
        s.mean === null
          ? "not reached"
          : finite(s)
          ? `${s.mean.toFixed(2)}x`
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
 * import { readResults } from "../experiments/results.ts";
 * import { variantAblation } from "./figures.ts";
 * const fig = variantAblation(readResults("runs/variant-ablation/quick")!);
 * ```
 */
export function variantAblation(res: ResultsFile): Figure {
  const title = "Variant ablation: final loss and accuracy (mean +- sd over seeds)";
  const rows = res.inits.filter((r) => r.finalValLoss.n > 0);
  if (rows.length === 0) return emptyFigure(title, "no finished runs yet");
  const task = rows.every((r) => r.finalTaskAccuracy.n > 0);
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
      bars((r) => task ? r.finalTaskAccuracy : r.finalValAccuracy, "2"),
    ],
    layout: {
      ...baseLayout(title, "", METRIC_TITLE.valLoss),
      grid: { rows: 1, columns: 2, pattern: "independent" },
      yaxis2: {
        title: { text: METRIC_TITLE[task ? "taskAccuracy" : "valAccuracy"] },
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
 * import { loadExperiment } from "../experiments/results.ts";
 * import { sourceQuality } from "./figures.ts";
 * const fig = sourceQuality(loadExperiment("runs/source-quality/quick").runs);
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
 * import { loadExperiment } from "../experiments/results.ts";
 * import { sourceSize } from "./figures.ts";
 * const fig = sourceSize(loadExperiment("runs/source-size/quick").runs);
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
 * import { loadExperiment } from "../experiments/results.ts";
 * import { symmetryFigure } from "./figures.ts";
 * const fig = symmetryFigure(loadExperiment("runs/noise-and-dropout/quick").runs);
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
 * import { spectraFigure } from "./figures.ts";
 * const fig = spectraFigure([{ name: "start", tensor: "w", values: [3, 1, 0] }]);
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
