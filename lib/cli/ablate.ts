/**
 * `hc ablate SPEC.json --preset quick|standard|paper [--out runs/] [--shard i/n]
 * [--backend B] [--report-only] [--progress auto|bar|plain|silent]`
 *
 * Validates the whole spec (every preset) before touching the disk, runs this
 * shard's share of the grid into `OUT/<spec>/<preset>/`, writes results.json
 * and prints the table. `--report-only` trains nothing: it merges the
 * experiment folders of every `--out` given (repeat the flag for shards run
 * on different machines), writes results.json into the first and prints it.
 *
 * @module
 */
import { initBackend } from "../backend.ts";
import { UsageError } from "../errors.ts";
import { expandGrid, parseShard } from "../experiments/grid.ts";
import { presetOf, readSpec } from "../experiments/spec.ts";
import { specWarnings } from "../experiments/degenerate.ts";
import { runGrid, writeGrid, writeResults } from "../experiments/runner.ts";
import { experimentDir } from "../experiments/results.ts";
import { formatTable } from "../experiments/report.ts";
import { choiceFlag, parse, positionals, PROGRESS_MODES } from "./args.ts";
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Runs (or reports) an ablation grid; returns the exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ablateCommand } from "./ablate.ts";
 * assert.equal(await ablateCommand(["experiments/variant-ablation.json", "--preset", "quick"]), 0);
 * ```
 */
export async function ablateCommand(args: string[]): Promise<number> {
  const p = parse("ablate", args, {
    preset: { type: "string" },
    out: { type: "string", multiple: true },
    shard: { type: "string" },
    backend: { type: "string" },
    "report-only": { type: "boolean" },
    progress: { type: "string" },
  });
  const [file] = positionals(p, "ablate", ["SPEC.json"]);
  const spec = readSpec(file); // every preset validated: nothing runs on a bad spec
  const presetName = p.values.preset ?? "quick";
  presetOf(spec, presetName);
  for (const w of specWarnings(spec, presetName)) console.warn(`hc ablate: warning: ${w}`);
  const grid = expandGrid(spec, presetName);
  const outs = p.values.out ?? ["runs"];
  const shard = p.values.shard ? parseShard(p.values.shard) : undefined;
  const progress = choiceFlag(p, "progress", PROGRESS_MODES);
  const expDirs = outs.map((o) => experimentDir(o, spec.name, presetName));

  if (p.values["report-only"]) {
    if (shard) throw new UsageError("--report-only: takes no --shard (it merges every shard)");
    const have = expDirs.filter((d) => fs.existsSync(d));
    if (!have.length) {
      throw new UsageError(`--report-only: no experiment folder at ${expDirs.join(", ")}`);
    }
    await writeGrid(have[0], grid);
    const res = await writeResults(have);
    console.log(formatTable(res));
    console.log(`\nresults: ${path.join(have[0], "results.json")}`);
    return 0;
  }
  if (outs.length !== 1) {
    throw new UsageError("--out: give one folder when training (several only with --report-only)");
  }
  if (presetName === "paper") {
    console.log("note: the paper preset is sized for a GPU; on a CPU it takes days");
  }
  const device = await initBackend(p.values.backend);
  console.log(`device: ${device.label}`);
  const shardText = shard ? ` shard ${shard.index}/${shard.count}` : "";
  console.log(
    `${spec.name} / ${presetName}${shardText}: ${grid.sources.length} source(s), ` +
      `${grid.clones.length} clone(s), ${grid.runs.length} run(s) -> ${expDirs[0]}`,
  );
  const r = await runGrid(grid, expDirs[0], { shard, progress: progress ?? "auto" });
  console.log(
    `\n${r.trained.length} trained or resumed, ${r.skipped.length} already finished\n`,
  );
  console.log(formatTable(r.results));
  console.log(`\nresults: ${path.join(expDirs[0], "results.json")}`);
  return 0;
}
