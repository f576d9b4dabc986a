/**
 * The ablation table: one row per initialisation, as a Markdown table (it
 * reads in a terminal and pastes into the README).
 *
 * @module
 */
import type { InitResult, ResultsFile, SpeedupStat } from "./results.ts";

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
 * The table as Markdown lines. Columns: initialisation, seeds, final val
 * loss, final built-in task accuracy, then the speed-up to the baseline's
 * final val loss on three axes (baseline-equivalent steps, training FLOPs,
 * device-hours), each without and with the source model's cost charged
 * (mean over seeds with a bootstrap 95% interval).
 *
 * @example
 * ```ts
 * import { formatTable } from "./report.ts";
 * import { readResults } from "./results.ts";
 * console.log(formatTable(readResults("runs/variant-ablation/quick")!));
 * ```
 */
export function formatTable(res: ResultsFile): string {
  const head = [
    "init",
    "seeds",
    "final val loss",
    "task acc",
    "steps",
    "steps +src",
    "FLOPs",
    "FLOPs +src",
    "device-h",
    "device-h +src",
  ];
  const rows = res.inits.map((r) => {
    const sp = r.speedup;
    const cell = (a: "steps" | "flops" | "deviceHours", w: boolean) =>
      r.init === res.baseline
        ? "1 (baseline)"
        : sp
        ? formatSpeedup(w ? sp[a].withSource : sp[a].without)
        : "-";
    return [
      r.init,
      String(r.seeds.length),
      meanSd(r.finalValLoss),
      meanSd(r.finalTaskAccuracy),
      cell("steps", false),
      cell("steps", true),
      cell("flops", false),
      cell("flops", true),
      cell("deviceHours", false),
      cell("deviceHours", true),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  const target = res.inits.find((r) => r.target !== null)?.target ?? null;
  return [
    `${res.spec} / ${res.preset}: ${res.finished}/${res.total} runs finished; ` +
    `speed-up to the '${res.baseline}' final val loss${
      target === null ? "" : ` (${target.toFixed(4)}, mean of last ${res.k} evals)`
    }; mean [95% CI] over seeds`,
    "",
    line(head),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
  ].join("\n");
}
