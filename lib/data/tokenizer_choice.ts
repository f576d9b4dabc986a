/**
 * Which tokenizer a training config asks for: `"byte"`, a built-in byte-level
 * BPE trained on the built-in corpus's training split (`"bpe-1024"`,
 * `"bpe-4096"`, any `"bpe-N"`), or the path of a tokenizer.json file or of a
 * folder holding one.
 *
 * @module
 */
import { DOCUMENT_SEPARATOR, loadCorpus } from "./corpus.ts";
import { trainBpe } from "./bpe_train.ts";
import {
  hfTokenizer,
  loadHfTokenizer,
  TOKENIZER_CONFIG_JSON,
  TOKENIZER_JSON,
  TokenizerError,
} from "./hf_tokenizer.ts";
import { byteTokenizer, type Tokenizer } from "./tokenizer.ts";

const utf8 = new TextEncoder();
const builtins = new Map<number, Tokenizer>();

/**
 * The byte-level BPE with `vocabSize` ids trained (deterministically, a few
 * seconds) on the training split of the built-in Brown corpus; memoised.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { builtinBpe } from "./tokenizer_choice.ts";
 * const tok = builtinBpe(1024);
 * assert.equal(tok.info.vocabSize, 1024);
 * assert.equal(tok.decode(tok.encode("The jury said")), "The jury said");
 * ```
 */
export function builtinBpe(vocabSize: number): Tokenizer {
  let tok = builtins.get(vocabSize);
  if (!tok) {
    const text = loadCorpus("brown").splits.train.join(DOCUMENT_SEPARATOR);
    const r = trainBpe(text, { vocabSize });
    tok = hfTokenizer({
      [TOKENIZER_JSON]: utf8.encode(r.tokenizerJson),
      [TOKENIZER_CONFIG_JSON]: utf8.encode(r.tokenizerConfigJson),
    }, `bpe-${vocabSize}`);
    builtins.set(vocabSize, tok);
  }
  return tok;
}

/**
 * Resolves a config's `tokenizer` value. Throws a TokenizerError (exit 2)
 * naming the value when it is neither a known name nor a usable path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveTokenizer } from "./tokenizer_choice.ts";
 * import { byteTokenizer } from "./tokenizer.ts";
 * assert.equal(await resolveTokenizer("byte"), byteTokenizer);
 * await assert.rejects(resolveTokenizer("bpe-100"), /must be in \[258, 65536\]/);
 * // "bpe-4096" trains (once, a few seconds) the built-in BPE; a path loads tokenizer.json.
 * ```
 */
export async function resolveTokenizer(choice: string): Promise<Tokenizer> {
  if (choice === "byte") return byteTokenizer;
  const m = /^bpe-(\d+)$/.exec(choice);
  if (m) {
    const v = Number(m[1]);
    if (v < 258 || v > 65536) {
      throw new TokenizerError(`tokenizer: '${choice}': the vocabulary must be in [258, 65536]`);
    }
    return builtinBpe(v);
  }
  try {
    await Deno.stat(choice);
  } catch {
    throw new TokenizerError(
      `tokenizer: '${choice}' is neither "byte", "bpe-N" (e.g. "bpe-4096") nor an existing ` +
        `tokenizer.json file or folder`,
    );
  }
  return await loadHfTokenizer(choice);
}
