/**
 * Text corpora for training: the built-in Brown Corpus or the user's own text,
 * split by document into train/validation/test with one fixed rule
 * ({@link brownSplitOf}), then tokenised split by split.
 *
 * @module
 */

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { brownSplitOf, loadBrownDocuments, type Split } from "./brown.ts";
import type { Tokenizer } from "./tokenizer.ts";

export type { Split } from "./brown.ts";

/**
 * The three split names, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SPLITS } from "./corpus.ts";
 * assert.deepEqual(SPLITS, ["train", "validation", "test"]);
 * ```
 */
export const SPLITS: readonly Split[] = ["train", "validation", "test"];

/**
 * Put between documents when a split is concatenated into one stream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DOCUMENT_SEPARATOR } from "./corpus.ts";
 * assert.equal(["doc one", "doc two"].join(DOCUMENT_SEPARATOR), "doc one\n\ndoc two");
 * ```
 */
export const DOCUMENT_SEPARATOR = "\n\n";

/**
 * Number of contiguous chunks a single .txt file is cut into (16 train, 2
 * validation, 2 test).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCorpus, TXT_CHUNKS } from "./corpus.ts";
 * const dir = await Deno.makeTempDir();
 * const lines = Array.from({ length: 200 }, (_, i) => `line ${i}`);
 * await Deno.writeTextFile(`${dir}/book.txt`, lines.join("\n"));
 * assert.equal(loadCorpus(`${dir}/book.txt`).documents.length, TXT_CHUNKS);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const TXT_CHUNKS = 20;

/**
 * One document of a corpus.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CorpusDocument, loadCorpus } from "./corpus.ts";
 * const doc: CorpusDocument = loadCorpus().documents[8];
 * assert.equal(doc.split, "validation");
 * ```
 */
export interface CorpusDocument {
  /** File name, `file:line` for jsonl, `file#chunk` for a single .txt file. */
  id: string;
  text: string;
  split: Split;
}

/**
 * A corpus with its documents assigned to splits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Corpus, loadCorpus } from "./corpus.ts";
 * const corpus: Corpus = loadCorpus("brown");
 * assert.equal(corpus.splits.test.length, 50);
 * ```
 */
export interface Corpus {
  /** `"brown"` or the file/folder name. */
  name: string;
  /** What was passed to {@link loadCorpus}. */
  source: string;
  documents: CorpusDocument[];
  /** Document texts of each split, in corpus order. */
  splits: Record<Split, string[]>;
}

const SOURCE_HELP =
  'pass "brown", a .txt file, a folder of .txt files, or a .jsonl file with a "text" field per line';

function readNonEmpty(path: string): string {
  const text = readFileSync(path, "utf8");
  if (text.trim().length === 0) throw new Error(`corpus file ${path} is empty; give it some text`);
  return text;
}

/** Cuts text into `n` contiguous chunks, each ending at a newline (empty chunks dropped). */
function chunkAtNewlines(text: string, n: number): string[] {
  const chunks: string[] = [];
  let start = 0;
  for (let k = 1; k <= n; k++) {
    let end = k === n ? text.length : text.indexOf("\n", Math.floor((k * text.length) / n));
    if (end < 0) end = text.length;
    if (end < start) continue; // a long line already swallowed this chunk
    const chunk = text.slice(start, end).replace(/^\n+|\n+$/g, "");
    if (chunk.trim().length > 0) chunks.push(chunk);
    start = end + 1;
  }
  return chunks;
}

function parseJsonl(path: string, text: string): { id: string; text: string }[] {
  const docs: { id: string; text: string }[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim().length === 0) return;
    const where = `${path}:${i + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new Error(
        `${where}: invalid JSON (${(e as Error).message}); write one object per line`,
      );
    }
    const field = (row as { text?: unknown } | null)?.text;
    if (typeof field !== "string") {
      throw new Error(`${where}: expected an object with a string "text" field`);
    }
    docs.push({ id: where, text: field });
  });
  return docs;
}

function rawDocuments(source: string): { id: string; text: string }[] {
  if (source === "brown") return loadBrownDocuments().map(({ id, text }) => ({ id, text }));
  if (!existsSync(source)) {
    throw new Error(`corpus source "${source}" does not exist; ${SOURCE_HELP}`);
  }
  if (statSync(source).isDirectory()) {
    const files = readdirSync(source).filter((f) => f.endsWith(".txt")).sort();
    if (files.length === 0) {
      throw new Error(`corpus folder ${source} has no .txt files; ${SOURCE_HELP}`);
    }
    return files.map((f) => ({ id: f, text: readNonEmpty(join(source, f)) }));
  }
  const ext = extname(source).toLowerCase();
  if (ext === ".txt") {
    const name = basename(source);
    return chunkAtNewlines(readNonEmpty(source), TXT_CHUNKS)
      .map((text, i) => ({ id: `${name}#${i}`, text }));
  }
  if (ext === ".jsonl") return parseJsonl(source, readNonEmpty(source));
  throw new Error(`corpus source ${source} has unsupported extension "${ext}"; ${SOURCE_HELP}`);
}

/**
 * Loads a corpus and splits it by document: index `i` goes to validation when
 * `i % 10 === 8`, test when `i % 10 === 9`, train otherwise. Documents are the
 * Brown files, the .txt files of a folder (sorted by name, not recursive), the
 * lines of a .jsonl file, or {@link TXT_CHUNKS} contiguous newline-aligned
 * chunks of a single .txt file. Throws if any split ends up empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCorpus } from "./corpus.ts";
 * const brown = loadCorpus();
 * assert.deepEqual(Object.values(brown.splits).map((s) => s.length), [400, 50, 50]);
 * // A folder makes every .txt in it a document.
 * const dir = await Deno.makeTempDir();
 * for (let i = 0; i < 10; i++) await Deno.writeTextFile(`${dir}/note${i}.txt`, `note ${i}`);
 * assert.equal(loadCorpus(dir).documents.length, 10);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function loadCorpus(source: string = "brown"): Corpus {
  const raw = rawDocuments(source);
  const documents = raw.map((d, i) => ({ ...d, split: brownSplitOf(i) }));
  const splits: Record<Split, string[]> = { train: [], validation: [], test: [] };
  for (const d of documents) splits[d.split].push(d.text);
  for (const split of SPLITS) {
    if (splits[split].length === 0) {
      throw new Error(
        `corpus ${source}: split "${split}" is empty with ${documents.length} documents; ` +
          `provide at least 10 documents (index i%10==8 is validation, i%10==9 is test)`,
      );
    }
  }
  const name = source === "brown" ? "brown" : basename(source.replace(/[/\\]+$/, ""));
  return { name, source, documents, splits };
}

/**
 * Token ids of each split: its documents joined by {@link DOCUMENT_SEPARATOR}
 * and encoded as one stream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCorpus, tokenizeSplits } from "./corpus.ts";
 * import { byteTokenizer } from "./tokenizer.ts";
 * const { train, validation } = tokenizeSplits(loadCorpus(), byteTokenizer);
 * assert.ok(train.length > 5 * validation.length); // 400 training documents against 50
 * ```
 */
export function tokenizeSplits(corpus: Corpus, tokenizer: Tokenizer): Record<Split, Int32Array> {
  const out = {} as Record<Split, Int32Array>;
  for (const split of SPLITS) {
    out[split] = tokenizer.encode(corpus.splits[split].join(DOCUMENT_SEPARATOR));
    if (out[split].length === 0) {
      throw new Error(`corpus ${corpus.name}: split "${split}" has no tokens; add text to it`);
    }
  }
  return out;
}
