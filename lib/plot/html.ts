/**
 * Self-contained HTML for figures: plotly.js (npm plotly.js-dist-min, kept as
 * a file in node_modules because it needs a DOM and cannot be imported in
 * Deno) is inlined, so the HTML works offline.
 *
 * @module
 */
import * as fs from "node:fs";
import { fileURLToPath } from "node:url";
import type { Figure } from "./figure.ts";

let plotlySource: string | undefined;

/**
 * Absolute path of plotly.min.js in node_modules.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plotlyPath } from "./html.ts";
 * assert.match(plotlyPath(), /plotly\.min\.js$/);
 * ```
 */
export function plotlyPath(): string {
  let p: string | undefined;
  try {
    p = fileURLToPath(import.meta.resolve("plotly.js-dist-min/plotly.min.js"));
  } catch {
    p = undefined;
  }
  if (!p || !fs.existsSync(p)) {
    throw new Error(
      "plotly.js-dist-min is not in node_modules; run 'deno install' in the repository root",
    );
  }
  return p;
}

/**
 * The plotly.js source, read once per process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plotlyJs } from "./html.ts";
 * assert.ok(plotlyJs().length > 1e6);
 * ```
 */
export function plotlyJs(): string {
  // "</script" inside an inline script would end it early; plotly.min.js has
  // none today, but escaping keeps the page valid whatever version is installed.
  plotlySource ??= fs.readFileSync(plotlyPath(), "utf8").replaceAll("</script", "<\\/script");
  return plotlySource;
}

/** JSON safe to embed in a <script> (no "</script>", no U+2028/2029 breaks). */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replaceAll("<", "\\u003c")
    .replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
}

/**
 * Escapes text for HTML element content and attribute values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeHtml } from "./html.ts";
 * assert.equal(escapeHtml("a<b & c"), "a&lt;b &amp; c");
 * ```
 */
export function escapeHtml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

let divCounter = 0;

/** Options of {@link figureDiv}. */
export interface FigureDivOptions {
  /** Inline plotly.js before the figure (default true). */
  inlinePlotly?: boolean;
  /** CSS height of the plot (default 480px). */
  height?: string;
}

/**
 * An HTML fragment that draws `fig`: a div plus a script calling
 * Plotly.newPlot once plotly.js is available (inlined here, or by an earlier
 * fragment on the same page when `inlinePlotly` is false).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { figureDiv } from "./html.ts";
 * const html = figureDiv({ data: [], layout: {} }, { inlinePlotly: false });
 * assert.match(html, /^<div/);
 * assert.ok(html.length < 10_000); // plotly.js not inlined
 * ```
 */
export function figureDiv(fig: Figure, opts: FigureDivOptions = {}): string {
  const id = `hc-fig-${Date.now().toString(36)}-${(divCounter++).toString(36)}`;
  const lib = opts.inlinePlotly ?? true ? `<script>${plotlyJs()}</script>\n` : "";
  const draw = `(function () {
  var tries = 0;
  function draw() {
    if (!window.Plotly) { if (tries++ < 200) setTimeout(draw, 50); return; }
    var fig = ${scriptJson(fig)};
    window.Plotly.newPlot(${JSON.stringify(id)}, fig.data, fig.layout, { responsive: true });
  }
  draw();
})();`;
  return `${lib}<div id="${id}" style="width:100%;height:${
    opts.height ?? "480px"
  }"></div>\n<script>${draw}</script>`;
}

/**
 * A complete, self-contained HTML page showing one figure (works offline).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { figureHtml } from "./html.ts";
 * const page = figureHtml({ data: [], layout: {} }, "empty");
 * assert.match(page, /<title>empty<\/title>/);
 * assert.ok(page.length > 1e6); // self-contained: plotly.js is inlined
 * ```
 */
export function figureHtml(fig: Figure, title = "figure"): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="margin:0;font-family:sans-serif">
${figureDiv(fig, { height: "95vh" })}
</body>
</html>
`;
}
