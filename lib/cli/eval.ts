/**
 * `hc eval CKPT_DIR [--split validation|test] [--data PATH] [--tasks builtin,FILE]`
 * prints one JSON object: loss, perplexity, next-token accuracy and per-task
 * acc / acc_norm with standard errors.
 *
 * @module
 */
import * as fs from "node:fs";
import { UsageError } from "../errors.ts";
import { fixedBatches } from "../data/sampler.ts";
import { evaluateBatches } from "../eval/evaluate.ts";
import { modelLogProb } from "../eval/logprob.ts";
import { parseTaskJsonl, scoreTask } from "../eval/multiple_choice.ts";
import { loadBuiltinTask } from "../eval/builtin_task.ts";
import { loadSplits } from "../train/loop.ts";
import { choiceFlag, intFlag, parse, positionals } from "./args.ts";
import { openCheckpoint } from "./load.ts";

/**
 * Evaluates a checkpoint.
 *
 * @example
 * ```ts
 * import { evalCommand } from "./eval.ts";
 * await evalCommand(["runs/demo/checkpoint", "--split", "test", "--tasks", "builtin"]);
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
  const taskSpecs = ((p.values.tasks as string | undefined) ?? "").split(",").filter(Boolean);
  for (const t of taskSpecs) {
    if (t !== "builtin" && !fs.existsSync(t)) {
      throw new UsageError(`--tasks: '${t}' is neither 'builtin' nor an existing .jsonl file`);
    }
  }
  const { model, tokenizer } = await openCheckpoint(dir, p.values.backend as string | undefined);
  const seqLen = intFlag(p, "seq-len") ?? Math.min(128, model.config.maxPositions);
  const batchSize = intFlag(p, "batch-size") ?? 16;
  const count = intFlag(p, "batches") ?? 16;
  const tokens = loadSplits((p.values.data as string | undefined) ?? "brown", tokenizer.info)[
    split === "test" ? "test" : "validation"
  ];
  const r = await evaluateBatches(model, fixedBatches(tokens, { batchSize, seqLen, count }));
  const tasks: Record<string, unknown> = {};
  const lp = modelLogProb(model);
  for (const t of taskSpecs) {
    const task = t === "builtin"
      ? await loadBuiltinTask()
      : parseTaskJsonl(fs.readFileSync(t, "utf8"), t);
    const { items: _items, ...s } = await scoreTask(task, lp, tokenizer, {
      limit: intFlag(p, "limit"),
    });
    tasks[task.name] = s;
  }
  console.log(JSON.stringify({
    checkpoint: dir,
    split: split === "test" ? "test" : "validation",
    loss: r.loss,
    perplexity: r.perplexity,
    accuracy: r.accuracy,
    tokens: r.tokens,
    tasks,
  }));
  return 0;
}
