/**
 * How results read as text: mean ± sd, speed-ups, one row of cells per
 * initialisation and Markdown tables. The printed table
 * (lib/experiments/report.ts), the notebooks' tables (lib/plot/tables.ts) and
 * the figures' labels all format through here, so they show the same numbers
 * the same way.
 *
 * @module
 */
import { COST_AXES, type CostAxis } from "./experiments/costs.ts";
import type {
  AxisSpeedup,
  InitResult,
  MeanSd,
  ResultsFile,
  SpeedupStat,
} from "./experiments/results.ts";

/**
 * A mean over seeds with its standard deviation: `2.345 ± 0.012`, the mean
 * alone for one seed, "-" when nothing was measured.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatMeanSd } from "./format.ts";
 * assert.equal(formatMeanSd({ mean: 2.3456, sd: 0.0123, n: 3 }), "2.346 ± 0.012");
 * assert.equal(formatMeanSd({ mean: 2.3456, sd: null, n: 1 }), "2.346");
 * assert.equal(formatMeanSd({ mean: null, sd: null, n: 0 }), "-");
 * ```
 */
export function formatMeanSd(m: MeanSd, digits = 3): string {
  if (m.mean === null) return "-";
  const mean = m.mean.toFixed(digits);
  return m.sd === null ? mean : `${mean} ± ${m.sd.toFixed(digits)}`;
}

/**
 * A speed-up factor: `2.70x`, or `inf` when the target was reached at the
 * first evaluation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatFactor } from "./format.ts";
 * assert.equal(formatFactor(2.7), "2.70x");
 * assert.equal(formatFactor(Infinity), "inf");
 * ```
 */
export function formatFactor(x: number): string {
  return Number.isFinite(x) ? `${x.toFixed(2)}x` : "inf";
}

/**
 * A speed-up over seeds: `2.70x [2.10, 3.20]` (mean and bootstrap 95%
 * interval), `inf` when reached at the first evaluation, `(k/n reached)`
 * when not every seed reached the target, "-" when there is no comparison.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSpeedup } from "./format.ts";
 * const s = { mean: 2.7, ci95: [2.1, 3.2] as [number, number], n: 3, nReached: 3, values: [2, 3, 3.1] };
 * assert.equal(formatSpeedup(s), "2.70x [2.10, 3.20]");
 * assert.equal(formatSpeedup({ ...s, mean: null, nReached: 0 }), "not reached (0/3)");
 * assert.equal(formatSpeedup(null), "-");
 * ```
 */
export function formatSpeedup(s: SpeedupStat | null | undefined): string {
  if (!s) return "-";
  if (s.mean === null) return `not reached (0/${s.n})`;
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "inf");
  const ci = s.nReached > 1 && s.ci95 ? ` [${f(s.ci95[0])}, ${f(s.ci95[1])}]` : "";
  const partial = s.nReached < s.n ? ` (${s.nReached}/${s.n} reached)` : "";
  return `${formatFactor(s.mean)}${ci}${partial}`;
}

/**
 * The speed-up cell of one row on one axis: "1 (baseline)", "undefined"
 * when the baseline never passed the row's source, "-" when there is no
 * comparison (also on an axis older results lack), else {@link formatSpeedup}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { speedupCell } from "./format.ts";
 * const row = { init: "random", speedup: null } as never;
 * assert.equal(speedupCell({ baseline: "random" }, row, "steps", false), "1 (baseline)");
 * ```
 */
export function speedupCell(
  res: Pick<ResultsFile, "baseline">,
  row: InitResult,
  axis: CostAxis,
  withSource: boolean,
): string {
  if (row.init === res.baseline) return "1 (baseline)";
  if (!row.speedup) return "-";
  if (row.undefinedReason) return "undefined";
  // Results written before an axis existed have no speed-up on it.
  const s: AxisSpeedup | undefined = row.speedup[axis];
  if (!s) return "-";
  return formatSpeedup(withSource ? s.withSource : s.without);
}

/** The cells of one initialisation's row, as every table shows them. */
export interface ResultRow {
  init: string;
  /** Number of finished seeds. */
  seeds: number;
  /** Final validation loss, mean ± sd. */
  valLoss: string;
  /** Final accuracy (the suite's average; a single built-in task's for old runs), mean ± sd. */
  accuracy: string;
  /** Final next-token accuracy on the validation batches, mean ± sd. */
  valAccuracy: string;
  /** Speed-up cell per cost axis, the source's training not charged. */
  speedup: Record<CostAxis, string>;
  /** Speed-up cell per cost axis with the source's training charged. */
  speedupWithSource: Record<CostAxis, string>;
}

/**
 * One {@link ResultRow} per initialisation of a results file, in its order:
 * the one builder behind the printed table and the notebooks' tables.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resultRows } from "./format.ts";
 * import { readResults } from "./experiments/results.ts";
 * const res = readResults("tests/fixtures/variant-ablation-quick")!;
 * const rows = resultRows(res);
 * assert.equal(rows.length, res.inits.length);
 * assert.equal(rows.find((r) => r.init === res.baseline)!.speedup.steps, "1 (baseline)");
 * ```
 */
export function resultRows(res: ResultsFile): ResultRow[] {
  const perAxis = (r: InitResult, withSource: boolean) =>
    Object.fromEntries(COST_AXES.map((a) => [a, speedupCell(res, r, a, withSource)])) as Record<
      CostAxis,
      string
    >;
  return res.inits.map((r) => ({
    init: r.init,
    seeds: r.seeds.length,
    valLoss: formatMeanSd(r.finalValLoss),
    accuracy: formatMeanSd(r.finalAccuracy ?? r.finalTaskAccuracy),
    valAccuracy: formatMeanSd(r.finalValAccuracy),
    speedup: perAxis(r, false),
    speedupWithSource: perAxis(r, true),
  }));
}

/**
 * A Markdown table as lines, columns padded to their widest cell (it reads
 * in a terminal and pastes into a README).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { markdownTable } from "./format.ts";
 * assert.deepEqual(markdownTable(["init", "x"], [["random", "1"]]), [
 *   "| init   | x |",
 *   "| ------ | - |",
 *   "| random | 1 |",
 * ]);
 * ```
 */
export function markdownTable(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}
