/**
 * Shared by the commands that read a checkpoint: load it with a clear error
 * and build the model on the initialised backend.
 *
 * @module
 */
import * as fs from "node:fs";
import { initBackend } from "../backend.ts";
import { UsageError } from "../errors.ts";
import { loadCheckpoint } from "../io/checkpoint.ts";
import { createModel, type Model } from "../model/model.ts";
import { type Tokenizer, tokenizerFromInfo } from "../data/tokenizer.ts";

/**
 * Initialises the backend, loads `dir` and builds its model.
 *
 * @example
 * ```ts
 * import { openCheckpoint } from "./load.ts";
 * const { model, tokenizer } = await openCheckpoint("runs/demo/checkpoint");
 * ```
 */
export async function openCheckpoint(
  dir: string,
  backend?: string,
): Promise<{ model: Model; tokenizer: Tokenizer }> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new UsageError(`${dir}: no such checkpoint directory`);
  }
  await initBackend(backend);
  let ck;
  try {
    ck = await loadCheckpoint(dir);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return { model: createModel(ck.config, ck.params), tokenizer: tokenizerFromInfo(ck.tokenizer) };
}
