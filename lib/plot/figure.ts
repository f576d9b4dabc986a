/**
 * Plotly figure specs as plain JSON: `{data, layout}`. Nothing here needs a
 * DOM; the specs are rendered by plotly.js in a notebook front end, in a
 * self-contained HTML file, or in headless Chromium.
 *
 * @module
 */

/** One Plotly trace (only the fields the kit uses are typed; any others pass through). */
export interface Trace {
  type: "scatter" | "bar" | "heatmap";
  name?: string;
  x: (number | string)[];
  y: (number | string | null)[];
  mode?: "lines" | "markers" | "lines+markers";
  line?: Record<string, unknown>;
  marker?: Record<string, unknown>;
  fill?: "toself" | "tonexty" | "none";
  fillcolor?: string;
  error_y?: Record<string, unknown>;
  showlegend?: boolean;
  legendgroup?: string;
  hoverinfo?: string;
  [more: string]: unknown;
}

/** A Plotly figure: the JSON that `Plotly.newPlot(el, data, layout)` takes. */
export interface Figure {
  data: Trace[];
  layout: Record<string, unknown>;
}

/** Colours per initialisation, stable across figures (Plotly's default cycle otherwise). */
const INIT_COLORS: Record<string, string> = {
  random: "#7f7f7f",
  symmetric: "#1f77b4",
  diagonal: "#2ca02c",
  "noisy-symmetric": "#d62728",
  "noisy-diagonal": "#9467bd",
  "keep-training": "#ff7f0e",
};
const CYCLE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"];

/**
 * A colour for a series name: fixed for the known initialisations, else
 * picked from a cycle by `index`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { colorFor } from "./figure.ts";
 * assert.equal(colorFor("random", 0), "#7f7f7f"); // fixed per initialisation
 * assert.equal(colorFor("random", 5), "#7f7f7f");
 * ```
 */
export function colorFor(name: string, index: number): string {
  return INIT_COLORS[name] ?? CYCLE[index % CYCLE.length];
}

/** `#rrggbb` to `rgba(r,g,b,alpha)` (bands are the line colour, translucent). */
function translucent(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

/** A line and, when `lo`/`hi` are given, a translucent band around it. */
export interface BandSeries {
  name: string;
  x: number[];
  y: number[];
  lo?: number[];
  hi?: number[];
  color: string;
  dash?: "solid" | "dash" | "dot";
}

/**
 * Traces for a line with an optional band: the band is one closed polygon
 * (`fill: "toself"`, x forward then backward) named `<name> band`, drawn
 * before the line and hidden from the legend.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bandTraces } from "./figure.ts";
 * const t = bandTraces({ name: "random", x: [0, 1], y: [1, 2], lo: [0.9, 1.8], hi: [1.1, 2.2], color: "#7f7f7f" });
 * assert.deepEqual(t.map((tr) => tr.name), ["random band", "random"]); // the band, then the line
 * assert.deepEqual(t[0].y, [1.1, 2.2, 1.8, 0.9]); // upper edge, then the lower one back
 * ```
 */
export function bandTraces(s: BandSeries): Trace[] {
  const line: Trace = {
    type: "scatter",
    mode: "lines",
    name: s.name,
    legendgroup: s.name,
    x: s.x,
    y: s.y,
    line: { color: s.color, width: 2, dash: s.dash ?? "solid" },
  };
  if (!s.lo || !s.hi) return [line];
  const band: Trace = {
    type: "scatter",
    mode: "lines",
    name: `${s.name} band`,
    legendgroup: s.name,
    showlegend: false,
    hoverinfo: "skip",
    x: [...s.x, ...[...s.x].reverse()],
    y: [...s.hi, ...[...s.lo].reverse()],
    fill: "toself",
    fillcolor: translucent(s.color, 0.18),
    line: { width: 0, color: s.color },
  };
  return [band, line];
}

/**
 * A layout with the kit's defaults: title, axis titles, white background with light grid,
 * legend on the right.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { baseLayout } from "./figure.ts";
 * const layout = baseLayout("Loss vs tokens", "tokens", "validation loss", { height: 300 });
 * assert.deepEqual(layout.title, { text: "Loss vs tokens" });
 * assert.equal(layout.height, 300);
 * ```
 */
export function baseLayout(
  title: string,
  xTitle: string,
  yTitle: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    title: { text: title },
    xaxis: { title: { text: xTitle }, zeroline: false, gridcolor: "#e5e5e5" },
    yaxis: { title: { text: yTitle }, zeroline: false, gridcolor: "#e5e5e5" },
    legend: { title: { text: "" } },
    margin: { l: 70, r: 30, t: 60, b: 60 },
    paper_bgcolor: "white",
    plot_bgcolor: "white",
    ...extra,
  };
}

/**
 * A figure with no data and a centred note, for "nothing to plot yet".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptyFigure } from "./figure.ts";
 * const f = emptyFigure("Symmetry", "no run logged symmetry");
 * assert.deepEqual(f.data, []);
 * ```
 */
export function emptyFigure(title: string, note: string): Figure {
  return {
    data: [],
    layout: {
      ...baseLayout(title, "", ""),
      annotations: [{ text: note, showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5 }],
    },
  };
}
