/**
 * `hc figures RUNS_DIR --out figures/ [--formats png,svg] [--width W] [--height H]`
 *
 * Writes every figure of every experiment under RUNS_DIR as self-contained
 * HTML and, with Chromium installed, PNG and SVG (one browser for all).
 * Without Chromium the HTML is still written, a warning says how to install
 * it, and the exit code is 0 (the HTML is the figure; images are extras).
 *
 * @module
 */
import * as fs from "node:fs";
import { UsageError } from "../errors.ts";
import { intFlag, listFlag, parse, positionals } from "./args.ts";
import { paperFigures } from "../plot/paper.ts";
import { type ImageFormat, renderFigures } from "../plot/render.ts";

const IMAGE_FORMATS: readonly ImageFormat[] = ["png", "svg"];

/**
 * Renders the figures of RUNS_DIR into --out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { figuresCommand } from "./figures.ts";
 * assert.equal(await figuresCommand(["runs", "--out", "figures"]), 0);
 * ```
 */
export async function figuresCommand(args: string[]): Promise<number> {
  const p = parse("figures", args, {
    out: { type: "string" },
    formats: { type: "string" },
    width: { type: "string" },
    height: { type: "string" },
  });
  const [runsDir] = positionals(p, "figures", ["RUNS_DIR"]);
  if (!fs.existsSync(runsDir)) {
    throw new UsageError(`RUNS_DIR ${runsDir} does not exist; run 'deno task hc ablate' first`);
  }
  const out = p.values.out ?? "figures";
  const render = {
    formats: listFlag(p, "formats", IMAGE_FORMATS) ?? ["png", "svg"],
    width: intFlag(p, "width"),
    height: intFlag(p, "height"),
  };
  let figs;
  try {
    figs = await paperFigures(runsDir);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const r = await renderFigures(figs, out, render);
  console.log(`wrote ${r.files.length} files for ${Object.keys(figs).length} figures to ${out}/`);
  for (const f of r.files.filter((f) => f.endsWith(".png"))) console.log(`  ${f}`);
  if (r.imagesSkipped) console.warn(`hc figures: warning: ${r.imagesSkipped}`);
  return 0;
}
