/**
 * Zero-shot multiple-choice evaluation, scored the way lm-evaluation-harness
 * scores HellaSwag, PIQA, ARC and similar tasks: the model ranks the choices by
 * the log-likelihood of each choice's tokens given the context.
 *
 * Task format (JSONL, one item per line):
 * `{"context": "The cat sat on the", "choices": [" mat.", " moon."], "gold": 0}`.
 * The text is used exactly as written: put the separating space at the start
 * of each choice yourself (context without a trailing space, choices starting
 * with `" "`). As in the harness, trailing whitespace of a context is moved to
 * the front of each continuation before tokenising, and with any tokenizer
 * (bytes, BPE) the continuation's tokens are those of `encode(context +
 * continuation)` after the first `encode(context).length`, so the split falls
 * at a token boundary ({@link encodePair}). Unknown fields (e.g. `"id"`) are
 * allowed and ignored.
 *
 * The model is abstract ({@link LogProbFn}) so scoring is testable without
 * tensors.
 *
 * @module
 */

/** One multiple-choice item. */
export interface MultipleChoiceItem {
  /** Text the choices continue; must not be empty. */
  context: string;
  /** Candidate continuations (at least 2, none empty), used verbatim. */
  choices: string[];
  /** Index of the correct choice. */
  gold: number;
}

/** A named list of items. */
export interface MultipleChoiceTask {
  /** Task name, used in error messages and reports. */
  name: string;
  /** The items, in file order. */
  items: MultipleChoiceItem[];
}

/** One scoring request: the continuation's tokens following the context's tokens. */
export interface LogProbRequest {
  /** Context token ids (at least one). */
  context: Int32Array;
  /** Continuation token ids (at least one). */
  continuation: Int32Array;
}

/**
 * The model as the scorer sees it: for each request, the summed log-likelihood
 * `sum_t log p(continuation[t] | context, continuation[<t])`, in nats.
 */
export type LogProbFn = (requests: LogProbRequest[]) => Promise<number[]>;

/** Anything that turns text into token ids (e.g. the byte tokenizer). */
export interface TextEncoderLike {
  /** Text to ids. */
  encode(text: string): Int32Array;
}

/** Options of {@link scoreTask}. */
export interface ScoreOptions {
  /** Score only the first `limit` items (as the harness's `--limit`). Default: all. */
  limit?: number;
  /** Requests per call of the LogProbFn. Default 64. */
  batchSize?: number;
}

/** Per-item outcome of {@link scoreTask}. */
export interface ItemScore {
  /** Summed log-likelihood of each choice. */
  ll: number[];
  /** argmax of `ll`. */
  pred: number;
  /** argmax of `ll / byte length of the choice`. */
  predNorm: number;
}

/** Task-level result of {@link scoreTask}. */
export interface TaskScore {
  /** Fraction of items whose highest-likelihood choice is the gold one. */
  acc: number;
  /** Standard error of `acc`: `sqrt(acc (1 - acc) / (n - 1))`; NaN when n < 2. */
  acc_stderr: number;
  /** Same with each log-likelihood divided by the choice's UTF-8 byte length. */
  acc_norm: number;
  /** Standard error of `acc_norm`. */
  acc_norm_stderr: number;
  /** Number of items scored. */
  n: number;
  /** Expected accuracy of uniform guessing: mean of 1 / #choices. */
  chance: number;
  /** Per-item log-likelihoods and predictions, in order. */
  items: ItemScore[];
}

const utf8 = new TextEncoder();

/**
 * UTF-8 byte length of a string (the length acc_norm divides by). The harness
 * divides by the Python character count, which is the same for ASCII text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { byteLength } from "./multiple_choice.ts";
 * assert.equal(byteLength(" café"), 6);
 * ```
 */
export function byteLength(text: string): number {
  return utf8.encode(text).length;
}

function fail(name: string, line: number, msg: string): never {
  throw new SyntaxError(`${name}: line ${line}: ${msg}`);
}

/**
 * Parses a JSONL task, checking every line; a bad line throws an error naming
 * the task, the 1-based line number and the field. Blank lines are skipped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTaskJsonl } from "./multiple_choice.ts";
 * const task = parseTaskJsonl('{"context":"2+2 =","choices":[" 4"," 5"],"gold":0}\n', "toy");
 * assert.equal(task.items.length, 1);
 * assert.throws(() => parseTaskJsonl('{"context":"a"}\n', "bad"));
 * ```
 */
export function parseTaskJsonl(text: string, name: string): MultipleChoiceTask {
  const items: MultipleChoiceItem[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, "");
    if (raw.trim() === "") continue;
    const ln = i + 1;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (e) {
      fail(name, ln, `not valid JSON (${(e as Error).message}); write one JSON object per line`);
    }
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
      fail(name, ln, "expected an object {context, choices, gold}");
    }
    const o = obj as Record<string, unknown>;
    if (typeof o.context !== "string") fail(name, ln, "field context must be a string");
    if (o.context.trimEnd() === "") {
      fail(name, ln, "field context is empty; give at least one non-space character");
    }
    if (!Array.isArray(o.choices) || o.choices.length < 2) {
      fail(name, ln, "field choices must be an array of at least 2 strings");
    }
    for (let j = 0; j < o.choices.length; j++) {
      if (typeof o.choices[j] !== "string" || o.choices[j] === "") {
        fail(name, ln, `field choices[${j}] must be a non-empty string`);
      }
    }
    if (
      typeof o.gold !== "number" || !Number.isInteger(o.gold) || o.gold < 0 ||
      o.gold >= o.choices.length
    ) {
      fail(name, ln, `field gold must be an integer in [0, ${o.choices.length - 1}]`);
    }
    items.push({ context: o.context, choices: o.choices as string[], gold: o.gold });
  }
  if (items.length === 0) throw new SyntaxError(`${name}: no items; give one JSON object per line`);
  return { name, items };
}

/**
 * Serialises items as JSONL (`context`, `choices`, `gold` and any extra
 * fields in insertion order), one line each, ending with a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toJsonl } from "./multiple_choice.ts";
 * const text = toJsonl([{ context: "a", choices: [" b", " c"], gold: 1 }]);
 * assert.equal(text, '{"context":"a","choices":[" b"," c"],"gold":1}\n');
 * ```
 */
export function toJsonl(items: MultipleChoiceItem[]): string {
  return items.map((it) => JSON.stringify(it) + "\n").join("");
}

/**
 * Expected accuracy of guessing uniformly: the mean of 1 / #choices.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chanceLevel } from "./multiple_choice.ts";
 * const task = { name: "t", items: [{ context: "a", choices: [" b", " c"], gold: 0 }] };
 * assert.equal(chanceLevel(task), 0.5);
 * ```
 */
export function chanceLevel(task: MultipleChoiceTask): number {
  let s = 0;
  for (const it of task.items) s += 1 / it.choices.length;
  return s / task.items.length;
}

/**
 * Token ids of (context, continuation) as the harness builds them: trailing
 * whitespace of the context moves to the continuation, the continuation is
 * the tail of `encode(context + continuation)` after `encode(context)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodePair } from "./multiple_choice.ts";
 * import { byteTokenizer } from "../data/tokenizer.ts";
 * // The trailing space moves to the continuation, as lm-evaluation-harness does.
 * const { context, continuation } = encodePair(byteTokenizer, "Hi ", "there");
 * assert.equal(byteTokenizer.decode(context), "Hi");
 * assert.equal(byteTokenizer.decode(continuation), " there");
 * ```
 */
export function encodePair(
  tokenizer: TextEncoderLike,
  context: string,
  continuation: string,
): LogProbRequest {
  const trimmed = context.trimEnd();
  const cont = context.slice(trimmed.length) + continuation;
  const ctxIds = tokenizer.encode(trimmed);
  const whole = tokenizer.encode(trimmed + cont);
  return { context: ctxIds, continuation: whole.slice(ctxIds.length) };
}

function argmax(v: number[]): number {
  // First maximum wins, as numpy.argmax.
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

function stderrOfMean(p: number, n: number): number {
  // Sample std of 0/1 outcomes divided by sqrt(n) = sqrt(p(1-p)/(n-1)).
  return n < 2 ? NaN : Math.sqrt((p * (1 - p)) / (n - 1));
}

/**
 * Scores a task: acc (argmax of summed log-likelihood), acc_norm (argmax of
 * log-likelihood per UTF-8 byte of the choice) and their standard errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type LogProbFn, scoreTask } from "./multiple_choice.ts";
 * import { byteTokenizer } from "../data/tokenizer.ts";
 * const task = { name: "toy", items: [{ context: "a", choices: [" b", " cc"], gold: 0 }] };
 * // A fake model: every token costs 1 nat, so shorter choices win on acc.
 * const lp: LogProbFn = (reqs) => Promise.resolve(reqs.map((r) => -r.continuation.length));
 * const s = await scoreTask(task, lp, byteTokenizer);
 * assert.equal(s.acc, 1);
 * ```
 */
export async function scoreTask(
  task: MultipleChoiceTask,
  logprob: LogProbFn,
  tokenizer: TextEncoderLike,
  opts: ScoreOptions = {},
): Promise<TaskScore> {
  const limit = opts.limit ?? task.items.length;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`limit = ${limit}; use a positive integer`);
  }
  const batchSize = opts.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize = ${batchSize}; use a positive integer`);
  }
  const items = task.items.slice(0, limit);
  const requests: LogProbRequest[] = [];
  for (let i = 0; i < items.length; i++) {
    for (const choice of items[i].choices) {
      const r = encodePair(tokenizer, items[i].context, choice);
      if (r.context.length === 0 || r.continuation.length === 0) {
        throw new RangeError(
          `${task.name}: item ${i} encodes to an empty context or choice; give both some text`,
        );
      }
      requests.push(r);
    }
  }
  const lls: number[] = [];
  for (let s = 0; s < requests.length; s += batchSize) {
    const batch = requests.slice(s, s + batchSize);
    const out = await logprob(batch);
    if (!Array.isArray(out) || out.length !== batch.length) {
      throw new RangeError(
        `${task.name}: LogProbFn returned ${out?.length} values for ${batch.length} requests; return one per request`,
      );
    }
    for (const v of out) {
      if (Number.isNaN(v) || v === Infinity) {
        throw new RangeError(`${task.name}: LogProbFn returned ${v}; return log-likelihoods <= 0`);
      }
      lls.push(v);
    }
  }
  const scores: ItemScore[] = [];
  let hit = 0, hitNorm = 0, chance = 0, k = 0;
  for (const it of items) {
    const ll = lls.slice(k, k + it.choices.length);
    k += it.choices.length;
    const pred = argmax(ll);
    const predNorm = argmax(ll.map((v, j) => v / byteLength(it.choices[j])));
    if (pred === it.gold) hit++;
    if (predNorm === it.gold) hitNorm++;
    chance += 1 / it.choices.length;
    scores.push({ ll, pred, predNorm });
  }
  const n = items.length;
  const acc = hit / n, accNorm = hitNorm / n;
  return {
    acc,
    acc_stderr: stderrOfMean(acc, n),
    acc_norm: accNorm,
    acc_norm_stderr: stderrOfMean(accNorm, n),
    n,
    chance: chance / n,
    items: scores,
  };
}
