/**
 * The built-in zero-shot suite and its "average accuracy", as papers report
 * an average over lm-evaluation-harness tasks.
 *
 * - Each task is scored with `acc_norm` when the choices of some item differ
 *   in UTF-8 byte length, and with `acc` otherwise (where both are equal).
 * - Average accuracy = mean of the task scores; its standard error treats
 *   the tasks as independent: `sqrt(sum SE_i^2) / T`.
 *
 * The result's field names are the metrics-line contract of training runs
 * (`avgAccuracy`, `avgAccuracyStderr`, `taskScores`); figures and tables read
 * them.
 *
 * @module
 */
import { BUILTIN_SUITE, loadBuiltinTask } from "./builtin_task.ts";

export { BUILTIN_SUITE };
import {
  byteLength,
  type LogProbFn,
  type MultipleChoiceTask,
  scoreTask,
  type TaskScore,
  type TextEncoderLike,
} from "./multiple_choice.ts";

/**
 * Requests per LogProbFn call when scoring a task: all of them, so that a
 * model-backed scorer can batch items with the same layout across the whole
 * task (it splits them into forward calls itself).
 */
export const WHOLE_TASK = 2 ** 30;

/** Which accuracy a task reports. */
export type SuiteMetric = "acc" | "acc_norm";

/** One task's entry in a metrics line. */
export interface TaskResult {
  /** The task's accuracy under `metric`. */
  score: number;
  /** Its standard error. */
  stderr: number;
  /** Items scored. */
  n: number;
  /** `acc_norm` when some item's choices differ in byte length, else `acc`. */
  metric: SuiteMetric;
}

/** A scored suite, the fields a metrics line carries. */
export interface SuiteScore {
  /** Mean of the task scores. */
  avgAccuracy: number;
  /** `sqrt(sum stderr_i^2) / T`. */
  avgAccuracyStderr: number;
  /** Per task, by name. */
  taskScores: Record<string, TaskResult>;
}

/**
 * The metric a task is reported with: `acc_norm` when the choices of some
 * item differ in UTF-8 byte length, `acc` otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { suiteMetric } from "./suite.ts";
 * const task = { name: "t", items: [{ context: "a", choices: [" b", " cc"], gold: 0 }] };
 * assert.equal(suiteMetric(task), "acc_norm"); // choices of different lengths
 * ```
 */
export function suiteMetric(task: MultipleChoiceTask): SuiteMetric {
  for (const it of task.items) {
    const len = byteLength(it.choices[0]);
    if (it.choices.some((c) => byteLength(c) !== len)) return "acc_norm";
  }
  return "acc";
}

/**
 * A task's entry from its score, under the given metric.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { taskResult } from "./suite.ts";
 * const s = { acc: 0.5, acc_stderr: 0.1, acc_norm: 0.6, acc_norm_stderr: 0.1, n: 26, chance: 0.5, items: [] };
 * assert.deepEqual(taskResult(s, "acc_norm"), { score: 0.6, stderr: 0.1, n: 26, metric: "acc_norm" });
 * ```
 */
export function taskResult(score: TaskScore, metric: SuiteMetric): TaskResult {
  return metric === "acc"
    ? { score: score.acc, stderr: score.acc_stderr, n: score.n, metric }
    : { score: score.acc_norm, stderr: score.acc_norm_stderr, n: score.n, metric };
}

/**
 * Average accuracy over tasks and its standard error, `sqrt(sum SE_i^2) / T`
 * (tasks scored on independent items).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { averageAccuracy } from "./suite.ts";
 * const avg = averageAccuracy({
 *   a: { score: 0.3, stderr: 0.03, n: 100, metric: "acc" },
 *   b: { score: 0.7, stderr: 0.04, n: 100, metric: "acc_norm" },
 * });
 * assert.ok(Math.abs(avg.avgAccuracy - 0.5) < 1e-12);
 * assert.ok(Math.abs(avg.avgAccuracyStderr - 0.025) < 1e-12); // sqrt(0.03² + 0.04²) / 2
 * ```
 */
export function averageAccuracy(taskScores: Record<string, TaskResult>): SuiteScore {
  const results = Object.values(taskScores);
  if (results.length === 0) throw new RangeError("no task scores to average; score a task first");
  const T = results.length;
  const avgAccuracy = results.reduce((s, r) => s + r.score, 0) / T;
  const avgAccuracyStderr = Math.sqrt(results.reduce((s, r) => s + r.stderr ** 2, 0)) / T;
  return { avgAccuracy, avgAccuracyStderr, taskScores };
}

/**
 * Loads the committed tasks of {@link BUILTIN_SUITE} (or the named ones).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BUILTIN_SUITE } from "./builtin_task.ts";
 * import { loadSuite } from "./suite.ts";
 * const tasks = await loadSuite();
 * assert.deepEqual(tasks.map((t) => t.name), [...BUILTIN_SUITE]);
 * ```
 */
export async function loadSuite(
  names: readonly string[] = BUILTIN_SUITE,
): Promise<MultipleChoiceTask[]> {
  return await Promise.all(names.map((n) => loadBuiltinTask(n)));
}

/**
 * Scores every item of every task and averages them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSuite, scoreSuite } from "./suite.ts";
 * import { uniformLogProb } from "./baselines.ts";
 * import { chanceLevel } from "./multiple_choice.ts";
 * import { byteTokenizer } from "../data/tokenizer.ts";
 * const tasks = await loadSuite();
 * const s = await scoreSuite(tasks, uniformLogProb(256), byteTokenizer);
 * // A context-free scorer lands within 3 standard errors of chance (0.4375).
 * const chance = tasks.reduce((a, t) => a + chanceLevel(t), 0) / tasks.length;
 * assert.ok(Math.abs(s.avgAccuracy - chance) < 3 * s.avgAccuracyStderr);
 * ```
 */
export async function scoreSuite(
  tasks: MultipleChoiceTask[],
  logprob: LogProbFn,
  tokenizer: TextEncoderLike,
): Promise<SuiteScore> {
  const taskScores: Record<string, TaskResult> = {};
  for (const task of tasks) {
    const s = await scoreTask(task, logprob, tokenizer, { batchSize: WHOLE_TASK });
    taskScores[task.name] = taskResult(s, suiteMetric(task));
  }
  return averageAccuracy(taskScores);
}
