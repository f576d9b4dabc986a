/**
 * `hc demo`: the README's main command. Runs the variant ablation at the quick
 * preset on the Brown corpus (source, four clones, random init, keep-training
 * control), prints the speed-up table, renders the figures and points at the
 * main one (accuracy and loss against device-hours, without and with
 * the source's cost). Rerunning reuses finished runs.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ablateCommand } from "./ablate.ts";
import { figuresCommand } from "./figures.ts";
import { parse, positionals } from "./args.ts";

/**
 * Runs the demo into `--out` (default runs/) and `--figures` (default figures/).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { demoCommand } from "./demo.ts";
 * assert.equal(await demoCommand(["--out", "runs", "--figures", "figures"]), 0);
 * ```
 */
export async function demoCommand(args: string[]): Promise<number> {
  const p = parse("demo", args, {
    out: { type: "string" },
    figures: { type: "string" },
    backend: { type: "string" },
  });
  positionals(p, "demo", []);
  const out = p.values.out ?? "runs";
  const figs = p.values.figures ?? "figures";
  const backend = p.values.backend ? ["--backend", p.values.backend] : [];
  const code = await ablateCommand([
    "experiments/variant-ablation.json",
    "--preset",
    "quick",
    "--out",
    out,
    ...backend,
  ]);
  if (code) return code;
  const exp = path.join(out, "variant-ablation", "quick");
  const figDir = path.join(figs, "variant-ablation-quick");
  await figuresCommand([exp, "--out", figDir]);
  const main = path.join(figDir, "variant-ablation-quick-main");
  const shown = [".png", ".html"].map((e) => main + e).find((f) => fs.existsSync(f));
  console.log(
    `\nmain figure (accuracy and loss vs device-hours, without and with the source's cost): ${
      shown ?? main + ".html"
    }`,
  );
  console.log(`results: ${path.join(exp, "results.json")}`);
  return 0;
}
