/**
 * The tokenizer of a training run: the init checkpoint's own (its
 * tokenizer.json, or the byte tokenizer), else the config's `tokenizer`
 * (default "byte"). Resolved before the run writes anything, so a bad
 * tokenizer fails with exit code 2 and leaves no files.
 *
 * @module
 */
import { loadCheckpointTokenizer } from "../io/checkpoint.ts";
import { resolveTokenizer } from "../data/tokenizer_choice.ts";
import { TokenizerError } from "../data/hf_tokenizer.ts";
import { byteTokenizer, type Tokenizer } from "../data/tokenizer.ts";
import type { TrainConfig } from "./config.ts";
import { ConfigError, resolveModel } from "./config.ts";

const same = (a: Tokenizer, b: Tokenizer) =>
  a.info.type === b.info.type && a.info.vocabSize === b.info.vocabSize &&
  a.info.sha256 === b.info.sha256;

/**
 * Resolves and checks the tokenizer a training config uses.
 *
 * @example
 * ```ts
 * import { runTokenizer } from "./tokenizer.ts";
 * import { parseTrainConfig } from "./config.ts";
 * const tok = await runTokenizer(parseTrainConfig({ model: { preset: "tiny" }, steps: 1 }));
 * tok.info.type; // "byte"
 * ```
 */
export async function runTokenizer(cfg: TrainConfig): Promise<Tokenizer> {
  if (!cfg.init) {
    if (!cfg.tokenizer) return byteTokenizer;
    const tok = await resolveTokenizer(cfg.tokenizer);
    resolveModel(cfg, "config", tok.info.vocabSize); // a too-small model.vocabSize throws here
    return tok;
  }
  let tok: Tokenizer;
  try {
    tok = await loadCheckpointTokenizer(cfg.init);
  } catch (e) {
    if (e instanceof TokenizerError) throw e;
    throw new ConfigError(`init: ${(e as Error).message}`);
  }
  if (cfg.tokenizer && !same(tok, await resolveTokenizer(cfg.tokenizer))) {
    throw new ConfigError(
      `tokenizer: '${cfg.tokenizer}' differs from the tokenizer of init checkpoint ${cfg.init}; ` +
        `drop "tokenizer" (the checkpoint's own is used)`,
    );
  }
  return tok;
}
