/**
 * Running (or loading) an experiment grid from a notebook: the same runner
 * as `hc ablate`, finished runs skipped, so re-executing a notebook loads
 * instead of training.
 *
 * @module
 */
import { expandGrid } from "../experiments/grid.ts";
import { runGrid } from "../experiments/runner.ts";
import { deepMerge, parseSpec, presetOf, readSpec, type Spec } from "../experiments/spec.ts";
import { type Experiment, experimentDir, loadExperiment } from "../experiments/results.ts";
import { NOTEBOOK_SHRINK } from "./presets.ts";
import { specWarnings } from "../experiments/degenerate.ts";

/** Options of {@link runExperiment}. */
export interface RunExperimentOptions {
  /** Root of the experiment folders (default "runs"). */
  out?: string;
  /**
   * Shrink the preset for notebooks (default: true for "quick"): the
   * experiment runs as preset `<preset>-nb` with scaled-down steps.
   */
  shrink?: boolean;
  /** One line per phase (default console.log). */
  log?: (line: string) => void;
}

type Raw = Record<string, unknown>;

function scaleSteps(obj: unknown, f: number): void {
  if (!obj || typeof obj !== "object") return;
  for (const [k, v] of Object.entries(obj as Raw)) {
    if (k === "steps" && typeof v === "number") (obj as Raw)[k] = Math.max(8, Math.round(v * f));
    else scaleSteps(v, f);
  }
}

/**
 * A spec whose only preset is `<preset>-nb`: the spec's preset with the
 * target's (and controls') `steps` scaled by {@link NOTEBOOK_SHRINK}.stepScale,
 * one seed, and a matching eval cadence. Sources keep their budgets.
 *
 * @example
 * ```ts
 * import { shrunkSpec } from "./experiment.ts";
 * const { spec, preset } = shrunkSpec("experiments/variant-ablation.json", "quick");
 * ```
 */
export function shrunkSpec(file: string, preset: string): { spec: Spec; preset: string } {
  const full = readSpec(file); // validates every preset first
  presetOf(full, preset);
  const raw = JSON.parse(Deno.readTextFileSync(file)) as Raw;
  const merged = deepMerge(raw.base ?? {}, (raw.presets as Raw)[preset]) as Raw;
  scaleSteps(merged.target, NOTEBOOK_SHRINK.stepScale);
  scaleSteps(merged.inits, NOTEBOOK_SHRINK.stepScale);
  Object.assign(merged, {
    comment: `${preset} scaled for notebooks`,
    seeds: NOTEBOOK_SHRINK.seeds,
    evalEvery: NOTEBOOK_SHRINK.evalEvery,
    checkpointEvery: 1000,
    taskItems: Math.min(Number(merged.taskItems ?? 0), NOTEBOOK_SHRINK.taskItems),
  });
  const name = `${preset}-nb`;
  const spec = parseSpec({ ...raw, base: {}, presets: { [name]: merged } }, file);
  return { spec, preset: name };
}

/**
 * Runs the grid of `specFile` at `preset` into `out/<spec>/<preset>/` (runs
 * already finished are loaded, interrupted ones resumed) and returns the
 * loaded experiment. The backend must be initialised (initBackend).
 *
 * @example
 * ```ts
 * import { initBackend } from "../backend.ts";
 * import { runExperiment } from "./experiment.ts";
 * await initBackend();
 * const exp = await runExperiment("experiments/variant-ablation.json", "quick", { out: "runs" });
 * console.log(exp.runs.length);
 * ```
 */
export async function runExperiment(
  specFile: string,
  preset: string,
  opts: RunExperimentOptions = {},
): Promise<Experiment> {
  const shrink = opts.shrink ?? preset === "quick";
  const { spec, preset: p } = shrink
    ? shrunkSpec(specFile, preset)
    : { spec: readSpec(specFile), preset };
  const log = opts.log ?? ((l: string) => console.log(l));
  for (const w of specWarnings(spec, p)) log(`warning: ${w}`);
  const grid = expandGrid(spec, p);
  const dir = experimentDir(opts.out ?? "runs", spec.name, p);
  const started = performance.now();
  log(`${spec.name}/${p}: ${grid.sources.length} source(s), ${grid.runs.length} run(s) -> ${dir}`);
  const r = await runGrid(grid, dir, { progress: "plain", log });
  const secs = ((performance.now() - started) / 1000).toFixed(0);
  log(`done in ${secs} s: ${r.trained.length} trained, ${r.skipped.length} loaded`);
  return loadExperiment(dir);
}
