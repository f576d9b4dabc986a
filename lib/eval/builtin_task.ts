/**
 * The kit's built-in zero-shot task, "brown-next-sentence": given three
 * consecutive sentences of a held-out Brown document, pick the true next
 * sentence among four choices. It needs no download, is made only from the
 * TEST split (see `brownSplitOf` in lib/data/brown.ts), and is scored like any
 * other task with lib/eval/multiple_choice.ts.
 *
 * How it is made (version {@link BUILTIN_TASK_VERSION}, seed {@link BUILTIN_TASK_SEED}):
 * - A sentence is *eligible* when it comes from a test document, has
 *   20..200 UTF-8 bytes, does not start with closing punctuation, and does not
 *   also occur verbatim in any train or validation document (e.g. `"All
 *   right," I said.`), so no eligible text is seen in training.
 * - A *window* is four consecutive eligible sentences of one document: three
 *   form the context (joined by single spaces, no trailing space) and the
 *   fourth is the gold choice.
 * - At most {@link BUILTIN_TASK_MAX_ITEMS} windows are used, spread evenly:
 *   quotas are dealt round-robin over the documents, and each document's
 *   windows are taken at evenly spaced positions.
 * - Three distractors per item come from OTHER test documents: a seeded random
 *   pool of {@link DISTRACTOR_POOL} eligible sentences is drawn and the three
 *   closest in byte length to the gold sentence are kept, so length alone does
 *   not give the answer away. They differ from the gold sentence, from each
 *   other and from the context sentences.
 * - Choices start with `" "`; their order is shuffled with the same seeded RNG.
 * - Each line also carries `"id": "<doc>:<index of the gold sentence>"`.
 *
 * Regenerate the committed file with `deno run -A lib/eval/builtin_task.ts`
 * (only after bumping the version if the output changes).
 *
 * @module
 */

import { renameSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  type BrownDocument,
  brownSplitOf,
  joinSentences,
  loadBrownDocuments,
} from "../data/brown.ts";
import { makeRng } from "../rng.ts";
import {
  byteLength,
  chanceLevel,
  type MultipleChoiceItem,
  type MultipleChoiceTask,
  parseTaskJsonl,
  toJsonl,
} from "./multiple_choice.ts";

export { chanceLevel };

/** Version of the built-in task; part of its file name. Bump it when the output changes. */
export const BUILTIN_TASK_VERSION = 1;
/** Seed of the RNG that draws distractors and shuffles choices. */
export const BUILTIN_TASK_SEED = 20240918;
/** Upper bound on the number of items. */
export const BUILTIN_TASK_MAX_ITEMS = 1000;
/** Shortest eligible sentence, in UTF-8 bytes (short lines like "Yes." recur across documents). */
export const MIN_SENTENCE_BYTES = 20;
/** Longest eligible sentence, in UTF-8 bytes (keeps choices scorable by small-context models). */
export const MAX_SENTENCE_BYTES = 200;
/** Random candidates drawn per item, among which the closest-length distractors are chosen. */
export const DISTRACTOR_POOL = 64;
const N_CONTEXT = 3;
const N_DISTRACTORS = 3;

/** A built-in item: a multiple-choice item plus its provenance. */
export interface BuiltinItem extends MultipleChoiceItem {
  /** `"<document id>:<index of the gold sentence in that document>"`. */
  id: string;
}

/**
 * Path of the committed task file, `tasks/brown-next-sentence-v1.jsonl`.
 *
 * @example
 * ```ts
 * import { builtinTaskPath } from "./builtin_task.ts";
 * builtinTaskPath(); // ".../tasks/brown-next-sentence-v1.jsonl"
 * ```
 */
export function builtinTaskPath(): string {
  const url = new URL(
    `../../tasks/brown-next-sentence-v${BUILTIN_TASK_VERSION}.jsonl`,
    import.meta.url,
  );
  return fileURLToPath(url);
}

/**
 * Loads and validates the committed built-in task.
 *
 * @example
 * ```ts
 * import { chanceLevel, loadBuiltinTask } from "./builtin_task.ts";
 * const task = await loadBuiltinTask();
 * chanceLevel(task); // 0.25
 * ```
 */
export async function loadBuiltinTask(): Promise<MultipleChoiceTask> {
  const text = await Deno.readTextFile(builtinTaskPath());
  return parseTaskJsonl(text, `brown-next-sentence-v${BUILTIN_TASK_VERSION}`);
}

/** Sentence plus where it comes from. */
interface Candidate {
  text: string;
  doc: number;
  bytes: number;
}

function eligibleFlags(doc: BrownDocument, seenOutsideTest: Set<string>): boolean[] {
  return doc.sentences.map((s) => {
    const b = byteLength(s);
    return b >= MIN_SENTENCE_BYTES && b <= MAX_SENTENCE_BYTES && !/^[,.;:!?)\]}]/.test(s) &&
      !seenOutsideTest.has(s);
  });
}

/** Round-robin quotas: each round, every document with windows left takes one more. */
function dealQuotas(available: number[], cap: number): number[] {
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
 * Builds the built-in task's items from the Brown documents (sorted by id, as
 * `loadBrownDocuments` returns them). Deterministic: same documents, same items.
 *
 * @example
 * ```ts
 * import { buildBuiltinItems } from "./builtin_task.ts";
 * const items = buildBuiltinItems();
 * items[0].choices.length; // 4
 * ```
 */
export function buildBuiltinItems(docs: BrownDocument[] = loadBrownDocuments()): BuiltinItem[] {
  const seenOutsideTest = new Set<string>();
  const testDocs: BrownDocument[] = [];
  docs.forEach((d, i) => {
    if (brownSplitOf(i) === "test") testDocs.push(d);
    else for (const s of d.sentences) seenOutsideTest.add(s);
  });
  if (testDocs.length < 2) {
    throw new RangeError(
      `only ${testDocs.length} test documents; pass the full sorted Brown corpus`,
    );
  }
  const flags = testDocs.map((d) => eligibleFlags(d, seenOutsideTest));
  const pool: Candidate[] = [];
  testDocs.forEach((d, di) =>
    d.sentences.forEach((s, si) => {
      if (flags[di][si]) pool.push({ text: s, doc: di, bytes: byteLength(s) });
    })
  );
  // Windows: start index i such that sentences i..i+3 are all eligible.
  const windows = testDocs.map((d, di) => {
    const starts: number[] = [];
    for (let i = 0; i + N_CONTEXT < d.sentences.length; i++) {
      let ok = true;
      for (let j = 0; j <= N_CONTEXT; j++) ok &&= flags[di][i + j];
      if (ok) starts.push(i);
    }
    return starts;
  });
  const quota = dealQuotas(windows.map((w) => w.length), BUILTIN_TASK_MAX_ITEMS);
  const rng = makeRng(BUILTIN_TASK_SEED);
  const items: BuiltinItem[] = [];
  testDocs.forEach((d, di) => {
    const w = windows[di];
    for (let q = 0; q < quota[di]; q++) {
      const start = w[Math.floor(((q + 0.5) * w.length) / quota[di])];
      const context = d.sentences.slice(start, start + N_CONTEXT);
      const gold = d.sentences[start + N_CONTEXT];
      const goldBytes = byteLength(gold);
      const excluded = new Set([gold, ...context]);
      // Draw a random pool from other documents, then keep the closest lengths.
      const drawn: Candidate[] = [];
      for (
        let tries = 0;
        drawn.length < DISTRACTOR_POOL && tries < DISTRACTOR_POOL * 100;
        tries++
      ) {
        const c = pool[rng.int(pool.length)];
        if (c.doc === di || excluded.has(c.text)) continue;
        excluded.add(c.text);
        drawn.push(c);
      }
      if (drawn.length < N_DISTRACTORS) {
        throw new Error(`${d.id}: found only ${drawn.length} distractors; the pool is too small`);
      }
      // Stable sort: equal distances keep their draw order.
      drawn.sort((a, b) => Math.abs(a.bytes - goldBytes) - Math.abs(b.bytes - goldBytes));
      const choices = [gold, ...drawn.slice(0, N_DISTRACTORS).map((c) => c.text)];
      const order = [0, 1, 2, 3];
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      items.push({
        context: joinSentences(context),
        choices: order.map((k) => " " + choices[k]),
        gold: order.indexOf(0),
        id: `${d.id}:${start + N_CONTEXT}`,
      });
    }
  });
  return items;
}

/**
 * The built-in task as JSONL text, exactly the bytes of the committed file.
 *
 * @example
 * ```ts
 * import { builtinTaskPath, generateBuiltinTask } from "./builtin_task.ts";
 * const same = generateBuiltinTask() === Deno.readTextFileSync(builtinTaskPath()); // true
 * ```
 */
export function generateBuiltinTask(docs: BrownDocument[] = loadBrownDocuments()): string {
  return toJsonl(buildBuiltinItems(docs));
}

/**
 * Writes the generated task to {@link builtinTaskPath}, atomically.
 *
 * @example
 * ```ts
 * import { writeBuiltinTask } from "./builtin_task.ts";
 * writeBuiltinTask(); // tasks/brown-next-sentence-v1.jsonl
 * ```
 */
export function writeBuiltinTask(path: string = builtinTaskPath()): string {
  const tmp = `${path}.tmp-${Deno.pid}`;
  writeFileSync(tmp, generateBuiltinTask());
  renameSync(tmp, path);
  return path;
}

if (import.meta.main) {
  const path = writeBuiltinTask();
  const task = await loadBuiltinTask();
  console.log(`${path}: ${task.items.length} items, chance ${chanceLevel(task)}`);
}
