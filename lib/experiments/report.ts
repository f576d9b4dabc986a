/**
 * The ablation table: one row per initialisation, as a Markdown table (it
 * reads in a terminal and pastes into the README).
 *
 * @module
 */
import { AXES, type Axis, type InitResult, type ResultsFile, type SpeedupStat } from "./results.ts";
import { axisShortName, axisTitle } from "./costs.ts";

function num(x: number | null, digits = 3): string {
  return x === null ? "-" : x.toFixed(digits);
}

/**
 * Formats a speed-up: `2.70x [2.10, 3.20]`, `>= 1 at start` style cases as
 * `inf` (reached at the first evaluation), and `k/n reached` when not every
 * seed reached the target.
 *
 * @example
 * ```ts
 * import { formatSpeedup } from "./report.ts";
 * formatSpeedup({ mean: 2.7, ci95: [2.1, 3.2], n: 3, nReached: 3, values: [2, 3, 3.1] }); // "2.70x [2.10, 3.20]"
 * ```
 */
export function formatSpeedup(s: SpeedupStat): string {
  if (s.mean === null) return `not reached (0/${s.n})`;
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "inf");
  const ci = s.nReached > 1 && s.ci95 ? ` [${f(s.ci95[0])}, ${f(s.ci95[1])}]` : "";
  const partial = s.nReached < s.n ? ` (${s.nReached}/${s.n} reached)` : "";
  return `${f(s.mean)}${Number.isFinite(s.mean) ? "x" : ""}${ci}${partial}`;
}

function meanSd(m: InitResult["finalValLoss"], digits = 3): string {
  if (m.mean === null) return "-";
  return m.sd === null ? num(m.mean, digits) : `${num(m.mean, digits)} ± ${num(m.sd, digits)}`;
}

/**
 * The speed-up cell of one row on one axis: "1 (baseline)", "undefined"
 * when the baseline never passed the row's source, "-" when there is no
 * comparison, else {@link formatSpeedup}. The table, the notebooks' tables
 * and the speed-up bars all use it.
 *
 * @example
 * ```ts
 * import { speedupCell } from "./report.ts";
 * import { readResults } from "./results.ts";
 * const res = readResults("runs/variant-ablation/quick")!;
 * speedupCell(res, res.inits[1], "steps", true);
 * ```
 */
export function speedupCell(
  res: Pick<ResultsFile, "baseline">,
  row: InitResult,
  axis: Axis,
  withSource: boolean,
): string {
  if (row.init === res.baseline) return "1 (baseline)";
  if (!row.speedup) return "-";
  if (row.undefinedReason) return "undefined";
  return formatSpeedup(withSource ? row.speedup[axis].withSource : row.speedup[axis].without);
}

function markdown(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

/**
 * The table as Markdown lines: one row per initialisation with seeds, final
 * val loss, final accuracy (the suite's average accuracy; the single
 * built-in task's for old runs), then the speed-up to the baseline's final
 * val loss on every cost axis of lib/experiments/costs.ts (baseline-equivalent
 * steps, tokens, FLOPs, device-hours; training only), first without the
 * source model's cost, then, in a second table, with it charged (mean over
 * seeds with a bootstrap 95% interval). When the baseline never passed a
 * source, its rows say "undefined" and a line says why.
 *
 * @example
 * ```ts
 * import { formatTable } from "./report.ts";
 * import { readResults } from "./results.ts";
 * console.log(formatTable(readResults("runs/variant-ablation/quick")!));
 * ```
 */
export function formatTable(res: ResultsFile): string {
  const kind = res.deviceHours ?? "legacy-wall";
  const axisHead = (a: Axis) => axisShortName(a, kind);
  const head = ["init", "seeds", "final val loss", "accuracy", ...AXES.map(axisHead)];
  const rows = res.inits.map((r) => [
    r.init,
    String(r.seeds.length),
    meanSd(r.finalValLoss),
    meanSd(r.finalAccuracy ?? r.finalTaskAccuracy),
    ...AXES.map((a) => speedupCell(res, r, a, false)),
  ]);
  const srcRows = res.inits.filter((r) => r.init !== res.baseline)
    .map((r) => [r.init, ...AXES.map((a) => speedupCell(res, r, a, true))]);
  const target = res.inits.find((r) => r.target !== null)?.target ?? null;
  const undef = (res.degenerate ?? []).map((d) => `warning: ${d.message}`);
  return [
    `${res.spec} / ${res.preset}: ${res.finished}/${res.total} runs finished; ` +
    `speed-up to the '${res.baseline}' final val loss${
      target === null ? "" : ` (${target.toFixed(4)}, mean of last ${res.k} evals)`
    }; mean [95% CI] over seeds`,
    `cost axes count training only (evaluation excluded): steps = baseline-equivalent steps ` +
    `(training FLOPs / one baseline step); ${axisHead("deviceHours")} = ${
      axisTitle("deviceHours", { kind })
    }`,
    ...undef,
    "",
    ...markdown(head, rows),
    "",
    "with the source's training charged:",
    "",
    ...markdown(["init", ...AXES.map((a) => axisHead(a) + " +src")], srcRows),
  ].join("\n");
}
