/**
 * Table rows for notebooks and reports, from results.json.
 *
 * @module
 */
import type { Axis, MeanSd, ResultsFile, SpeedupStat } from "../experiments/results.ts";

function pm(m: MeanSd, digits = 3): string {
  if (m.mean === null) return "-";
  return m.sd === null
    ? m.mean.toFixed(digits)
    : `${m.mean.toFixed(digits)} ± ${m.sd.toFixed(digits)}`;
}

/**
 * "2.41x [2.10, 2.80]", "not reached", "∞ (starts past the target)" (the
 * run starts at or beyond the baseline's final loss), or "-" (no comparison).
 *
 * @example
 * ```ts
 * import { formatSpeedup } from "./tables.ts";
 * formatSpeedup({ mean: 2, ci95: [1.5, 2.5], n: 3, nReached: 3, values: [2, 1.5, 2.5] }); // "2.00x [1.50, 2.50]"
 * ```
 */
export function formatSpeedup(s: SpeedupStat | undefined | null): string {
  if (!s) return "-";
  if (s.mean === null) return "not reached";
  if (s.mean === Infinity) return "∞ (starts past the target)";
  const ok = s.ci95 && s.ci95.every((v) => typeof v === "number" && Number.isFinite(v));
  const ci = ok ? ` [${s.ci95![0].toFixed(2)}, ${s.ci95![1].toFixed(2)}]` : "";
  const partial = s.nReached < s.n ? ` (${s.nReached}/${s.n} seeds)` : "";
  return `${s.mean.toFixed(2)}x${ci}${partial}`;
}

/**
 * One row per initialisation: seeds, final val loss and accuracy (mean ± sd),
 * and the speed-up vs random init on `axes` without and with the source's
 * cost (mean and 95% bootstrap interval).
 *
 * @example
 * ```ts
 * import { readResults } from "../experiments/results.ts";
 * import { speedupTable } from "./tables.ts";
 * const rows = speedupTable(readResults("runs/variant-ablation/quick")!, ["steps", "deviceHours"]);
 * ```
 */
export function speedupTable(
  res: ResultsFile,
  axes: Axis[] = ["steps", "deviceHours"],
): Record<string, string | number>[] {
  const task = res.inits.some((r) => r.finalTaskAccuracy.n > 0);
  return res.inits.map((r) => {
    const row: Record<string, string | number> = {
      init: r.init,
      seeds: r.seeds.length,
      "final val loss": pm(r.finalValLoss),
      [task ? "final task acc" : "final next-byte acc"]: pm(
        task ? r.finalTaskAccuracy : r.finalValAccuracy,
      ),
    };
    for (const a of axes) {
      row[`speed-up (${a})`] = r.init === res.baseline ? "1 (baseline)" : formatSpeedup(
        r.speedup?.[a].without,
      );
      row[`+ source (${a})`] = r.init === res.baseline ? "-" : formatSpeedup(
        r.speedup?.[a].withSource,
      );
    }
    return row;
  });
}
