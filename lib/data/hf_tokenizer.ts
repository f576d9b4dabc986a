/**
 * Hugging Face tokenizers (`tokenizer.json`, with `tokenizer_config.json` when
 * present), encoded and decoded by the `@huggingface/tokenizers` library. Text
 * is encoded without special tokens (no BOS/EOS added: the corpus is one
 * stream) and decoded verbatim (special tokens kept, no clean-up of spaces), so
 * `decode(encode(text)) === text` for byte-level BPE tokenizers.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Tokenizer as HfLibTokenizer } from "@huggingface/tokenizers";
import { UsageError } from "../errors.ts";
import type { Tokenizer, TokenizerInfo } from "./tokenizer.ts";

/**
 * The tokenizer file the library reads.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TOKENIZER_JSON } from "./hf_tokenizer.ts";
 * assert.equal(TOKENIZER_JSON, "tokenizer.json");
 * assert.ok(Deno.statSync(`tests/fixtures/gpt2-mini/${TOKENIZER_JSON}`).isFile);
 * ```
 */
export const TOKENIZER_JSON = "tokenizer.json";
/**
 * Optional settings next to {@link TOKENIZER_JSON} (special tokens, clean-up).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TOKENIZER_CONFIG_JSON } from "./hf_tokenizer.ts";
 * assert.equal(TOKENIZER_CONFIG_JSON, "tokenizer_config.json");
 * ```
 */
export const TOKENIZER_CONFIG_JSON = "tokenizer_config.json";
/**
 * Every tokenizer file a Hugging Face folder may hold. Checkpoints written by
 * the kit (clone, train) copy whichever are present, so `AutoTokenizer` still
 * loads the copy; only the first two are read here.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TOKENIZER_FILES } from "./hf_tokenizer.ts";
 * assert.ok(TOKENIZER_FILES.includes("merges.txt"));
 * ```
 */
export const TOKENIZER_FILES = [
  TOKENIZER_JSON,
  TOKENIZER_CONFIG_JSON,
  "special_tokens_map.json",
  "added_tokens.json",
  "vocab.json",
  "merges.txt",
  "tokenizer.model",
] as const;

/** Tokenizer files by name (bytes as read). */
export type TokenizerFiles = Record<string, Uint8Array>;

/** A tokenizer file that cannot be used; the CLI exits with code 2. */
export class TokenizerError extends UsageError {
  override name = "TokenizerError";
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: false });

/**
 * Reads the tokenizer files present in `dir`; null when it has no tokenizer.json.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTokenizerFiles } from "./hf_tokenizer.ts";
 * const files = await readTokenizerFiles("tests/fixtures/gpt2-mini");
 * assert.deepEqual(Object.keys(files ?? {}), ["tokenizer.json", "tokenizer_config.json"]);
 * const empty = await Deno.makeTempDir(); // e.g. a byte-level checkpoint
 * assert.equal(await readTokenizerFiles(empty), null);
 * await Deno.remove(empty);
 * ```
 */
export async function readTokenizerFiles(dir: string): Promise<TokenizerFiles | null> {
  const files: TokenizerFiles = {};
  for (const name of TOKENIZER_FILES) {
    try {
      files[name] = await readFile(join(dir, name));
    } catch (e) {
      if ((e as { code?: string }).code !== "ENOENT") throw e;
    }
  }
  return files[TOKENIZER_JSON] ? files : null;
}

function parseJson(bytes: Uint8Array, where: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(utf8Decoder.decode(bytes));
  } catch (e) {
    throw new TokenizerError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new TokenizerError(`${where}: must be a JSON object`);
  }
  return v as Record<string, unknown>;
}

/** Largest id + 1 over the model vocabulary and the added tokens. */
function vocabSizeOf(json: Record<string, unknown>, where: string): number {
  const model = json.model as Record<string, unknown> | undefined;
  if (typeof model !== "object" || model === null) {
    throw new TokenizerError(`${where}: no "model" object; is this a Hugging Face tokenizer.json?`);
  }
  let max = -1;
  const see = (id: unknown, what: string) => {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0) {
      throw new TokenizerError(
        `${where}: ${what} has id ${JSON.stringify(id)}; ids are integers >= 0`,
      );
    }
    if (id > max) max = id;
  };
  const vocab = model.vocab;
  if (Array.isArray(vocab)) {
    vocab.forEach((_, i) => see(i, `model.vocab[${i}]`)); // Unigram: [piece, score] pairs
  } else if (typeof vocab === "object" && vocab !== null) {
    for (const [tok, id] of Object.entries(vocab)) see(id, `model.vocab ${JSON.stringify(tok)}`);
  } else {
    throw new TokenizerError(`${where}: model.vocab is missing; give the vocabulary`);
  }
  const added = json.added_tokens ?? [];
  if (!Array.isArray(added)) throw new TokenizerError(`${where}: added_tokens must be an array`);
  added.forEach((t, i) => see((t as { id?: unknown })?.id, `added_tokens[${i}]`));
  if (max < 0) throw new TokenizerError(`${where}: the vocabulary is empty`);
  return max + 1;
}

function parseTokenizerJson(files: TokenizerFiles, where: string) {
  const jsonBytes = files[TOKENIZER_JSON];
  if (!jsonBytes) throw new TokenizerError(`${where}: no ${TOKENIZER_JSON}`);
  const jsonWhere = `${where}/${TOKENIZER_JSON}`;
  const json = parseJson(jsonBytes, jsonWhere);
  const vocabSize = vocabSizeOf(json, jsonWhere);
  const sha256 = createHash("sha256").update(jsonBytes).digest("hex");
  const info: TokenizerInfo = { type: "hf", vocabSize, sha256 };
  return { info, json };
}

/**
 * What a checkpoint records about Hugging Face tokenizer files (type "hf",
 * vocabulary size, SHA-256 of tokenizer.json), checking the JSON's structure
 * without building the tokenizer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hfTokenizerInfo } from "./hf_tokenizer.ts";
 * const json = Deno.readFileSync("tests/fixtures/gpt2-mini/tokenizer.json");
 * assert.equal(hfTokenizerInfo({ "tokenizer.json": json }).vocabSize, 280);
 * ```
 */
export function hfTokenizerInfo(files: TokenizerFiles, where = "tokenizer"): TokenizerInfo {
  return parseTokenizerJson(files, where).info;
}

/**
 * Builds a tokenizer from Hugging Face tokenizer files. `where` names the
 * source in errors. A malformed tokenizer.json, or one the library cannot
 * load, throws a {@link TokenizerError} naming the file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hfTokenizer } from "./hf_tokenizer.ts";
 * const json = Deno.readFileSync("tests/fixtures/gpt2-mini/tokenizer.json");
 * const tok = hfTokenizer({ "tokenizer.json": json }, "gpt2-mini");
 * assert.equal(tok.decode(tok.encode("the cat")), "the cat");
 * ```
 */
export function hfTokenizer(files: TokenizerFiles, where = "tokenizer"): Tokenizer {
  const { info, json } = parseTokenizerJson(files, where);
  const jsonWhere = `${where}/${TOKENIZER_JSON}`;
  const vocabSize = info.vocabSize;
  const config = files[TOKENIZER_CONFIG_JSON]
    ? parseJson(files[TOKENIZER_CONFIG_JSON], `${where}/${TOKENIZER_CONFIG_JSON}`)
    : {};
  let lib: HfLibTokenizer;
  try {
    // The library indexes these without checking they exist.
    lib = new HfLibTokenizer({ added_tokens: [], ...json }, config);
  } catch (e) {
    throw new TokenizerError(
      `${jsonWhere}: the tokenizers library cannot load it (${(e as Error).message})`,
    );
  }
  const byteLengths = byteLevelLengths(json, vocabSize);
  return {
    info,
    files,
    byteLengths,
    encode(text: string): Int32Array {
      if (text === "") return new Int32Array(0);
      const ids = lib.encode(text, { add_special_tokens: false }).ids;
      const out = new Int32Array(ids.length);
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i];
        if (typeof id !== "number") {
          throw new TokenizerError(
            `${jsonWhere}: cannot encode ${JSON.stringify(text.slice(0, 40))}: a piece is not in ` +
              `the vocabulary and there is no unk_token`,
          );
        }
        out[i] = id;
      }
      return out;
    },
    decode(ids: ArrayLike<number>): string {
      if (ids.length === 0) return "";
      const arr = Array.from(ids);
      arr.forEach((id, i) => {
        if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
          throw new RangeError(
            `decode: ids[${i}] = ${id} is outside this tokenizer's vocabulary [0, ${vocabSize})`,
          );
        }
      });
      return lib.decode(arr, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
    },
  };
}

/**
 * UTF-8 byte length of each id for a byte-level tokenizer (ByteLevel
 * pre-tokenizer and decoder: one character of a token is one byte), so losses
 * convert exactly to nats per byte; null for other tokenizers.
 */
function byteLevelLengths(json: Record<string, unknown>, vocabSize: number): Int32Array | null {
  const isByteLevel = (x: unknown): boolean => {
    const o = x as { type?: string; pretokenizers?: unknown[]; decoders?: unknown[] } | null;
    if (!o) return false;
    if (o.type === "ByteLevel") return true;
    return (o.pretokenizers ?? o.decoders ?? []).some(isByteLevel);
  };
  if (!isByteLevel(json.pre_tokenizer) || !isByteLevel(json.decoder)) return null;
  const out = new Int32Array(vocabSize);
  const vocab = (json.model as { vocab: Record<string, number> }).vocab;
  if (Array.isArray(vocab)) return null;
  for (const [tok, id] of Object.entries(vocab)) out[id] = [...tok].length;
  // Added tokens decode to their literal content.
  for (const t of (json.added_tokens ?? []) as { id: number; content: string }[]) {
    out[t.id] = utf8.encode(t.content).length;
  }
  return out;
}

/**
 * Reads `tokenizer.json` (+ `tokenizer_config.json`) from a folder, or a
 * tokenizer.json file itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadHfTokenizer } from "./hf_tokenizer.ts";
 * const tok = await loadHfTokenizer("tests/fixtures/gpt2-mini");
 * assert.equal(tok.info.vocabSize, 280);
 * ```
 */
export async function loadHfTokenizer(path: string): Promise<Tokenizer> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.stat(path);
  } catch {
    throw new TokenizerError(`${path}: no such tokenizer file or folder`);
  }
  if (st.isFile) {
    return hfTokenizer({ [TOKENIZER_JSON]: await Deno.readFile(path) }, path);
  }
  const files = await readTokenizerFiles(path);
  if (!files) throw new TokenizerError(`${path}: no ${TOKENIZER_JSON} in this folder`);
  return hfTokenizer(files, path);
}
