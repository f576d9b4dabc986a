/**
 * Small steps the notebooks share, kept here so each notebook cell is a
 * line or two: sampling text from a checkpoint, verification rows, a random
 * Hugging Face-layout checkpoint, a checkpoint's file list.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadCheckpoint, loadCheckpointTokenizer, saveCheckpoint } from "../io/checkpoint.ts";
import { createModel, disposeModel } from "../model/model.ts";
import { sample } from "../model/sample.ts";
import { PRESETS } from "../model/config.ts";
import { initParams } from "../model/params.ts";
import type { VerifyReport } from "../clone/verify.ts";

/**
 * Continues `prompt` with the checkpoint in `dir` (greedy by default, so a
 * clone and its source give the same text while they compute the same function).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { randomHfCheckpoint, sampleText } from "./helpers.ts";
 * import { initBackend } from "../backend.ts";
 * await initBackend("cpu");
 * const dir = await randomHfCheckpoint(await Deno.makeTempDir(), "tiny");
 * const text = await sampleText(dir, "The jury said", { maxNewTokens: 8 });
 * assert.ok(text.startsWith("The jury said"));
 * assert.equal(await sampleText(dir, "The jury said", { maxNewTokens: 8 }), text); // greedy
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function sampleText(
  dir: string,
  prompt: string,
  opts: { maxNewTokens?: number; temperature?: number; seed?: number } = {},
): Promise<string> {
  const ck = await loadCheckpoint(dir);
  const tok = await loadCheckpointTokenizer(dir);
  const model = createModel(ck.config, ck.params);
  try {
    const ids = await sample(model, tok.encode(prompt), {
      maxNewTokens: opts.maxNewTokens ?? 80,
      temperature: opts.temperature ?? 0,
      seed: opts.seed ?? 0,
    });
    return prompt + tok.decode(ids);
  } finally {
    disposeModel(model);
  }
}

/**
 * A table row saying whether a clone's logits matched its source's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { verificationRow } from "./helpers.ts";
 * // With a clone's record.verification (cloneCheckpoint's result) it lists pass, diff and tolerance.
 * assert.deepEqual(verificationRow("symmetric", null), {
 *   clone: "symmetric",
 *   "logits match": "not verified",
 * });
 * ```
 */
export function verificationRow(
  clone: string,
  v: VerifyReport | null,
): Record<string, string | number | boolean> {
  if (!v) return { clone, "logits match": "not verified" };
  return {
    clone,
    "logits match": v.pass,
    "max |diff| / max |logit|": v.maxRelDiff,
    tolerance: v.tolerance,
    "tokens checked": v.tokens,
  };
}

/**
 * Writes a randomly initialised model of a named preset as a Hugging Face
 * checkpoint folder (config.json + model.safetensors) and returns the folder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { randomHfCheckpoint } from "./helpers.ts";
 * import { loadCheckpointConfig } from "../io/checkpoint.ts";
 * const dir = await randomHfCheckpoint(await Deno.makeTempDir(), "llama-tiny");
 * assert.equal((await loadCheckpointConfig(dir)).family, "llama");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function randomHfCheckpoint(
  dir: string,
  preset = "llama-tiny",
  seed = 0,
): Promise<string> {
  const cfg = PRESETS[preset];
  if (!cfg) throw new Error(`preset: unknown '${preset}' (choose ${Object.keys(PRESETS)})`);
  await saveCheckpoint(dir, cfg, initParams(cfg, seed), { force: true });
  return dir;
}

/**
 * The files of a checkpoint folder with their sizes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkpointFiles, randomHfCheckpoint } from "./helpers.ts";
 * const dir = await randomHfCheckpoint(await Deno.makeTempDir());
 * const files = checkpointFiles(dir);
 * assert.deepEqual(files.map((f) => f.file), ["config.json", "hyperclone.json", "model.safetensors"]);
 * assert.ok(files[2].bytes > 100_000);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function checkpointFiles(dir: string): { file: string; bytes: number }[] {
  return fs.readdirSync(dir).sort().map((f) => ({
    file: f,
    bytes: fs.statSync(path.join(dir, f)).size,
  }));
}
