/**
 * `hc eval CKPT_DIR [--split validation|test] [--data PATH] [--tasks builtin,FILE]`
 * prints one JSON object: loss (nats per token), lossPerByte (nats per UTF-8
 * byte, comparable across tokenizers), perplexity, next-token accuracy, per-task
 * acc / acc_norm with standard errors plus the task's reported `score`
 * (acc_norm when its choices differ in byte length, else acc), and the
 * average accuracy over the scored tasks with its standard error
 * (`avgAccuracy`, `avgAccuracyStderr`; lib/eval/suite.ts). `--tasks` is a
 * comma-separated list of `builtin` (the zero-shot suite), `builtin:NAME`
 * (one built-in task, e.g. `builtin:brown-cloze-v1`) and JSONL file paths.
 *
 * @module
 */
import * as fs from "node:fs";
import { UsageError } from "../errors.ts";
import { fixedBatches } from "../data/sampler.ts";
import { evaluateBatches } from "../eval/evaluate.ts";
import { modelLogProb } from "../eval/logprob.ts";
import { parseTaskJsonl, scoreTask } from "../eval/multiple_choice.ts";
import { BUILTIN_TASKS, builtinTaskNames, loadBuiltinTask } from "../eval/builtin_task.ts";
import {
  averageAccuracy,
  suiteMetric,
  type TaskResult,
  taskResult,
  WHOLE_TASK,
} from "../eval/suite.ts";
import { loadSplits } from "../train/splits.ts";
import { byteCount } from "../data/tokenizer.ts";
import { choiceFlag, intFlag, parse, positionals } from "./args.ts";
import { openCheckpoint } from "./load.ts";

/** One task to score: a built-in one by name, or a JSONL file. */
export type TaskSpec = { builtin: string } | { file: string };

/**
 * Parses `--tasks`: comma-separated `builtin` (all built-in tasks),
 * `builtin:NAME` (one) or paths of existing JSONL files; duplicates are
 * scored once. Throws a UsageError naming a bad entry.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTaskSpecs } from "./eval.ts";
 * assert.deepEqual(parseTaskSpecs("builtin:brown-cloze-v1"), [{ builtin: "brown-cloze-v1" }]);
 * ```
 */
export function parseTaskSpecs(flag: string): TaskSpec[] {
  const out: TaskSpec[] = [];
  const seen = new Set<string>();
  for (const entry of flag.split(",").map((e) => e.trim()).filter(Boolean)) {
    let names: string[] | null;
    try {
      names = builtinTaskNames(entry);
    } catch {
      throw new UsageError(
        `--tasks: '${entry}' is not a built-in task; use builtin or builtin:NAME with NAME one of ${
          Object.keys(BUILTIN_TASKS).join(", ")
        }`,
      );
    }
    if (names === null && !fs.existsSync(entry)) {
      throw new UsageError(
        `--tasks: '${entry}' is neither 'builtin', 'builtin:NAME' nor an existing .jsonl file`,
      );
    }
    for (const spec of names?.map((builtin) => ({ builtin })) ?? [{ file: entry }]) {
      const key = JSON.stringify(spec);
      if (!seen.has(key)) seen.add(key), out.push(spec);
    }
  }
  return out;
}

/**
 * Evaluates a checkpoint.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evalCommand } from "./eval.ts";
 * assert.equal(await evalCommand(["runs/demo/checkpoint", "--split", "test", "--tasks", "builtin"]), 0);
 * ```
 */
export async function evalCommand(args: string[]): Promise<number> {
  const p = parse("eval", args, {
    split: { type: "string" },
    data: { type: "string" },
    tasks: { type: "string" },
    batches: { type: "string" },
    "batch-size": { type: "string" },
    "seq-len": { type: "string" },
    limit: { type: "string" },
    backend: { type: "string" },
  });
  const [dir] = positionals(p, "eval", ["CKPT_DIR"]);
  const split = choiceFlag(p, "split", ["validation", "val", "test"] as const) ?? "validation";
  const taskSpecs = parseTaskSpecs(p.values.tasks ?? "");
  const { model, tokenizer } = await openCheckpoint(dir, p.values.backend);
  const seqLen = intFlag(p, "seq-len") ?? Math.min(128, model.config.maxPositions);
  const batchSize = intFlag(p, "batch-size") ?? 16;
  const count = intFlag(p, "batches") ?? 16;
  const tokens = loadSplits(p.values.data ?? "brown", tokenizer)[
    split === "test" ? "test" : "validation"
  ];
  const batches = fixedBatches(tokens, { batchSize, seqLen, count });
  const r = await evaluateBatches(model, batches);
  const bytes = batches.reduce((n, b) => n + byteCount(tokenizer, b.targets), 0);
  const tasks: Record<string, unknown> = {};
  const results: Record<string, TaskResult> = {};
  const lp = modelLogProb(model);
  for (const t of taskSpecs) {
    const task = "builtin" in t
      ? await loadBuiltinTask(t.builtin)
      : parseTaskJsonl(fs.readFileSync(t.file, "utf8"), t.file);
    const { items: _items, ...s } = await scoreTask(task, lp, tokenizer, {
      limit: intFlag(p, "limit"),
      batchSize: WHOLE_TASK,
    });
    const r = taskResult({ ...s, items: [] }, suiteMetric(task));
    results[task.name] = r;
    tasks[task.name] = { ...s, metric: r.metric, score: r.score, stderr: r.stderr };
  }
  const average = taskSpecs.length > 0 ? averageAccuracy(results) : null;
  console.log(JSON.stringify({
    checkpoint: dir,
    split: split === "test" ? "test" : "validation",
    loss: r.loss,
    lossPerByte: (r.loss * r.tokens) / bytes,
    bytesPerToken: bytes / r.tokens,
    tokenizer: tokenizer.info,
    perplexity: r.perplexity,
    accuracy: r.accuracy,
    tokens: r.tokens,
    tasks,
    ...(average &&
      { avgAccuracy: average.avgAccuracy, avgAccuracyStderr: average.avgAccuracyStderr }),
  }));
  return 0;
}
