/**
 * Table rows for notebooks and reports, from results.json.
 *
 * @module
 */
import {
  AXES,
  type Axis,
  type MeanSd,
  type ResultsFile,
  type SpeedupStat,
} from "../experiments/results.ts";
import { formatSpeedup as formatReportSpeedup, speedupCell } from "../experiments/report.ts";
import { axisShortName } from "../experiments/costs.ts";

function pm(m: MeanSd, digits = 3): string {
  if (m.mean === null) return "-";
  return m.sd === null
    ? m.mean.toFixed(digits)
    : `${m.mean.toFixed(digits)} ± ${m.sd.toFixed(digits)}`;
}

/**
 * The experiment report's speed-up cell (lib/experiments/report.ts), or "-"
 * when there is no comparison.
 *
 * @example
 * ```ts
 * import { formatSpeedup } from "./tables.ts";
 * formatSpeedup({ mean: 2, ci95: [1.5, 2.5], n: 3, nReached: 3, values: [2, 1.5, 2.5] }); // "2.00x [1.50, 2.50]"
 * ```
 */
export function formatSpeedup(s: SpeedupStat | undefined | null): string {
  return s ? formatReportSpeedup(s) : "-";
}

/**
 * One row per initialisation: seeds, final val loss and accuracy (the
 * suite's average accuracy; mean ± sd), and the speed-up vs random init on
 * `axes` (default every axis of lib/experiments/costs.ts) without and with the source's cost (mean
 * and 95% bootstrap interval; "undefined" when the baseline never passed
 * the source). The cells are the printed table's (report.ts speedupCell).
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
  axes: readonly Axis[] = AXES,
): Record<string, string | number>[] {
  const acc = (r: ResultsFile["inits"][number]) => r.finalAccuracy ?? r.finalTaskAccuracy;
  const task = res.inits.some((r) => acc(r).n > 0);
  const kind = res.deviceHours ?? "legacy-wall";
  return res.inits.map((r) => {
    const row: Record<string, string | number> = {
      init: r.init,
      seeds: r.seeds.length,
      "final val loss": pm(r.finalValLoss),
      [task ? "final accuracy" : "final next-byte acc"]: pm(task ? acc(r) : r.finalValAccuracy),
    };
    for (const a of axes) {
      const name = axisShortName(a, kind);
      row[`speed-up (${name})`] = speedupCell(res, r, a, false);
      row[`+ source (${name})`] = r.init === res.baseline ? "-" : speedupCell(res, r, a, true);
    }
    return row;
  });
}
