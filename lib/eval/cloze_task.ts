/**
 * The built-in word cloze task, "brown-cloze": given the 40 words of a held-out
 * Brown document that precede a position, pick the word that really comes next
 * among four words of the same length. It is the built-in task on which small
 * byte-level models show signal (the next-sentence task stays at chance for
 * them; see docs/evaluation.md).
 *
 * How it is made (version {@link CLOZE_TASK_VERSION}, seed {@link CLOZE_TASK_SEED}):
 * - Only TEST-split documents (`brownSplitOf` in lib/data/brown.ts) are used.
 *   A document's *words* are its text split on whitespace (paragraph breaks
 *   become single spaces); a word keeps attached punctuation (`said,`).
 * - A *target* is a word of {@link CLOZE_MIN_LETTERS}..{@link CLOZE_MAX_LETTERS}
 *   ASCII letters (`^[A-Za-z]+$`, no attached punctuation) with at least
 *   {@link CLOZE_CONTEXT_WORDS} words before it in its document. Short and
 *   capitalised words are kept on purpose: measured on a tiny byte-level
 *   GPT-2, restricting targets to lower-case words of >= 4 letters put it at
 *   chance, as on the next-sentence task; function words and sentence-initial
 *   capitals are where small models first use the context.
 * - Item = context (the {@link CLOZE_CONTEXT_WORDS} preceding words joined by
 *   single spaces) and the choices `" " + word`. The gold choice is the target.
 * - Three distractors are target-eligible word *occurrences* drawn uniformly
 *   from OTHER test documents with exactly the gold word's byte length, all
 *   different words. Because gold and distractors are drawn from the same
 *   distribution of words given their length, a context-free scorer (a
 *   unigram model) is at chance in expectation: accuracy above chance means
 *   the model used the context.
 * - At most {@link CLOZE_TASK_MAX_ITEMS} items, spread evenly: round-robin
 *   quotas over the documents, targets at evenly spaced positions of each.
 * - Choices are shuffled with the same seeded RNG; each line carries
 *   `"id": "<doc>:<word index of the gold word>"`.
 *
 * The distractor words themselves also occur in training documents (they are
 * ordinary English words); only the contexts, and the position each gold word
 * fills, come solely from test documents.
 *
 * Regenerate the committed file with `deno run -A lib/eval/cloze_task.ts`
 * (only after bumping the version if the output changes).
 *
 * @module
 */

import { renameSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type BrownDocument, brownSplitOf, loadBrownDocuments } from "../data/brown.ts";
import { makeRng, type Rng } from "../rng.ts";
import { type MultipleChoiceItem, toJsonl } from "./multiple_choice.ts";

/** Version of the cloze task; part of its file name. Bump it when the output changes. */
export const CLOZE_TASK_VERSION = 1;
/** Name of the cloze task, also its file's base name. */
export const CLOZE_TASK_NAME = `brown-cloze-v${CLOZE_TASK_VERSION}`;
/** Seed of the RNG that draws distractors and shuffles choices. */
export const CLOZE_TASK_SEED = 20240919;
/** Upper bound on the number of items. */
export const CLOZE_TASK_MAX_ITEMS = 1000;
/** Words of context before each target (about 220 bytes). */
export const CLOZE_CONTEXT_WORDS = 40;
/** Fewest letters of a target word (1: `a` and `I` are targets too). */
export const CLOZE_MIN_LETTERS = 1;
/** Most letters of a target word (longer ones have too few same-length distractors). */
export const CLOZE_MAX_LETTERS = 12;
const N_DISTRACTORS = 3;
const TARGET = /^[A-Za-z]+$/;

/** A cloze item: a multiple-choice item plus its provenance. */
export interface ClozeItem extends MultipleChoiceItem {
  /** `"<document id>:<index of the gold word among the document's words>"`. */
  id: string;
}

/**
 * A document's words: its text split on runs of whitespace.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wordsOf } from "./cloze_task.ts";
 * assert.deepEqual(wordsOf("It rained.\n\nWe  stayed."), ["It", "rained.", "We", "stayed."]);
 * ```
 */
export function wordsOf(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

/**
 * Whether a word can be a cloze target (and a distractor).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isClozeWord } from "./cloze_task.ts";
 * assert.equal(isClozeWord("House"), true);
 * assert.equal(isClozeWord("said,"), false); // punctuation
 * assert.equal(isClozeWord("extraordinarily"), false); // more than 12 letters
 * ```
 */
export function isClozeWord(word: string): boolean {
  return word.length >= CLOZE_MIN_LETTERS && word.length <= CLOZE_MAX_LETTERS &&
    TARGET.test(word);
}

/**
 * Round-robin quotas: each round, every source with items left takes one more,
 * until `cap` items are dealt. Spreads a task evenly over its documents.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dealQuotas } from "./cloze_task.ts";
 * assert.deepEqual(dealQuotas([5, 1, 5], 6), [3, 1, 2]);
 * ```
 */
export function dealQuotas(available: number[], cap: number): number[] {
  const quota = available.map(() => 0);
  let total = 0;
  for (let progress = true; progress && total < cap;) {
    progress = false;
    for (let d = 0; d < available.length && total < cap; d++) {
      if (quota[d] < available[d]) {
        quota[d]++;
        total++;
        progress = true;
      }
    }
  }
  return quota;
}

/**
 * Path of the committed task file, `tasks/brown-cloze-v1.jsonl`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clozeTaskPath } from "./cloze_task.ts";
 * assert.match(clozeTaskPath(), /tasks[\\/]brown-cloze-v1\.jsonl$/);
 * ```
 */
export function clozeTaskPath(): string {
  return fileURLToPath(new URL(`../../tasks/${CLOZE_TASK_NAME}.jsonl`, import.meta.url));
}

/** Seeded Fisher-Yates permutation of 0..n-1. */
function permutation(n: number, rng: Rng): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * Builds the cloze task's items from the Brown documents (sorted by id, as
 * `loadBrownDocuments` returns them). Deterministic: same documents, same items.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildClozeItems } from "./cloze_task.ts";
 * const items = buildClozeItems();
 * assert.equal(items[0].choices.length, 4);
 * ```
 */
export function buildClozeItems(docs: BrownDocument[] = loadBrownDocuments()): ClozeItem[] {
  const testDocs = docs.filter((_, i) => brownSplitOf(i) === "test");
  if (testDocs.length < 2) {
    throw new RangeError(
      `only ${testDocs.length} test documents; pass the full sorted Brown corpus`,
    );
  }
  const words = testDocs.map((d) => wordsOf(d.text));
  // Distractor pools by length: every eligible occurrence, with its document.
  const pools = new Map<number, { word: string; doc: number }[]>();
  words.forEach((ws, di) =>
    ws.forEach((w) => {
      if (!isClozeWord(w)) return;
      const pool = pools.get(w.length) ?? [];
      pool.push({ word: w, doc: di });
      pools.set(w.length, pool);
    })
  );
  const targets = words.map((ws) => {
    const at: number[] = [];
    for (let i = CLOZE_CONTEXT_WORDS; i < ws.length; i++) if (isClozeWord(ws[i])) at.push(i);
    return at;
  });
  const quota = dealQuotas(targets.map((t) => t.length), CLOZE_TASK_MAX_ITEMS);
  const rng = makeRng(CLOZE_TASK_SEED);
  const items: ClozeItem[] = [];
  testDocs.forEach((d, di) => {
    const t = targets[di];
    for (let q = 0; q < quota[di]; q++) {
      const at = t[Math.floor(((q + 0.5) * t.length) / quota[di])];
      const gold = words[di][at];
      const pool = pools.get(gold.length)!;
      const chosen = new Set([gold]);
      const distractors: string[] = [];
      for (let tries = 0; distractors.length < N_DISTRACTORS && tries < 10_000; tries++) {
        const c = pool[rng.int(pool.length)];
        if (c.doc === di || chosen.has(c.word)) continue;
        chosen.add(c.word);
        distractors.push(c.word);
      }
      if (distractors.length < N_DISTRACTORS) {
        throw new Error(`${d.id}: too few ${gold.length}-letter distractors for "${gold}"`);
      }
      const choices = [gold, ...distractors];
      const order = permutation(choices.length, rng);
      items.push({
        context: words[di].slice(at - CLOZE_CONTEXT_WORDS, at).join(" "),
        choices: order.map((k) => " " + choices[k]),
        gold: order.indexOf(0),
        id: `${d.id}:${at}`,
      });
    }
  });
  return items;
}

/**
 * The cloze task as JSONL text, exactly the bytes of the committed file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clozeTaskPath, generateClozeTask } from "./cloze_task.ts";
 * assert.equal(generateClozeTask(), Deno.readTextFileSync(clozeTaskPath()));
 * ```
 */
export function generateClozeTask(docs: BrownDocument[] = loadBrownDocuments()): string {
  return toJsonl(buildClozeItems(docs));
}

/**
 * Writes the generated task to {@link clozeTaskPath}, atomically.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clozeTaskPath, writeClozeTask } from "./cloze_task.ts";
 * const dir = await Deno.makeTempDir(); // default: the committed clozeTaskPath()
 * const path = writeClozeTask(`${dir}/cloze.jsonl`);
 * assert.equal(Deno.readTextFileSync(path), Deno.readTextFileSync(clozeTaskPath()));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function writeClozeTask(path: string = clozeTaskPath()): string {
  const tmp = `${path}.tmp-${Deno.pid}`;
  writeFileSync(tmp, generateClozeTask());
  renameSync(tmp, path);
  return path;
}

if (import.meta.main) {
  const path = writeClozeTask();
  const n = Deno.readTextFileSync(path).trimEnd().split("\n").length;
  console.log(`${path}: ${n} items`);
}
