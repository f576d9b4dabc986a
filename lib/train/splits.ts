/**
 * Tokenised data splits, cached per process and tokenizer (grids train many
 * runs on the same data).
 *
 * @module
 */
import { loadCorpus, tokenizeSplits } from "../data/corpus.ts";
import {
  byteTokenizer,
  type Tokenizer,
  tokenizerFromInfo,
  type TokenizerInfo,
} from "../data/tokenizer.ts";

const dataCache = new Map<string, Record<"train" | "validation" | "test", Int32Array>>();

/**
 * Tokenised splits of a data source (cached per process and tokenizer).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSplits } from "./splits.ts";
 * const s = loadSplits("brown");
 * assert.ok(s.train.length > s.validation.length);
 * ```
 */
export function loadSplits(
  source: string,
  tokenizer: TokenizerInfo | Tokenizer = byteTokenizer,
) {
  const tok = "encode" in tokenizer ? tokenizer : tokenizerFromInfo(tokenizer);
  const key = `${source}|${tok.info.type}|${tok.info.sha256 ?? ""}`;
  let s = dataCache.get(key);
  if (!s) {
    s = tokenizeSplits(loadCorpus(source), tok);
    dataCache.set(key, s);
  }
  return s;
}
