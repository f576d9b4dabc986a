/**
 * BLiMP-style minimal-pair tasks built from held-out Brown text: a passage as
 * it was written against the same passage with one small corruption. The model
 * should find the original more probable.
 *
 * Families (each a {@link MinimalPairFamily} in {@link MINIMAL_PAIR_FAMILIES}):
 * - `brown-spelling-v1`: two adjacent inner letters of a lower-case word of
 *   >= 4 letters swapped (`"house"` vs `"huose"`).
 * - `brown-word-boundary-v1`: the space between two adjacent content words
 *   moved by one letter (`"school districts"` vs `"schoo ldistricts"`).
 * - `brown-word-start-v1`: the first two letters of a content word of >= 4
 *   letters swapped (`"districts"` vs `"idstricts"`).
 *
 * No edit may produce a word of the test documents (`"form"` -> `"from"` is
 * not a corruption). Word-order and number-agreement pairs were tried too and
 * left out: the 600-step tiny model is at chance on them (docs/evaluation.md).
 *
 * How an item is made (all families; version and seed per family):
 * - Only TEST-split documents are used (`brownSplitOf` in lib/data/brown.ts).
 *   Words are a document's text split on whitespace (`wordsOf`, as in the
 *   cloze task); words keep attached punctuation.
 * - A *site* is a word index `i` with at least {@link PAIR_CONTEXT_WORDS}
 *   words before it and {@link PAIR_SUFFIX_WORDS} after the edited words,
 *   where the family's edit applies.
 * - Scoring is lm-evaluation-harness style on the shared prefix: `context`
 *   = the {@link PAIR_CONTEXT_WORDS} words before the site, joined by single
 *   spaces; the two choices = `" "` + the edited words and the next
 *   {@link PAIR_SUFFIX_WORDS} word(s), original and corrupted. The common
 *   suffix word lets the model notice a corruption only from what follows it.
 * - At most {@link PAIR_TASK_MAX_ITEMS} items per family, spread evenly:
 *   round-robin quotas over the documents, sites evenly spaced in each.
 * - A seeded RNG (one per family) picks the edit where a family has several
 *   (which letters to swap) and the order of the two choices; each line also
 *   carries `"id": "<doc>:<word index of the site>"`.
 *
 * Regenerate the committed files with `deno run -A lib/eval/builtin_task.ts`
 * (only after bumping a family's version if its output changes).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { type BrownDocument, brownSplitOf, loadBrownDocuments } from "../data/brown.ts";
import { makeRng, type Rng } from "../rng.ts";
import { type MultipleChoiceItem, toJsonl } from "./multiple_choice.ts";
import { dealQuotas, wordsOf } from "./cloze_task.ts";

/** Words of context before each site (about 220 bytes, as the cloze task). */
export const PAIR_CONTEXT_WORDS = 40;
/** Unchanged words after the edit that each choice also holds. */
export const PAIR_SUFFIX_WORDS = 1;
/** Upper bound on the number of items of each family. */
export const PAIR_TASK_MAX_ITEMS = 1000;

/** What a family's edit sees: a document's words and the test documents' lower-case vocabulary. */
export interface EditInput {
  /** The document's words. */
  words: string[];
  /** Index of the first edited word. */
  at: number;
  /** Every lower-case letter-only word of the test documents (to reject edits that make words). */
  vocab: ReadonlySet<string>;
}

/** One family of minimal pairs. */
export interface MinimalPairFamily {
  /** Task name, also the file's base name. */
  name: string;
  /** Seed of the family's RNG. */
  seed: number;
  /** Number of consecutive words the edit replaces. */
  span: number;
  /** The edits possible at a site (each the corrupted words); empty when the site is not one. */
  edits(input: EditInput): string[][];
}

const LOWER = /^[a-z]+$/;

/**
 * Swaps two adjacent, different inner letters (neither the first nor the last
 * letter) of a lower-case word of >= 4 letters, keeping only results that are
 * not words of the test documents.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spellingFamily } from "./minimal_pairs.ts";
 * const edits = spellingFamily.edits({ words: ["house"], at: 0, vocab: new Set(["house"]) });
 * assert.deepEqual(edits, [["huose"], ["hosue"]]);
 * ```
 */
export const spellingFamily: MinimalPairFamily = {
  name: "brown-spelling-v1",
  seed: 20241002,
  span: 1,
  edits({ words, at, vocab }) {
    const w = words[at];
    if (w.length < 4 || !LOWER.test(w)) return [];
    const out: string[][] = [];
    for (let k = 1; k + 2 < w.length; k++) {
      if (w[k] === w[k + 1]) continue;
      const bad = w.slice(0, k) + w[k + 1] + w[k] + w.slice(k + 2);
      if (!vocab.has(bad)) out.push([bad]);
    }
    return out;
  },
};

/**
 * 148 very frequent English words (function words and the commonest content
 * words). The word-boundary and word-start families skip them, so
 * that items are spread over many different words: a few very frequent words
 * would otherwise fill the task, and an untrained model's fixed preferences
 * between a few byte pairs would decide it.
 */
export const COMMON_WORDS: ReadonlySet<string> = new Set(
  "the of and to a in is that for it was with as he on be by at his not i had are but from or have an they which one you were her all she there would their we him been has when who will more no if out so said what up its about into than them can only other new some could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three"
    .split(" "),
);

/** A lower-case letter-only word of >= 3 letters, not in {@link COMMON_WORDS}. */
function isContentWord(w: string, minLetters = 3): boolean {
  return w.length >= minLetters && LOWER.test(w) && !COMMON_WORDS.has(w);
}

/**
 * Moves the boundary between two adjacent content words by one letter, left
 * (`"school districts"` -> `"schoo ldistricts"`) or right (`"schoold
 * istricts"`), unless both resulting pieces are words of the test documents.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wordBoundaryFamily } from "./minimal_pairs.ts";
 * const edits = wordBoundaryFamily.edits({ words: ["school", "districts"], at: 0, vocab: new Set() });
 * assert.deepEqual(edits, [["schoo", "ldistricts"], ["schoold", "istricts"]]);
 * ```
 */
export const wordBoundaryFamily: MinimalPairFamily = {
  name: "brown-word-boundary-v1",
  seed: 20241005,
  span: 2,
  edits({ words, at, vocab }) {
    const [a, b] = [words[at], words[at + 1]];
    if (!isContentWord(a) || !isContentWord(b)) return [];
    const out: string[][] = [];
    for (const [x, y] of [[a.slice(0, -1), a.slice(-1) + b], [a + b[0], b.slice(1)]]) {
      if (!(vocab.has(x) && vocab.has(y))) out.push([x, y]);
    }
    return out;
  },
};

/**
 * Swaps the first two letters of a content word of >= 4 letters
 * (`"districts"` -> `"idstricts"`), unless they are equal or the result is a
 * word of the test documents.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wordStartFamily } from "./minimal_pairs.ts";
 * const edits = wordStartFamily.edits({ words: ["districts"], at: 0, vocab: new Set() });
 * assert.deepEqual(edits, [["idstricts"]]);
 * ```
 */
export const wordStartFamily: MinimalPairFamily = {
  name: "brown-word-start-v1",
  seed: 20241006,
  span: 1,
  edits({ words, at, vocab }) {
    const w = words[at];
    if (!isContentWord(w, 4) || w[0] === w[1]) return [];
    const bad = w[1] + w[0] + w.slice(2);
    return vocab.has(bad) ? [] : [[bad]];
  },
};

/** Every minimal-pair family, by name. */
export const MINIMAL_PAIR_FAMILIES: Readonly<Record<string, MinimalPairFamily>> = Object.freeze({
  [spellingFamily.name]: spellingFamily,
  [wordBoundaryFamily.name]: wordBoundaryFamily,
  [wordStartFamily.name]: wordStartFamily,
});

/**
 * Path of a family's committed task file, `tasks/<name>.jsonl`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { minimalPairTaskPath } from "./minimal_pairs.ts";
 * assert.match(minimalPairTaskPath("brown-spelling-v1"), /tasks[\\/]brown-spelling-v1\.jsonl$/);
 * ```
 */
export function minimalPairTaskPath(name: string): string {
  return fileURLToPath(new URL(`../../tasks/${name}.jsonl`, import.meta.url));
}

/** A minimal-pair item: a two-choice item plus its provenance. */
export interface MinimalPairItem extends MultipleChoiceItem {
  /** `"<document id>:<index of the first edited word>"`. */
  id: string;
}

/**
 * The lower-case, letter-only words of the test documents (punctuation
 * stripped): what the spelling family must not produce.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { testVocabulary } from "./minimal_pairs.ts";
 * assert.ok(testVocabulary().has("the"));
 * ```
 */
export function testVocabulary(docs: BrownDocument[] = loadBrownDocuments()): Set<string> {
  const vocab = new Set<string>();
  docs.forEach((d, i) => {
    if (brownSplitOf(i) !== "test") return;
    for (const w of wordsOf(d.text)) {
      const bare = w.toLowerCase().replace(/[^a-z]/g, "");
      if (bare) vocab.add(bare);
    }
  });
  return vocab;
}

function pick<T>(options: T[], rng: Rng): T {
  return options.length === 1 ? options[0] : options[rng.int(options.length)];
}

/** `count` of `list`, evenly spaced. */
function spread<T>(list: T[], count: number): T[] {
  return Array.from(
    { length: count },
    (_, q) => list[Math.floor(((q + 0.5) * list.length) / count)],
  );
}

/** Sites as [document, word index]: round-robin quotas per document, evenly spaced in each. */
function evenSites(sites: number[][]): [number, number][] {
  const quota = dealQuotas(sites.map((s) => s.length), PAIR_TASK_MAX_ITEMS);
  return sites.flatMap((s, di) => spread(s, quota[di]).map((at): [number, number] => [di, at]));
}

/**
 * Builds a family's items from the Brown documents (sorted by id, as
 * `loadBrownDocuments` returns them). Deterministic: same documents, same items.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildMinimalPairItems, spellingFamily } from "./minimal_pairs.ts";
 * const items = buildMinimalPairItems(spellingFamily);
 * assert.equal(items[0].choices.length, 2);
 * ```
 */
export function buildMinimalPairItems(
  family: MinimalPairFamily,
  docs: BrownDocument[] = loadBrownDocuments(),
): MinimalPairItem[] {
  const testDocs = docs.filter((_, i) => brownSplitOf(i) === "test");
  if (testDocs.length < 2) {
    throw new RangeError(
      `only ${testDocs.length} test documents; pass the full sorted Brown corpus`,
    );
  }
  const vocab = testVocabulary(docs);
  const words = testDocs.map((d) => wordsOf(d.text));
  const sites = words.map((ws) => {
    const at: number[] = [];
    const end = ws.length - family.span - PAIR_SUFFIX_WORDS;
    for (let i = PAIR_CONTEXT_WORDS; i <= end; i++) {
      if (family.edits({ words: ws, at: i, vocab }).length > 0) at.push(i);
    }
    return at;
  });
  const chosen = evenSites(sites);
  const rng = makeRng(family.seed);
  const items: MinimalPairItem[] = [];
  for (const [di, at] of chosen) {
    const ws = words[di];
    const bad = pick(family.edits({ words: ws, at, vocab }), rng);
    const suffix = ws.slice(at + family.span, at + family.span + PAIR_SUFFIX_WORDS);
    const good = " " + ws.slice(at, at + family.span + PAIR_SUFFIX_WORDS).join(" ");
    const corrupted = " " + [...bad, ...suffix].join(" ");
    const goldFirst = rng.int(2) === 0;
    items.push({
      context: ws.slice(at - PAIR_CONTEXT_WORDS, at).join(" "),
      choices: goldFirst ? [good, corrupted] : [corrupted, good],
      gold: goldFirst ? 0 : 1,
      id: `${testDocs[di].id}:${at}`,
    });
  }
  return items;
}

/**
 * A family's task as JSONL text, exactly the bytes of its committed file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateMinimalPairTask, minimalPairTaskPath } from "./minimal_pairs.ts";
 * const name = "brown-spelling-v1";
 * assert.equal(generateMinimalPairTask(name), Deno.readTextFileSync(minimalPairTaskPath(name)));
 * ```
 */
export function generateMinimalPairTask(
  name: string,
  docs: BrownDocument[] = loadBrownDocuments(),
): string {
  const family = Object.hasOwn(MINIMAL_PAIR_FAMILIES, name) ? MINIMAL_PAIR_FAMILIES[name] : null;
  if (!family) {
    throw new RangeError(
      `unknown minimal-pair family '${name}'; use one of ${
        Object.keys(MINIMAL_PAIR_FAMILIES).join(", ")
      }`,
    );
  }
  return toJsonl(buildMinimalPairItems(family, docs));
}
