/**
 * Static export of figures: every figure is written as self-contained HTML,
 * and as PNG/SVG rendered by plotly.js in headless Chromium (driven by
 * puppeteer-core), one browser and one page for all figures because starting
 * Chromium and loading plotly.js cost seconds while each figure costs ~0.1 s.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import puppeteer from "puppeteer-core";
import { writeFileAtomic } from "../io/atomic.ts";
import type { Figure } from "./figure.ts";
import { figureHtml, plotlyPath } from "./html.ts";

/** Image formats Chromium renders. */
export type ImageFormat = "png" | "svg";

/** How to install the browser (Debian/Ubuntu). */
export const CHROMIUM_INSTALL = "apt-get install -y chromium fonts-liberation";

/** Chromium flags for headless rendering in containers (docs: platform.md). */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Options of {@link renderFigures}. */
export interface RenderOptions {
  /** Image formats besides HTML (default ["png", "svg"]; [] writes HTML only). */
  formats?: ImageFormat[];
  /** Image size in CSS pixels (default 900 x 540). */
  width?: number;
  height?: number;
  /** PNG pixel ratio (default 1: the PNG is exactly width x height). */
  scale?: number;
  /** Browser binary (default: HC_CHROMIUM, then /usr/bin/chromium and friends). */
  executablePath?: string;
  /** Called after each file is written. */
  onFile?: (file: string) => void;
}

/** What {@link renderFigures} wrote. */
export interface RenderResult {
  /** Every file written, HTML first. */
  files: string[];
  /** Set when images were asked for but not made, saying why and how to fix it. */
  imagesSkipped?: string;
}

/**
 * The Chromium binary to use, or null when none is installed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findChromium } from "./render.ts";
 * const found = findChromium(); // HC_CHROMIUM, then the usual install paths
 * assert.ok(found === null || Deno.statSync(found).isFile);
 * assert.equal(findChromium("/no/such/chromium"), null); // an explicit path is not replaced
 * ```
 */
export function findChromium(explicit?: string): string | null {
  // An explicit path is taken as is: no silent fallback to another browser.
  if (explicit) return fs.existsSync(explicit) ? explicit : null;
  const candidates = [
    Deno.env.get("HC_CHROMIUM"),
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
  ].filter((p): p is string => !!p);
  return candidates.find((p) => fs.existsSync(p)) ?? null;
}

/**
 * A file-system-safe figure name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { safeName } from "./render.ts";
 * assert.equal(safeName("Accuracy vs GPU-hours!"), "accuracy-vs-gpu-hours");
 * ```
 */
export function safeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "figure";
}

/**
 * Writes each figure as `<name>.html` (always) and `<name>.png` /
 * `<name>.svg` (when Chromium is available) into `outDir`. All images come
 * from one browser session. Without Chromium the HTML is still written and
 * `imagesSkipped` says how to install it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderFigures } from "./render.ts";
 * const dir = await Deno.makeTempDir();
 * const figs = { demo: { data: [{ type: "bar" as const, x: ["a"], y: [1] }], layout: {} } };
 * // formats default to png and svg (made with Chromium when installed); [] writes HTML only.
 * const r = await renderFigures(figs, dir, { formats: [] });
 * assert.deepEqual(r.files.map((f) => f.slice(dir.length + 1)), ["demo.html"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function renderFigures(
  figs: Record<string, Figure>,
  outDir: string,
  opts: RenderOptions = {},
): Promise<RenderResult> {
  const formats = opts.formats ?? ["png", "svg"];
  for (const f of formats) {
    if (f !== "png" && f !== "svg") {
      throw new Error(`formats: unknown image format '${f}'; use png and/or svg`);
    }
  }
  const width = opts.width ?? 900, height = opts.height ?? 540, scale = opts.scale ?? 1;
  if (!(width > 0 && height > 0 && scale > 0)) {
    throw new Error(`width/height/scale must be positive (got ${width}x${height}@${scale})`);
  }
  fs.mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  const write = async (file: string, data: string | Uint8Array) => {
    await writeFileAtomic(file, data);
    files.push(file);
    opts.onFile?.(file);
  };
  const entries = Object.entries(figs).map(([n, f]) => [safeName(n), f] as const);
  for (const [name, fig] of entries) {
    await write(path.join(outDir, `${name}.html`), figureHtml(fig, name));
  }
  if (formats.length === 0 || entries.length === 0) return { files };
  const exe = findChromium(opts.executablePath);
  if (!exe) {
    return {
      files,
      imagesSkipped:
        `Chromium not found (${opts.executablePath ?? "HC_CHROMIUM, /usr/bin/chromium"}): ` +
        `wrote HTML only; for PNG/SVG run: ${CHROMIUM_INSTALL}`,
    };
  }
  const browser = await puppeteer.launch({
    executablePath: exe,
    headless: true,
    args: CHROMIUM_ARGS,
    protocolTimeout: 120_000,
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width, height });
    await page.setContent(
      `<!DOCTYPE html><html><body style="margin:0"></body></html>`,
    );
    await page.addScriptTag({ path: plotlyPath() });
    for (const [name, fig] of entries) {
      for (const format of formats) {
        const url = await page.evaluate(renderInPage, fig, format, width, height, scale);
        await write(path.join(outDir, `${name}.${format}`), decodeDataUrl(url));
      }
    }
  } finally {
    await browser.close();
  }
  return { files };
}

/** Runs inside the page: draws the figure off-screen and exports it. */
async function renderInPage(
  fig: Figure,
  format: string,
  width: number,
  height: number,
  scale: number,
): Promise<string> {
  // deno-lint-ignore no-explicit-any
  const P = (globalThis as any).Plotly;
  // deno-lint-ignore no-explicit-any
  const doc = (globalThis as any).document;
  const div = doc.createElement("div");
  div.style.width = `${width}px`;
  div.style.height = `${height}px`;
  doc.body.appendChild(div);
  try {
    await P.newPlot(div, fig.data, { ...fig.layout, width, height }, { staticPlot: true });
    return await P.toImage(div, { format, width, height, scale });
  } finally {
    P.purge(div);
    div.remove();
  }
}

/**
 * Bytes of a data: URL (base64 or percent-encoded, as Plotly.toImage returns).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeDataUrl } from "./render.ts";
 * assert.equal(new TextDecoder().decode(decodeDataUrl("data:image/svg+xml,%3Csvg%3E")), "<svg>");
 * ```
 */
export function decodeDataUrl(url: string): Uint8Array {
  const comma = url.indexOf(",");
  if (!url.startsWith("data:") || comma < 0) throw new Error("not a data: URL");
  const headerPart = url.slice(5, comma), body = url.slice(comma + 1);
  if (headerPart.endsWith(";base64")) {
    const bin = atob(body);
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  }
  return new TextEncoder().encode(decodeURIComponent(body));
}

/** file:// URL of a path (for links printed to the user). */
export function fileUrl(p: string): string {
  return pathToFileURL(path.resolve(p)).href;
}
