/**
 * Table rows for notebooks and reports, from results.json. The cells are the
 * printed table's (lib/format.ts {@link resultRows}).
 *
 * @module
 */
import { AXES, type Axis, type ResultsFile } from "../experiments/results.ts";
import { axisShortName } from "../experiments/costs.ts";
import { resultRows } from "../format.ts";

/**
 * One row per initialisation: seeds, final val loss and accuracy (the
 * suite's average accuracy, or next-byte accuracy when no run scored the
 * suite; mean ± sd), and the speed-up vs random init on `axes` (default
 * every axis of lib/experiments/costs.ts) without and with the source's cost
 * (mean and 95% bootstrap interval; "undefined" when the baseline never
 * passed the source).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readResults } from "../experiments/results.ts";
 * import { speedupTable } from "./tables.ts";
 * const res = readResults("tests/fixtures/variant-ablation-quick")!;
 * const rows = speedupTable(res, ["steps", "deviceHours"]);
 * assert.equal(rows.length, res.inits.length);
 * assert.equal(rows[0].init, res.inits[0].init);
 * ```
 */
export function speedupTable(
  res: ResultsFile,
  axes: readonly Axis[] = AXES,
): Record<string, string | number>[] {
  const task = res.inits.some((r) => (r.finalAccuracy ?? r.finalTaskAccuracy).n > 0);
  const kind = res.deviceHours ?? "legacy-wall";
  return resultRows(res).map((r) => {
    const row: Record<string, string | number> = {
      init: r.init,
      seeds: r.seeds,
      "final val loss": r.valLoss,
      [task ? "final accuracy" : "final next-byte acc"]: task ? r.accuracy : r.valAccuracy,
    };
    for (const a of axes) {
      const name = axisShortName(a, kind);
      row[`speed-up (${name})`] = r.speedup[a];
      row[`+ source (${name})`] = r.init === res.baseline ? "-" : r.speedupWithSource[a];
    }
    return row;
  });
}
