/**
 * The kit's built-in zero-shot tasks and their registry.
 *
 * - `brown-cloze-v1` (the default; lib/eval/cloze_task.ts): pick the true next
 *   word after 40 words of a held-out document among four words of the same
 *   length. Small byte-level models score above chance on it.
 * - `brown-next-sentence-v1` (this file): given three consecutive sentences of
 *   a held-out Brown document, pick the true next sentence among four choices.
 *   CPU-scale models stay at chance on it; it is kept, unchanged, for larger
 *   models and for comparison with earlier results.
 *
 * - `brown-spelling-v1`, `brown-word-boundary-v1`, `brown-word-start-v1`
 *   (lib/eval/minimal_pairs.ts): BLiMP-style minimal pairs, a held-out
 *   passage against the same passage with one corruption.
 *
 * {@link BUILTIN_SUITE} (every task but next-sentence) is the zero-shot suite
 * whose average accuracy training logs (lib/eval/suite.ts). All need no
 * download, are made only from the TEST split (see `brownSplitOf` in
 * lib/data/brown.ts), and are scored like any other task with
 * lib/eval/multiple_choice.ts.
 *
 * How the next-sentence task is made (version {@link BUILTIN_TASK_VERSION}, seed
 * {@link BUILTIN_TASK_SEED}):
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
 * Regenerate every committed file with `deno run -A lib/eval/builtin_task.ts`
 * (only after bumping a version if an output changes).
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
import { CLOZE_TASK_NAME, clozeTaskPath, dealQuotas, generateClozeTask } from "./cloze_task.ts";
import {
  generateMinimalPairTask,
  MINIMAL_PAIR_FAMILIES,
  minimalPairTaskPath,
} from "./minimal_pairs.ts";

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

/** Name of the next-sentence task, also its file's base name. */
export const NEXT_SENTENCE_TASK_NAME = `brown-next-sentence-v${BUILTIN_TASK_VERSION}`;

/**
 * Path of the committed next-sentence task file, `tasks/brown-next-sentence-v1.jsonl`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { builtinTaskPath } from "./builtin_task.ts";
 * assert.match(builtinTaskPath(), /tasks[\\/]brown-next-sentence-v1\.jsonl$/);
 * ```
 */
export function builtinTaskPath(): string {
  const url = new URL(`../../tasks/${NEXT_SENTENCE_TASK_NAME}.jsonl`, import.meta.url);
  return fileURLToPath(url);
}

/** A built-in task: where its committed file is and how to regenerate its bytes. */
export interface BuiltinTaskSpec {
  /** Path of the committed JSONL file. */
  path: () => string;
  /** The file's exact text, generated from the Brown documents. */
  generate: (docs?: BrownDocument[]) => string;
}

/**
 * Every built-in task by name: the next-sentence and cloze tasks, then the
 * minimal-pair families of lib/eval/minimal_pairs.ts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BUILTIN_TASKS } from "./builtin_task.ts";
 * assert.equal(Object.keys(BUILTIN_TASKS).length, 5);
 * assert.ok("brown-next-sentence-v1" in BUILTIN_TASKS);
 * ```
 */
export const BUILTIN_TASKS: Readonly<Record<string, BuiltinTaskSpec>> = Object.freeze({
  [NEXT_SENTENCE_TASK_NAME]: { path: builtinTaskPath, generate: generateBuiltinTask },
  [CLOZE_TASK_NAME]: { path: clozeTaskPath, generate: generateClozeTask },
  ...Object.fromEntries(
    Object.keys(MINIMAL_PAIR_FAMILIES).map((name) => [name, {
      path: () => minimalPairTaskPath(name),
      generate: (docs?: BrownDocument[]) => generateMinimalPairTask(name, docs),
    }]),
  ),
});

/**
 * The zero-shot suite, in report order: the tasks `--tasks builtin` scores,
 * training scores at each evaluation (config `tasks: "builtin"`) and "average
 * accuracy" averages (lib/eval/suite.ts). They are the built-in tasks on which
 * CPU-scale models learn (measurements in docs/evaluation.md);
 * `brown-next-sentence-v1`, at chance for all of them, is scored only by name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BUILTIN_SUITE } from "./builtin_task.ts";
 * assert.equal(BUILTIN_SUITE[0], "brown-cloze-v1");
 * assert.ok(!BUILTIN_SUITE.includes("brown-next-sentence-v1")); // at chance: scored only by name
 * ```
 */
export const BUILTIN_SUITE: readonly string[] = Object.freeze([
  CLOZE_TASK_NAME,
  ...Object.keys(MINIMAL_PAIR_FAMILIES),
]);

/**
 * The task `loadBuiltinTask()` loads without a name (and the one training scores
 * at each evaluation): the cloze task, the built-in task with signal at CPU scale.
 */
export const DEFAULT_BUILTIN_TASK: string = CLOZE_TASK_NAME;

function specOf(name: string): BuiltinTaskSpec {
  const spec = Object.hasOwn(BUILTIN_TASKS, name) ? BUILTIN_TASKS[name] : undefined;
  if (!spec) {
    throw new RangeError(
      `unknown built-in task '${name}'; use one of ${Object.keys(BUILTIN_TASKS).join(", ")}`,
    );
  }
  return spec;
}

/**
 * Loads and validates a committed built-in task (default {@link DEFAULT_BUILTIN_TASK}).
 * The task's name is its registry name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chanceLevel, loadBuiltinTask } from "./builtin_task.ts";
 * const cloze = await loadBuiltinTask();
 * assert.equal(cloze.name, "brown-cloze-v1");
 * const next = await loadBuiltinTask("brown-next-sentence-v1");
 * assert.equal(chanceLevel(next), 0.25); // four choices per item
 * ```
 */
export async function loadBuiltinTask(
  name: string = DEFAULT_BUILTIN_TASK,
): Promise<MultipleChoiceTask> {
  const text = await Deno.readTextFile(specOf(name).path());
  return parseTaskJsonl(text, name);
}

/**
 * Expands one `--tasks` entry into built-in task names: `"builtin"` means the
 * suite ({@link BUILTIN_SUITE}), `"builtin:NAME"` one built-in task; anything
 * else is not a built-in reference and gives null (the caller treats it as a
 * file path).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BUILTIN_SUITE, builtinTaskNames } from "./builtin_task.ts";
 * assert.deepEqual(builtinTaskNames("builtin"), [...BUILTIN_SUITE]);
 * assert.deepEqual(builtinTaskNames("builtin:brown-cloze-v1"), ["brown-cloze-v1"]);
 * assert.equal(builtinTaskNames("tasks/mine.jsonl"), null);
 * ```
 */
export function builtinTaskNames(entry: string): string[] | null {
  if (entry === "builtin") return [...BUILTIN_SUITE];
  if (!entry.startsWith("builtin:")) return null;
  const name = entry.slice("builtin:".length);
  specOf(name);
  return [name];
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

/**
 * Builds the built-in task's items from the Brown documents (sorted by id, as
 * `loadBrownDocuments` returns them). Deterministic: same documents, same items.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildBuiltinItems } from "./builtin_task.ts";
 * const items = buildBuiltinItems();
 * assert.equal(items[0].choices.length, 4);
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
 * import assert from "node:assert/strict";
 * import { builtinTaskPath, generateBuiltinTask } from "./builtin_task.ts";
 * assert.equal(generateBuiltinTask(), Deno.readTextFileSync(builtinTaskPath()));
 * ```
 */
export function generateBuiltinTask(docs: BrownDocument[] = loadBrownDocuments()): string {
  return toJsonl(buildBuiltinItems(docs));
}

/**
 * Writes a built-in task's generated text to its committed path, atomically.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { builtinTaskPath, writeBuiltinTask } from "./builtin_task.ts";
 * const before = Deno.readTextFileSync(builtinTaskPath());
 * // Regenerating rewrites the committed file with the same bytes.
 * assert.equal(writeBuiltinTask("brown-next-sentence-v1"), builtinTaskPath());
 * assert.equal(Deno.readTextFileSync(builtinTaskPath()), before);
 * ```
 */
export function writeBuiltinTask(name: string = DEFAULT_BUILTIN_TASK): string {
  const spec = specOf(name);
  const path = spec.path();
  const tmp = `${path}.tmp-${Deno.pid}`;
  writeFileSync(tmp, spec.generate());
  renameSync(tmp, path);
  return path;
}

if (import.meta.main) {
  for (const name of Object.keys(BUILTIN_TASKS)) {
    const path = writeBuiltinTask(name);
    const task = await loadBuiltinTask(name);
    console.log(`${path}: ${task.items.length} items, chance ${chanceLevel(task)}`);
  }
}
