/**
 * Notebook display helpers (Deno Jupyter kernel): figures as a MIME bundle
 * that every front end can render (Plotly's own MIME type for JupyterLab and
 * VS Code, self-contained HTML for nbconvert HTML and the rest), tables as
 * HTML. Outside a notebook they print a text form instead.
 *
 * @module
 */
import type { Figure } from "./figure.ts";
import { escapeHtml, figureDiv } from "./html.ts";

/** MIME type of Plotly figures in Jupyter outputs. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** A Jupyter MIME bundle. */
export type MimeBundle = Record<string, unknown>;

let plotlySent = false;

/** Options of {@link figureBundle} and {@link showFigure}. */
export interface ShowFigureOptions {
  /**
   * Inline plotly.js in the HTML fallback: "always", or "once" (default: the
   * first figure of the kernel session carries it and later ones reuse it,
   * which keeps executed notebooks small; each page still works offline).
   */
  inlinePlotly?: "always" | "once";
}

function titleOf(fig: Figure): string {
  const t = fig.layout.title as { text?: string } | string | undefined;
  return (typeof t === "string" ? t : t?.text) ?? "figure";
}

/**
 * The MIME bundle of a figure: Plotly JSON, an HTML fallback and a text line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { figureBundle, PLOTLY_MIME } from "./display.ts";
 * const b = figureBundle({ data: [], layout: { title: { text: "t" } } }, { inlinePlotly: "always" });
 * assert.deepEqual(Object.keys(b), [PLOTLY_MIME, "text/html", "text/plain"]);
 * assert.equal(b["text/plain"], "<Figure: t, 0 traces>");
 * ```
 */
export function figureBundle(fig: Figure, opts: ShowFigureOptions = {}): MimeBundle {
  const inline = opts.inlinePlotly === "always" || !plotlySent;
  plotlySent = true;
  return {
    [PLOTLY_MIME]: fig,
    "text/html": figureDiv(fig, { inlinePlotly: inline }),
    "text/plain": `<Figure: ${titleOf(fig)}, ${fig.data.length} traces>`,
  };
}

interface JupyterApi {
  display(bundle: MimeBundle, opts: { raw: boolean }): Promise<void>;
}

function jupyter(): JupyterApi | undefined {
  try {
    // The getter throws outside the `deno jupyter` kernel.
    return (Deno as unknown as { jupyter?: JupyterApi }).jupyter;
  } catch {
    return undefined;
  }
}

/**
 * Whether the code runs inside the Deno Jupyter kernel.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inNotebook } from "./display.ts";
 * assert.equal(inNotebook(), false); // true only inside the `deno jupyter` kernel
 * ```
 */
export function inNotebook(): boolean {
  return jupyter() !== undefined;
}

/**
 * Shows a figure in the notebook (interactive Plotly chart; HTML fallback).
 * Outside a notebook it prints a one-line description.
 *
 * @example
 * ```ts
 * import { showFigure } from "./display.ts";
 * // In a notebook: an interactive chart. In plain Deno: "<Figure: figure, 1 traces>".
 * await showFigure({ data: [{ type: "scatter", x: [1, 2], y: [3, 4] }], layout: {} });
 * ```
 */
export async function showFigure(fig: Figure, opts: ShowFigureOptions = {}): Promise<void> {
  await display(figureBundle(fig, opts));
}

/** Options of {@link tableHtml}. */
export interface TableOptions {
  /** Caption above the table. */
  title?: string;
  /** Significant digits for non-integer numbers (default 4). */
  digits?: number;
}

/**
 * Formats a cell: integers as is, other numbers with `digits` significant
 * digits, null/undefined as "-", arrays joined with "-", objects as JSON.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCell } from "./display.ts";
 * assert.equal(formatCell(3.14159, 3), "3.14");
 * assert.equal(formatCell(null), "-");
 * ```
 */
export function formatCell(v: unknown, digits = 4): string {
  if (v === null || v === undefined) return "-";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return String(v);
    return Number.isInteger(v) ? String(v) : Number(v.toPrecision(digits)).toString();
  }
  if (Array.isArray(v)) return v.map((x) => formatCell(x, digits)).join(" - ");
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/**
 * An HTML table of rows (columns: the union of the rows' keys, in order).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tableHtml } from "./display.ts";
 * const html = tableHtml([{ init: "random", loss: 2.1 }], { title: "final" });
 * assert.match(html, /<th[^>]*>init<\/th>/);
 * assert.match(html, /2\.1/);
 * ```
 */
export function tableHtml(rows: Record<string, unknown>[], opts: TableOptions = {}): string {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const td = (s: string, tag = "td") =>
    `<${tag} style="padding:2px 10px;text-align:left">${escapeHtml(s)}</${tag}>`;
  const head = `<tr>${cols.map((c) => td(c, "th")).join("")}</tr>`;
  const body = rows.map((r) =>
    `<tr>${cols.map((c) => td(formatCell(r[c], opts.digits))).join("")}</tr>`
  ).join("\n");
  const cap = opts.title
    ? `<caption style="text-align:left">${escapeHtml(opts.title)}</caption>`
    : "";
  return `<table class="hc-table" style="border-collapse:collapse">${cap}\n${head}\n${body}\n</table>`;
}

/**
 * A plain-text table (the text/plain form of {@link showTable}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tableText } from "./display.ts";
 * assert.equal(tableText([{ a: 1, b: "x" }, { a: 10, b: "y" }]), "a   b\n1   x\n10  y");
 * ```
 */
export function tableText(rows: Record<string, unknown>[], opts: TableOptions = {}): string {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cells = rows.map((r) => cols.map((c) => formatCell(r[c], opts.digits)));
  const w = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((s, i) => s.padEnd(w[i])).join("  ").trimEnd();
  return [opts.title ?? "", line(cols), ...cells.map(line)].filter((l) => l !== "").join("\n");
}

/**
 * Shows rows as an HTML table in the notebook (text outside one).
 *
 * @example
 * ```ts
 * import { showTable } from "./display.ts";
 * // In a notebook: an HTML table. In plain Deno: the tableText lines.
 * await showTable([{ init: "random", "final loss": 2.1 }], { title: "Final losses" });
 * ```
 */
export async function showTable(
  rows: Record<string, unknown>[],
  opts: TableOptions = {},
): Promise<void> {
  await display({ "text/html": tableHtml(rows, opts), "text/plain": tableText(rows, opts) });
}

/**
 * Displays a MIME bundle in the notebook, or prints its text/plain outside one.
 *
 * @example
 * ```ts
 * import { display } from "./display.ts";
 * // In a notebook: rendered markdown. In plain Deno: prints "done".
 * await display({ "text/markdown": "**done**", "text/plain": "done" });
 * ```
 */
export async function display(bundle: MimeBundle): Promise<void> {
  const j = jupyter();
  if (!j) {
    console.log(String(bundle["text/plain"] ?? ""));
    return;
  }
  await j.display(bundle, { raw: true });
  // The kernel's display promise resolves before the message is on the wire;
  // if the cell ends first, its "idle" status can overtake the output and
  // nbconvert/nbclient drops it (measured: a 4.8 MB bundle followed at once
  // by the end of the cell lost it and the next cell's output; a 200 ms wait
  // kept both). Wait about as long as sending takes, with a wide margin.
  await new Promise((ok) => setTimeout(ok, flushDelayMs(bundle)));
}

/**
 * Milliseconds to wait after displaying a bundle: 30 ms plus 0.2 ms per KB
 * (1 s for the bundle that inlines plotly.js), at most 3 s.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flushDelayMs } from "./display.ts";
 * assert.equal(flushDelayMs({ "text/plain": "x" }), 30);
 * assert.equal(flushDelayMs({ "text/html": "x".repeat(50_000_000) }), 3000); // capped
 * ```
 */
export function flushDelayMs(bundle: MimeBundle): number {
  let bytes = 0;
  for (const v of Object.values(bundle)) {
    bytes += typeof v === "string" ? v.length : JSON.stringify(v).length;
  }
  return Math.min(3000, Math.round(30 + bytes / 5000));
}
