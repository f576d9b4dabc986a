/**
 * One training step: a batch, the loss and its gradients, one AdamW update,
 * and the step's cost added to the run state.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as fs from "node:fs";
import { trainFlopsPerToken } from "../model/config.ts";
import { crossEntropy, forward } from "../model/model.ts";
import { runPaths } from "../io/run_folder.ts";
import { adamwStep } from "./adamw.ts";
import type { RunSetup } from "./setup.ts";

/** Raised when the loss becomes NaN or infinite. */
export class DivergenceError extends Error {}

/**
 * Takes one step at learning rate `lr`: advances the sampler, updates the
 * weights and optimiser, and counts the step's tokens and FLOPs in
 * `run.state`. Returns the batch loss and the gradient norm (before
 * clipping); a non-finite one throws {@link DivergenceError} before the
 * state advances.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend.ts";
 * import { claimRunFolder, setUpRun } from "./setup.ts";
 * import { parseTrainConfig } from "./config.ts";
 * import { byteTokenizer } from "../data/tokenizer.ts";
 * import { disposeModel } from "../model/model.ts";
 * import { disposeAdamW } from "./adamw.ts";
 * import { trainStep } from "./step.ts";
 * await initBackend("cpu");
 * const dir = Deno.makeTempDirSync();
 * const cfg = parseTrainConfig({
 *   model: { preset: "tiny" }, data: { seqLen: 16, batchSize: 2 }, steps: 2, evalBatches: 1,
 * });
 * await claimRunFolder(cfg, dir, false);
 * const run = await setUpRun(cfg, dir, byteTokenizer, false);
 * const { loss } = await trainStep(run, 1e-3);
 * assert.ok(loss > 0);
 * assert.equal(run.state.step, 1);
 * disposeModel(run.model), disposeAdamW(run.opt);
 * ```
 */
export async function trainStep(
  run: Pick<RunSetup, "cfg" | "outDir" | "model" | "opt" | "sampler" | "state" | "modelCfg">,
  lr: number,
): Promise<{ loss: number; gradNorm: number }> {
  const { cfg, model, opt, state } = run;
  const { batchSize, seqLen } = cfg.data;
  const batch = run.sampler.next();
  const step = state.step;
  const [lossT, normT] = tf.tidy(() => {
    const ids = tf.tensor2d(batch.inputs, [batchSize, seqLen], "int32");
    const targets = tf.tensor1d(batch.targets, "int32");
    const { value, grads } = tf.variableGrads(
      () =>
        crossEntropy(
          forward(model, ids, { training: true, dropoutSeed: cfg.seed * 1_000_003 + step }),
          targets,
        ),
      [...model.vars.values()],
    );
    const norm = adamwStep(model.vars, grads, opt, lr, cfg.optim);
    return [value, norm];
  });
  const loss = (await lossT.data())[0], gradNorm = (await normT.data())[0];
  lossT.dispose(), normT.dispose();
  if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
    const checkpoint = runPaths(run.outDir).checkpoint;
    throw new DivergenceError(
      `loss became ${loss} (grad norm ${gradNorm}) at step ${step + 1}; the last good checkpoint ` +
        `is in ${checkpoint} (step ${fs.existsSync(checkpoint) ? "saved" : "none"}). ` +
        `Lower optim.lr or raise optim.warmupSteps.`,
    );
  }
  const tokens = batchSize * seqLen;
  state.step += 1;
  state.cost.steps += 1;
  state.cost.tokens += tokens;
  state.cost.trainFlops += tokens * trainFlopsPerToken(run.modelCfg, seqLen);
  state.optimizerStep = opt.step;
  return { loss, gradNorm };
}
