/**
 * Shared by the commands that read a checkpoint: load it with a clear error
 * and build the model on the initialised backend.
 *
 * @module
 */
import * as fs from "node:fs";
import { initBackend } from "../backend.ts";
import { UsageError } from "../errors.ts";
import { loadCheckpoint, loadCheckpointTokenizer } from "../io/checkpoint.ts";
import { createModel, type Model } from "../model/model.ts";
import type { Tokenizer } from "../data/tokenizer.ts";

/**
 * Initialises the backend, loads `dir` and builds its model. The tokenizer is
 * the folder's tokenizer.json when present (else the byte tokenizer its
 * hyperclone.json names); a malformed one or a vocabulary mismatch is a
 * UsageError (exit 2).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openCheckpoint } from "./load.ts";
 * const { model, tokenizer } = await openCheckpoint("runs/demo/checkpoint");
 * assert.equal(tokenizer.info.vocabSize, model.config.vocabSize);
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
  let ck, tokenizer;
  try {
    tokenizer = await loadCheckpointTokenizer(dir);
    ck = await loadCheckpoint(dir);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return { model: createModel(ck.config, ck.params), tokenizer };
}
