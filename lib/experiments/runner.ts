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
import { writeFileAtomic } from "../io/atomic.ts";
import { readSummary, train, type TrainOptions } from "../train/loop.ts";
import type { TrainConfig } from "../train/config.ts";
import { cloneCheckpoint } from "../clone/checkpoint.ts";
import { canonicalJson, shardOf, stageCloneOf } from "./grid.ts";
import {
  computeResults,
  type GridFile,
  type GridSource,
  loadExperiment,
  type ResultsFile,
  resultsJson,
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
  /** Stop (as if killed) after this many training steps in total: for tests. */
  stopAfterSteps?: number;
}

/** What {@link runGrid} did. */
export interface RunGridReport {
  expDir: string;
  trained: string[];
  skipped: string[];
  results: ResultsFile;
}

/**
 * Writes grid.json (atomically, only when its content changed).
 *
 * @example
 * ```ts
 * import { writeGrid } from "./runner.ts";
 * import { expandGrid } from "./grid.ts";
 * import { readSpec } from "./spec.ts";
 * await writeGrid("runs/variant-ablation/quick", expandGrid(readSpec("experiments/variant-ablation.json"), "quick"));
 * ```
 */
export async function writeGrid(expDir: string, grid: GridFile): Promise<void> {
  const p = path.join(expDir, "grid.json");
  const text = JSON.stringify(grid, null, 2) + "\n";
  if (fs.existsSync(p) && fs.readFileSync(p, "utf8") === text) return;
  fs.mkdirSync(expDir, { recursive: true });
  await writeFileAtomic(p, text);
}

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
 * import { writeResults } from "./runner.ts";
 * const res = await writeResults(["runs/variant-ablation/quick"]);
 * ```
 */
export async function writeResults(expDirs: string[]): Promise<ResultsFile> {
  const res = computeResults(loadExperiment(expDirs));
  await writeFileAtomic(path.join(expDirs[0], "results.json"), resultsJson(res));
  return res;
}

/**
 * Runs this shard's share of a grid into `expDir`. The backend must be
 * initialised. Safe to call again after a crash or on a finished grid.
 *
 * @example
 * ```ts
 * import { initBackend } from "../backend.ts";
 * import { readSpec } from "./spec.ts";
 * import { expandGrid } from "./grid.ts";
 * import { runGrid } from "./runner.ts";
 * await initBackend();
 * const grid = expandGrid(readSpec("experiments/variant-ablation.json"), "quick");
 * const r = await runGrid(grid, "runs/variant-ablation/quick", { shard: { index: 1, count: 1 } });
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
  let budget = opts.stopAfterSteps;
  const trainOne = async (what: string, cfg: TrainConfig, dir: string) => {
    if (readSummary(dir)) {
      skipped.push(dir);
      return;
    }
    const resuming = fs.existsSync(path.join(dir, "checkpoint", "state.json"));
    log(`${what}: ${resuming ? "resuming" : "training"} ${cfg.steps} steps -> ${dir}`);
    const before = readStep(dir);
    await train(located(cfg, expDir), dir, {
      resume: true,
      progress: opts.progress ?? "auto",
      stopAfterSteps: budget,
    });
    if (budget !== undefined) budget -= cfg.steps - before;
    trained.push(dir);
  };

  const makeClone = async (c: GridFile["clones"][number]) => {
    const dir = path.join(expDir, "clones", c.id);
    if (fs.existsSync(path.join(dir, "clone.json"))) return;
    const depth = c.options.depth && c.options.depth > 1
      ? ` depth x${c.options.depth} ${c.options.depthMode}`
      : "";
    log(`clone ${c.id}: ${c.options.variant} x${c.options.width}${depth} from ${c.source}`);
    await cloneCheckpoint(
      path.join(expDir, "sources", c.source, "checkpoint"),
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
  for (const s of mine.sources) {
    if (s.pretrained) {
      await linkPretrained(path.join(expDir, "sources", s.id), s.pretrained);
      continue;
    }
    const stage = stageCloneOf(s);
    if (stage) await makeClone(mine.clones.find((c) => c.id === stage)!);
    await trainOne(`source ${s.id}`, s.config, path.join(expDir, "sources", s.id));
  }
  for (const c of mine.clones) await makeClone(c);
  for (const r of mine.runs) {
    const dir = path.join(expDir, "runs", r.id);
    const { config, ...record } = r;
    const recPath = path.join(dir, "run.json");
    const recText = JSON.stringify(record satisfies RunRecord, null, 2) + "\n";
    if (!fs.existsSync(recPath) || fs.readFileSync(recPath, "utf8") !== recText) {
      fs.mkdirSync(dir, { recursive: true });
      await writeFileAtomic(recPath, recText);
    }
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
  const link = path.join(dir, "checkpoint");
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(link)) fs.symlinkSync(target, link, "dir");
  const summary = { done: true, steps: pre.cost.steps, cost: pre.cost, pretrained: target };
  await writeFileAtomic(path.join(dir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
}

/** Step of a run directory's last checkpoint (0 when none): where a resume starts. */
function readStep(dir: string): number {
  const st = path.join(dir, "checkpoint", "state.json");
  if (fs.existsSync(st)) return JSON.parse(fs.readFileSync(st, "utf8")).step ?? 0;
  return 0;
}

/**
 * A stable fingerprint of a results file without the wall-clock dependent
 * parts (device-hours axis, wall seconds): what a resumed grid must
 * reproduce exactly.
 *
 * @example
 * ```ts
 * import { deterministicView } from "./runner.ts";
 * // deterministicView(resA) === deterministicView(resB) for an interrupted and an uninterrupted grid
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
