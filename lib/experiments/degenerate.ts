/**
 * Degenerate experiments: when the random-init baseline never gets below a
 * source's final loss, every clone of that source (and the keep-training
 * control) starts past the speed-up target. Its speed-up is then `inf`
 * without the source's cost and, with it, just the baseline's budget over
 * the source's cost, the same for every variant: a number that says nothing
 * about the initialisation. Such speed-ups are undefined.
 *
 * Two checks:
 * - **At spec load** ({@link specWarnings}), a prediction. Whether the
 *   baseline will pass a source's loss cannot be computed without training
 *   both, so the rule is a sufficient condition, not an oracle: the baseline
 *   is the larger model, trained on the same data stream; larger models are
 *   at least as sample-efficient as smaller ones at equal tokens with a tuned
 *   learning rate (measured here: the 64-wide baseline after 300 steps
 *   matches the 32-wide source after 400), so a baseline that sees at least
 *   as many training tokens as the source (all stages of a staged source)
 *   is expected to end below it. A
 *   baseline that sees fewer may or may not: the preset is flagged. (A FLOPs
 *   rule would not catch it: a 2x wider baseline gets ~3x the source's FLOPs
 *   per step, and a 150-step baseline, measured never to pass a 400-step
 *   source, still has more FLOPs than that source.)
 * - **After the runs** ({@link degenerateSources}), the fact: the
 *   baseline's speed-up target (its smoothed final val loss) against each
 *   source's final val loss. The table then prints "the baseline never
 *   passed the source: speed-ups are undefined" instead of the numbers.
 *
 * @module
 */
import * as path from "node:path";
import { readSourceSummary } from "../io/run_folder.ts";
import { smoothedFinal } from "../eval/speedup.ts";
import type { ResolvedPreset, Spec } from "./spec.ts";
import type { Experiment } from "./results.ts";

/** A source the baseline never passed. */
export interface DegenerateSource {
  /** Source id (folder under sources/). */
  source: string;
  /** Source name in the spec. */
  name: string;
  sourceFinalValLoss: number;
  /** The baseline's speed-up target (mean over seeds of its smoothed final val loss). */
  baselineTarget: number;
  message: string;
}

/**
 * Training steps behind a source: its own plus, for a staged source
 * (`from`), every earlier stage's (each stage saw its own tokens).
 */
function historySteps(p: ResolvedPreset, name: string, seen = new Set<string>()): number {
  const s = p.sources[name];
  // A pretrained source's own training is not in this spec: it counts nothing here.
  if (!s || "path" in s || seen.has(name)) return 0;
  seen.add(name);
  return s.steps + (s.from ? historySteps(p, s.from.source, seen) : 0);
}

/** The sources a preset's clone and keep-training inits start from. */
function usedSources(p: ResolvedPreset): string[] {
  const names = p.inits.flatMap((i) => (i.kind === "random" ? [] : [i.source]));
  return [...new Set(names)];
}

/**
 * Warnings for presets whose random baseline is predicted not to pass a
 * source's final loss: it trains on fewer tokens than that source (see the
 * module doc for why tokens). `preset` limits the check to one preset.
 *
 * @example
 * ```ts
 * import { readSpec } from "./spec.ts";
 * import { specWarnings } from "./degenerate.ts";
 * for (const w of specWarnings(readSpec("experiments/variant-ablation.json"))) console.warn(w);
 * ```
 */
export function specWarnings(spec: Spec, preset?: string): string[] {
  const out: string[] = [];
  for (const [name, p] of Object.entries(spec.presets)) {
    if (preset !== undefined && name !== preset) continue;
    const tokensPerStep = p.data.batchSize * p.data.seqLen;
    const baseTokens = p.target.steps * tokensPerStep;
    for (const s of usedSources(p)) {
      const src = p.sources[s];
      if ("path" in src) continue; // pretrained: its training is not in this spec
      const srcSteps = historySteps(p, s);
      const srcTokens = srcSteps * tokensPerStep;
      if (baseTokens >= srcTokens) continue;
      out.push(
        `${spec.file}: preset ${name}: the random baseline trains ${p.target.steps} steps ` +
          `(${baseTokens} tokens), fewer than source '${s}' (${srcSteps} steps${
            "from" in src && src.from ? " over its stages" : ""
          }, ${srcTokens} ` +
          `tokens); it may never get below that source's final loss, and then the speed-ups ` +
          `of every init starting from '${s}' are undefined. Give target.steps >= ${srcSteps}.`,
      );
    }
  }
  return out;
}

/**
 * The sources whose final val loss the baseline's speed-up target does not
 * beat. Needs the sources' summary.json (in any of the experiment folders)
 * and finished baseline runs; returns [] when either is missing.
 *
 * @example
 * ```ts
 * import { computeResults, loadExperiment } from "./results.ts";
 * const res = computeResults(loadExperiment("tests/fixtures/variant-ablation-quick"));
 * console.log(res.degenerate.map((d) => d.message));
 * ```
 */
export function degenerateSources(exp: Experiment): DegenerateSource[] {
  const base = exp.runs.filter((r) => r.summary && r.record.init === exp.grid.baseline);
  if (!base.length) return [];
  const k = Math.min(exp.grid.k, ...base.map((r) => r.metrics.length));
  if (k < 1) return [];
  const targets = base.map((r) =>
    smoothedFinal({ x: r.metrics.map((m) => m.step), y: r.metrics.map((m) => m.valLoss) }, k)
  );
  const target = targets.reduce((a, b) => a + b, 0) / targets.length;
  const out: DegenerateSource[] = [];
  for (const s of exp.grid.sources) {
    const summary = exp.dirs.map((d) => readSourceSummary(path.join(d, "sources", s.id)))
      .find(Boolean);
    if (!summary || !("final" in summary)) continue; // a pretrained source has no evaluation here
    const loss = summary.final.valLoss;
    if (target < loss) continue;
    out.push({
      source: s.id,
      name: s.name,
      sourceFinalValLoss: loss,
      baselineTarget: target,
      message: `the baseline never passed the source '${s.name}' (baseline target ` +
        `${target.toFixed(4)} >= source final val loss ${loss.toFixed(4)}): speed-ups are ` +
        `undefined; train the baseline longer than the source (target.steps >= ` +
        `sources.${s.name}.steps)`,
    });
  }
  return out;
}
