/**
 * The evaluation hooks a training config asks for: task scoring when
 * `tasks` is "builtin", clone symmetry when the run starts from a clone.
 * train() registers them ahead of any hooks its caller passes.
 *
 * @module
 */
import { forwardFlopsPerToken, type ModelConfig } from "../model/config.ts";
import { modelToHost } from "../model/model.ts";
import type { Tokenizer } from "../data/tokenizer.ts";
import { modelLogProb } from "../eval/logprob.ts";
import { loadSuite, scoreSuite } from "../eval/suite.ts";
import type { MultipleChoiceTask } from "../eval/multiple_choice.ts";
import type { CloneRecord } from "../clone/checkpoint.ts";
import { depthSymmetry, symmetrySummary } from "../clone/symmetry.ts";
import type { TrainConfig } from "./config.ts";
import type { EvalHook } from "./evaluation.ts";
import type { RunStart } from "./setup.ts";

/**
 * Scores the zero-shot task suite at each evaluation (suite averages plus
 * per-task scores, and the legacy single-task names older readers use),
 * charging its forward FLOPs to evaluation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { taskScoringHook } from "./hooks.ts";
 * import { PRESETS } from "../model/config.ts";
 * import { byteTokenizer } from "../data/tokenizer.ts";
 * assert.equal(typeof taskScoringHook([], byteTokenizer, PRESETS.tiny), "function");
 * ```
 */
export function taskScoringHook(
  suite: MultipleChoiceTask[],
  tokenizer: Tokenizer,
  modelCfg: ModelConfig,
): EvalHook {
  return async (model, _step, ctx) => {
    const stats = { tokens: 0 };
    const sc = await scoreSuite(suite, modelLogProb(model, 16, stats), tokenizer);
    // Attention counted at full window length: a slight over-estimate.
    ctx.addEvalFlops(stats.tokens * forwardFlopsPerToken(modelCfg, modelCfg.maxPositions));
    const items = Object.values(sc.taskScores).reduce((n, t) => n + t.n, 0);
    return {
      ...sc,
      // Legacy names (readers of older runs): the suite average.
      taskName: "builtin",
      taskAccuracy: sc.avgAccuracy,
      taskStderr: sc.avgAccuracyStderr,
      taskItems: items,
    };
  };
}

/**
 * Measures how symmetric a clone's copies still are (`symmetry`) and, for
 * depth clones, each new layer against the layer it was copied from
 * (`depthSymmetry`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cloneSymmetryHook } from "./hooks.ts";
 * import { PRESETS } from "../model/config.ts";
 * const rec = { width: 2, ffn: 2, heads: "more" } as never;
 * assert.equal(typeof cloneSymmetryHook(rec, PRESETS.tiny), "function");
 * ```
 */
export function cloneSymmetryHook(record: CloneRecord, modelCfg: ModelConfig): EvalHook {
  // clone.json written before depth growth existed has no depth fields.
  const depth = {
    depth: record.depth ?? 1,
    depthMode: record.depthMode ?? "identity",
  };
  return async (model) => {
    const host = await modelToHost(model);
    const out: Record<string, unknown> = {
      symmetry: symmetrySummary(modelCfg, host, {
        width: record.width,
        ffn: record.ffn,
        heads: record.heads,
        ...depth,
      }),
    };
    if (depth.depth > 1) out.depthSymmetry = depthSymmetry(modelCfg, host, depth);
    return out;
  };
}

/**
 * The hooks `cfg` asks for, given where the run starts: task scoring
 * (`suiteTasks` replaces the built-in suite, for tests) then clone symmetry.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configEvalHooks } from "./hooks.ts";
 * import { parseTrainConfig } from "./config.ts";
 * import { PRESETS } from "../model/config.ts";
 * import { byteTokenizer } from "../data/tokenizer.ts";
 * const cfg = parseTrainConfig({ model: { preset: "tiny" }, steps: 2 });
 * const start = { init: null, sourceCost: null, cloneRecord: null };
 * const run = { cfg, tokenizer: byteTokenizer, modelCfg: PRESETS.tiny, start };
 * assert.deepEqual(await configEvalHooks(run), []);
 * ```
 */
export async function configEvalHooks(
  run: { cfg: TrainConfig; tokenizer: Tokenizer; modelCfg: ModelConfig; start: RunStart },
  suiteTasks?: MultipleChoiceTask[],
): Promise<EvalHook[]> {
  const hooks: EvalHook[] = [];
  if (run.cfg.tasks === "builtin") {
    hooks.push(taskScoringHook(suiteTasks ?? await loadSuite(), run.tokenizer, run.modelCfg));
  }
  if (run.start.cloneRecord) hooks.push(cloneSymmetryHook(run.start.cloneRecord, run.modelCfg));
  return hooks;
}
