/**
 * Tokenizers turn text into integer ids and back. The kit ships a byte-level
 * tokenizer (UTF-8 bytes, vocabulary 256): it needs no training, never meets
 * an unknown symbol, and keeps the embedding small enough for CPU runs.
 * Hugging Face tokenizers (tokenizer.json) live in `hf_tokenizer.ts`; they
 * carry their files, which checkpoints store next to the weights.
 *
 * @module
 */

/**
 * Serialisable description of a tokenizer, stored with checkpoints.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { byteTokenizer, type TokenizerInfo } from "./tokenizer.ts";
 * const info: TokenizerInfo = { type: "byte", vocabSize: 256 };
 * assert.deepEqual(byteTokenizer.info, info);
 * ```
 */
export interface TokenizerInfo {
  /** Tokenizer kind: `"byte"`, or `"hf"` (tokenizer.json next to the weights). */
  type: string;
  /** Number of distinct ids; every id is in [0, vocabSize). */
  vocabSize: number;
  /** For `"hf"`: SHA-256 of tokenizer.json (tells tokenizers apart in caches). */
  sha256?: string;
}

/**
 * Maps text to ids and back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { byteTokenizer, type Tokenizer } from "./tokenizer.ts";
 * const tok: Tokenizer = byteTokenizer;
 * assert.equal(tok.decode(tok.encode("hi")), "hi");
 * ```
 */
export interface Tokenizer {
  /** What to save so {@link tokenizerFromInfo} can rebuild it. */
  info: TokenizerInfo;
  /** Text to ids. */
  encode(text: string): Int32Array;
  /** Ids to text; invalid sequences decode to U+FFFD rather than throwing. */
  decode(ids: ArrayLike<number>): string;
  /** Files a checkpoint stores so the tokenizer can be rebuilt (e.g. tokenizer.json). */
  files?: Record<string, Uint8Array>;
  /** UTF-8 bytes each id decodes to, when that is fixed per id (byte-level tokenizers). */
  byteLengths?: Int32Array | null;
}

/**
 * UTF-8 bytes that `ids` stand for: exact for byte-level tokenizers (a table
 * per id), otherwise the byte length of their decoded text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { byteCount, byteTokenizer } from "./tokenizer.ts";
 * assert.equal(byteCount(byteTokenizer, byteTokenizer.encode("héllo")), 6);
 * ```
 */
export function byteCount(tokenizer: Tokenizer, ids: ArrayLike<number>): number {
  const table = tokenizer.byteLengths;
  if (!table) return utf8Encoder.encode(tokenizer.decode(ids)).length;
  let n = 0;
  for (let i = 0; i < ids.length; i++) n += table[ids[i]];
  return n;
}

const utf8Encoder = new TextEncoder();
// Non-fatal: a model may sample a byte sequence that is not valid UTF-8.
const utf8Decoder = new TextDecoder("utf-8", { fatal: false });

/**
 * UTF-8 byte tokenizer: one id per byte, vocabulary 256.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { byteTokenizer } from "./tokenizer.ts";
 * const ids = byteTokenizer.encode("héllo");
 * assert.equal(ids.length, 6); // "é" is two bytes
 * assert.equal(byteTokenizer.decode(ids), "héllo");
 * ```
 */
export const byteTokenizer: Tokenizer = {
  info: { type: "byte", vocabSize: 256 },
  byteLengths: new Int32Array(256).fill(1),
  encode(text: string): Int32Array {
    return Int32Array.from(utf8Encoder.encode(text));
  },
  decode(ids: ArrayLike<number>): string {
    const bytes = new Uint8Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id > 255) {
        throw new RangeError(
          `byteTokenizer.decode: ids[${i}] = ${id} is not a byte; pass ids in [0, 255]`,
        );
      }
      bytes[i] = id;
    }
    return utf8Decoder.decode(bytes);
  },
};

/**
 * Rebuilds a tokenizer from its saved `info`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { byteTokenizer, tokenizerFromInfo } from "./tokenizer.ts";
 * const tok = tokenizerFromInfo({ type: "byte", vocabSize: 256 });
 * assert.equal(tok, byteTokenizer);
 * ```
 */
export function tokenizerFromInfo(info: TokenizerInfo): Tokenizer {
  if (info?.type === "byte") {
    if (info.vocabSize !== 256) {
      throw new Error(
        `tokenizer.vocabSize is ${info.vocabSize} for type "byte"; a byte tokenizer has vocabSize 256`,
      );
    }
    return byteTokenizer;
  }
  if (info?.type === "hf") {
    throw new Error(
      `tokenizer.type "hf" needs its tokenizer.json; load it with loadCheckpointTokenizer(dir) ` +
        `or loadHfTokenizer(path)`,
    );
  }
  throw new Error(
    `tokenizer.type ${JSON.stringify(info?.type)} is unknown; supported types: "byte", "hf"`,
  );
}
