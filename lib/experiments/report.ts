/**
 * The ablation table: one row per initialisation, as a Markdown table (it
 * reads in a terminal and pastes into the README). Its cells come from
 * lib/format.ts, as the notebooks' tables do.
 *
 * @module
 */
import { AXES, type Axis, type ResultsFile } from "./results.ts";
import { axisShortName, axisTitle } from "./costs.ts";
import { markdownTable, resultRows } from "../format.ts";

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
 * import assert from "node:assert/strict";
 * import { formatTable } from "./report.ts";
 * import { readResults } from "./results.ts";
 * const table = formatTable(readResults("tests/fixtures/variant-ablation-quick")!);
 * assert.ok(table.includes("| init "));
 * ```
 */
export function formatTable(res: ResultsFile): string {
  const kind = res.deviceHours ?? "legacy-wall";
  const axisHead = (a: Axis) => axisShortName(a, kind);
  const head = ["init", "seeds", "final val loss", "accuracy", ...AXES.map(axisHead)];
  const cells = resultRows(res);
  const rows = cells.map((r) => [
    r.init,
    String(r.seeds),
    r.valLoss,
    r.accuracy,
    ...AXES.map((a) => r.speedup[a]),
  ]);
  const srcRows = cells.filter((r) => r.init !== res.baseline)
    .map((r) => [r.init, ...AXES.map((a) => r.speedupWithSource[a])]);
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
    ...markdownTable(head, rows),
    "",
    "with the source's training charged:",
    "",
    ...markdownTable(["init", ...AXES.map((a) => axisHead(a) + " +src")], srcRows),
  ].join("\n");
}
