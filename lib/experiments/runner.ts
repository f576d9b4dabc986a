/**
 * Runs an expanded grid into `ROOT/<spec>/<preset>/` (docs/run-layout.md):
 * sources first (each trained once, cached under its hashed id), then the
 * clones, then every run in id order. Idempotent and crash-safe: a finished
 * run (summary.json) is skipped, an interrupted one resumes from its last
 * checkpoint (train's exact resume), a clone is written atomically and made
 * again only if missing. results.json is rewritten atomically at the end
 * from whatever runs are finished in the folder (all shards on a shared
 * filesystem).
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { train, type TrainOptions } from "../train/loop.ts";
import {
  CLONE_FILE,
  experimentPaths,
  readRunState,
  readSummary,
  runPaths,
  writeGrid,
  writePretrainedSummary,
  writeResultsFile,
  writeRunRecord,
} from "../io/run_folder.ts";
import type { TrainConfig } from "../train/config.ts";
import { cloneCheckpoint } from "../clone/checkpoint.ts";
import { canonicalJson, shardOf, stageCloneOf } from "./grid.ts";
import {
  computeResults,
  type GridFile,
  type GridSource,
  loadExperiment,
  type ResultsFile,
  type RunRecord,
} from "./results.ts";

/** Options of {@link runGrid}. */
export interface RunGridOptions {
  /** `{index, count}` (1-based) of `--shard i/n`; default the whole grid. */
  shard?: { index: number; count: number };
  /** Progress display of each training run. */
  progress?: TrainOptions["progress"];
  /** One line per phase ("source x: training", ...); default console.log. */
  log?: (line: string) => void;
  /**
   * Stops the grid after the training step in progress (that run saves a
   * checkpoint and resumes exactly on the next call); runGrid rejects with
   * the signal's reason.
   */
  signal?: AbortSignal;
}

/** What {@link runGrid} did. */
export interface RunGridReport {
  expDir: string;
  trained: string[];
  skipped: string[];
  results: ResultsFile;
}

/** grid.json is written by the run-folder module; re-exported for `hc ablate`. */
export { writeGrid };

/** The config with its relative init resolved against the experiment folder. */
function located(cfg: TrainConfig, expDir: string): TrainConfig {
  return cfg.init ? { ...cfg, init: path.join(expDir, cfg.init) } : cfg;
}

/**
 * Computes results.json from the experiment folder(s) and writes it
 * atomically into the first one. Returns the results.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeGrid } from "../io/run_folder.ts";
 * import { expandGrid } from "./grid.ts";
 * import { readSpec } from "./spec.ts";
 * import { writeResults } from "./runner.ts";
 * const dir = Deno.makeTempDirSync();
 * await writeGrid(dir, expandGrid(readSpec("experiments/variant-ablation.json"), "quick"));
 * const res = await writeResults([dir]); // nothing trained yet
 * assert.equal(res.finished, 0);
 * assert.ok(res.total > 0);
 * ```
 */
export async function writeResults(expDirs: string[]): Promise<ResultsFile> {
  const res = computeResults(loadExperiment(expDirs));
  await writeResultsFile(expDirs[0], res);
  return res;
}

/**
 * Runs this shard's share of a grid into `expDir`. The backend must be
 * initialised. Safe to call again after a crash or on a finished grid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend.ts";
 * import { readSpec } from "./spec.ts";
 * import { expandGrid } from "./grid.ts";
 * import { runGrid } from "./runner.ts";
 * await initBackend("cpu");
 * const grid = expandGrid(readSpec("experiments/variant-ablation.json"), "quick");
 * // An already stopped grid trains nothing and rejects with the signal's reason.
 * const signal = AbortSignal.abort(new Error("stopped"));
 * const dir = Deno.makeTempDirSync();
 * await assert.rejects(runGrid(grid, dir, { signal, log: () => {} }), /stopped/);
 * ```
 */
export async function runGrid(
  grid: GridFile,
  expDir: string,
  opts: RunGridOptions = {},
): Promise<RunGridReport> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const mine = shardOf(grid, opts.shard);
  await writeGrid(expDir, grid);
  const trained: string[] = [], skipped: string[] = [];
  const trainOne = async (what: string, cfg: TrainConfig, dir: string) => {
    if (readSummary(dir)) {
      skipped.push(dir);
      return;
    }
    opts.signal?.throwIfAborted();
    const resuming = readRunState(dir) !== null;
    log(`${what}: ${resuming ? "resuming" : "training"} ${cfg.steps} steps -> ${dir}`);
    await train(located(cfg, expDir), dir, {
      resume: true,
      progress: opts.progress ?? "auto",
      signal: opts.signal,
    });
    trained.push(dir);
  };

  const makeClone = async (c: GridFile["clones"][number]) => {
    const dir = experimentPaths(expDir).clone(c.id);
    if (fs.existsSync(path.join(dir, CLONE_FILE))) return;
    opts.signal?.throwIfAborted();
    const depth = c.options.depth && c.options.depth > 1
      ? ` depth x${c.options.depth} ${c.options.depthMode}`
      : "";
    log(`clone ${c.id}: ${c.options.variant} x${c.options.width}${depth} from ${c.source}`);
    await cloneCheckpoint(
      runPaths(experimentPaths(expDir).source(c.source)).checkpoint,
      dir,
      {
        ...c.options,
        verify: true,
        force: true,
      },
    );
  };
  // Sources come in stage order: a staged source's clone is made from its
  // (already trained) earlier stage just before it trains.
  const where = experimentPaths(expDir);
  for (const s of mine.sources) {
    if (s.pretrained) {
      await linkPretrained(where.source(s.id), s.pretrained);
      continue;
    }
    const stage = stageCloneOf(s);
    if (stage) await makeClone(mine.clones.find((c) => c.id === stage)!);
    await trainOne(`source ${s.id}`, s.config, where.source(s.id));
  }
  for (const c of mine.clones) await makeClone(c);
  for (const r of mine.runs) {
    const dir = where.run(r.id);
    const { config, ...record } = r;
    await writeRunRecord(dir, record satisfies RunRecord);
    await trainOne(`run ${r.id}`, config, dir);
  }
  const results = await writeResults([expDir]);
  return { expDir, trained, skipped, results };
}

/**
 * A pretrained source as a finished source run: `checkpoint` links to the
 * user's folder (no copy of its weights) and summary.json carries the cost the
 * spec gives it, so clones and controls find it where a trained source would be.
 */
async function linkPretrained(dir: string, pre: NonNullable<GridSource["pretrained"]>) {
  const target = path.resolve(pre.path);
  const link = runPaths(dir).checkpoint;
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(link)) fs.symlinkSync(target, link, "dir");
  await writePretrainedSummary(dir, {
    done: true,
    steps: pre.cost.steps,
    cost: pre.cost,
    pretrained: target,
  });
}

/**
 * A stable fingerprint of a results file without the wall-clock dependent
 * parts (device-hours axis, wall seconds): what a resumed grid must
 * reproduce exactly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deterministicView } from "./runner.ts";
 * const a = { finished: 1, runs: [{ id: "r", cost: { steps: 9, wallSeconds: 1.2 } }] };
 * const b = { finished: 1, runs: [{ id: "r", cost: { steps: 9, wallSeconds: 3.4 } }] };
 * assert.equal(deterministicView(a as never), deterministicView(b as never));
 * ```
 */
export function deterministicView(res: ResultsFile): string {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === "object") {
      return Object.fromEntries(
        Object.entries(v).filter(([k]) => !/wallSeconds|deviceHours|cpuSeconds/i.test(k)).map((
          [k, x],
        ) => [k, strip(x)]),
      );
    }
    return v;
  };
  return canonicalJson(strip(res));
}
