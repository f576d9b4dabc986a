/**
 * Reading experiment folders for figures (docs/run-layout.md): an experiment
 * is `ROOT/<spec>/<preset>/` with `runs/<id>/{run.json, metrics.jsonl,
 * summary.json}`. Unfinished runs are read too (their metrics so far), so a
 * notebook can chart a grid while it is still running.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  type MetricsLine,
  readMetrics,
  readSummary,
  type RunSummary,
  type TrainingCost,
} from "../train/loop.ts";

/** Contents of `runs/<id>/run.json`. */
export interface RunMeta {
  id: string;
  spec: string;
  preset: string;
  kind: "target" | "control";
  /** "random", a variant label, or "keep-training". */
  init: string;
  /** What the run is compared within (source budget, source size...); null when one group. */
  group: string | number | null;
  seed: number;
  source: string | null;
  clone: string | null;
}

/** One run of an experiment, as read from its folder. */
export interface RunRecord {
  dir: string;
  meta: RunMeta;
  metrics: MetricsLine[];
  summary: RunSummary | null;
  /** The source model's training cost (null for random init). */
  sourceCost: TrainingCost | null;
  /** Whether the run's device-hours are GPU-hours. */
  isGpu: boolean;
}

/** An experiment folder and its runs. */
export interface Experiment {
  dir: string;
  spec: string;
  preset: string;
  runs: RunRecord[];
}

function readJson<T>(p: string): T | null {
  return fs.existsSync(p) ? JSON.parse(fs.readFileSync(p, "utf8")) as T : null;
}

function isDir(p: string): boolean {
  return fs.existsSync(p) && fs.statSync(p).isDirectory();
}

function hasRuns(dir: string): boolean {
  const runs = path.join(dir, "runs");
  return isDir(runs) &&
    fs.readdirSync(runs).some((id) => fs.existsSync(path.join(runs, id, "run.json")));
}

/**
 * Experiment folders at or below `root` (at most `depth` levels down), sorted:
 * every folder that has `runs/<id>/run.json`.
 *
 * @example
 * ```ts
 * import { findExperiments } from "./runs.ts";
 * const dirs = findExperiments("runs"); // e.g. ["runs/variant-ablation/quick"]
 * ```
 */
export function findExperiments(root: string, depth = 3): string[] {
  if (!isDir(root)) {
    throw new Error(`runs directory ${root} does not exist; run 'deno task hc ablate' first`);
  }
  if (hasRuns(root)) return [root];
  if (depth === 0) return [];
  const out: string[] = [];
  for (const name of fs.readdirSync(root).sort()) {
    const sub = path.join(root, name);
    if (name !== "runs" && isDir(sub)) out.push(...findExperiments(sub, depth - 1));
  }
  return out;
}

function sourceCostOf(expDir: string, meta: RunMeta, summary: RunSummary | null) {
  if (summary) return summary.sourceCost;
  if (!meta.source) return null;
  return readSummary(path.join(expDir, "sources", meta.source))?.cost ?? null;
}

/**
 * Reads every run of one experiment folder (runs without metrics are skipped).
 *
 * @example
 * ```ts
 * import { loadExperiment } from "./runs.ts";
 * const exp = loadExperiment("runs/variant-ablation/quick");
 * console.log(exp.runs.length);
 * ```
 */
export function loadExperiment(dir: string): Experiment {
  const runsDir = path.join(dir, "runs");
  if (!isDir(runsDir)) {
    throw new Error(`${dir} has no runs/ folder; point at ROOT/<spec>/<preset> of 'hc ablate'`);
  }
  const runs: RunRecord[] = [];
  for (const id of fs.readdirSync(runsDir).sort()) {
    const runDir = path.join(runsDir, id);
    const meta = readJson<RunMeta>(path.join(runDir, "run.json"));
    if (!meta) continue;
    const metrics = readMetrics(runDir);
    if (metrics.length === 0) continue;
    const summary = readSummary(runDir);
    const sourceCost = sourceCostOf(dir, meta, summary);
    runs.push({ dir: runDir, meta, metrics, summary, sourceCost, isGpu: !!summary?.device.isGpu });
  }
  const first = runs[0]?.meta;
  return {
    dir,
    spec: first?.spec ?? path.basename(path.dirname(dir)),
    preset: first?.preset ?? path.basename(dir),
    runs,
  };
}

/**
 * The label a run is plotted under: its initialisation, prefixed by its group
 * when the experiment has several groups.
 *
 * @example
 * ```ts
 * import { runLabel } from "./runs.ts";
 * runLabel({ init: "symmetric", group: "src-200" } as never, true); // "src-200: symmetric"
 * ```
 */
export function runLabel(meta: RunMeta, byGroup: boolean): string {
  return byGroup && meta.group !== null && meta.group !== undefined
    ? `${meta.group}: ${meta.init}`
    : meta.init;
}

/**
 * Whether the runs span more than one group.
 *
 * @example
 * ```ts
 * import { hasGroups } from "./runs.ts";
 * hasGroups([]); // false
 * ```
 */
export function hasGroups(runs: RunRecord[]): boolean {
  return new Set(runs.map((r) => String(r.meta.group ?? ""))).size > 1;
}
