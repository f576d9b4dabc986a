import assert from "node:assert/strict";
import { byteTokenizer } from "../lib/data/tokenizer.ts";
import {
  chanceLevel,
  encodePair,
  type LogProbFn,
  type LogProbRequest,
  parseTaskJsonl,
  scoreTask,
  toJsonl,
} from "../lib/eval/multiple_choice.ts";

// Three items with hand-set log-likelihoods (nats) for each choice.
// Item 2 is where acc and acc_norm disagree: the long gold choice has the lower
// total (-15.5 < -7) but the higher per-byte value (-0.5 > -1 per byte).
const TOY = [
  {
    context: "The sky is",
    choices: [" blue.", " green."],
    gold: 0,
    ll: [-2, -5], // acc: 0 right; per byte -0.333, -0.714: 0 right
  },
  {
    context: "She ate an",
    choices: [" apple.", " extraordinarily large pumpkin."], // 7 and 31 bytes
    gold: 1,
    ll: [-7, -15.5], // acc: 0 wrong; per byte -1, -0.5: 1 right
  },
  {
    context: "One plus one is",
    choices: [" two.", " three.", " eleven."],
    gold: 0,
    ll: [-1, -3, -0.5], // acc: 2 wrong; per byte -0.2, -0.43, -0.0625: 2 wrong
  },
];
const TOY_JSONL = toJsonl(TOY.map(({ context, choices, gold }) => ({ context, choices, gold })));

/** A fake model that looks up each (context, choice) in TOY and records its calls. */
function fakeModel(calls: LogProbRequest[][]): LogProbFn {
  const table = new Map<string, number>();
  for (const it of TOY) it.choices.forEach((c, j) => table.set(it.context + "|" + c, it.ll[j]));
  return (reqs) => {
    calls.push(reqs);
    return Promise.resolve(reqs.map((r) => {
      const key = byteTokenizer.decode(r.context) + "|" + byteTokenizer.decode(r.continuation);
      const v = table.get(key);
      if (v === undefined) throw new Error(`unexpected request ${key}`);
      return v;
    }));
  };
}

Deno.test("acc and acc_norm on a hand-made task equal the hand-computed values and stderr", async () => {
  const task = parseTaskJsonl(TOY_JSONL, "toy");
  const calls: LogProbRequest[][] = [];
  const s = await scoreTask(task, fakeModel(calls), byteTokenizer);
  // acc: only item 1 right -> 1/3. acc_norm: items 1 and 2 right -> 2/3.
  // stderr = sqrt(p(1-p)/(n-1)) = sqrt((1/3)(2/3)/2) = 1/3 for both.
  // Each is one or two float64 operations: 1e-15 covers the rounding.
  assert.equal(s.n, 3);
  assert.equal(s.acc, 1 / 3);
  assert.equal(s.acc_norm, 2 / 3);
  assert.ok(Math.abs(s.acc_stderr - 1 / 3) < 1e-15, `acc_stderr ${s.acc_stderr}`);
  assert.ok(Math.abs(s.acc_norm_stderr - 1 / 3) < 1e-15, `acc_norm_stderr ${s.acc_norm_stderr}`);
  assert.ok(Math.abs(s.chance - (1 / 2 + 1 / 2 + 1 / 3) / 3) < 1e-15);
  assert.deepEqual(s.items.map((i) => [i.pred, i.predNorm]), [[0, 0], [0, 1], [2, 2]]);
  assert.deepEqual(s.items[1].ll, [-7, -15.5]);
  // One request per choice: 2 + 2 + 3.
  assert.equal(calls.flat().length, 7);
  assert.ok(Math.abs(chanceLevel(task) - s.chance) < 1e-15);
});

Deno.test("batching and limit do not change the scores of the items scored", async () => {
  const task = parseTaskJsonl(TOY_JSONL, "toy");
  const calls: LogProbRequest[][] = [];
  const all = await scoreTask(task, fakeModel(calls), byteTokenizer, { batchSize: 2 });
  assert.deepEqual(calls.map((c) => c.length), [2, 2, 2, 1]);
  assert.equal(all.acc, 1 / 3);
  assert.equal(all.acc_norm, 2 / 3);
  const two = await scoreTask(task, fakeModel([]), byteTokenizer, { limit: 2 });
  assert.equal(two.n, 2);
  assert.equal(two.acc, 1 / 2);
  assert.equal(two.acc_norm, 1);
  assert.equal(two.acc_norm_stderr, 0);
});

Deno.test("requests carry the context and choice bytes verbatim; a trailing context space moves to the choice", () => {
  const r = encodePair(byteTokenizer, "The sky is", " blue.");
  assert.equal(byteTokenizer.decode(r.context), "The sky is");
  assert.equal(byteTokenizer.decode(r.continuation), " blue.");
  const moved = encodePair(byteTokenizer, "The sky is ", "blue.");
  assert.equal(byteTokenizer.decode(moved.context), "The sky is");
  assert.equal(byteTokenizer.decode(moved.continuation), " blue.");
});

Deno.test("parseTaskJsonl names the line and the field of a bad item", () => {
  const good = '{"context":"a","choices":[" b"," c"],"gold":1}';
  assert.equal(parseTaskJsonl(`${good}\n\n${good}\n`, "t").items.length, 2);
  const bad: [string, RegExp][] = [
    ["{not json", /t: line 2: not valid JSON/],
    ['{"choices":[" b"," c"],"gold":0}', /t: line 2: field context/],
    ['{"context":"a","choices":[" b"],"gold":0}', /t: line 2: field choices/],
    ['{"context":"a","choices":[" b",3],"gold":0}', /t: line 2: field choices\[1\]/],
    ['{"context":"a","choices":[" b",""],"gold":0}', /t: line 2: field choices\[1\]/],
    ['{"context":"a","choices":[" b"," c"],"gold":2}', /t: line 2: field gold/],
    ['{"context":"a","choices":[" b"," c"],"gold":0.5}', /t: line 2: field gold/],
    ['{"context":"  ","choices":[" b"," c"],"gold":0}', /t: line 2: field context is empty/],
  ];
  for (const [line, re] of bad) {
    assert.throws(() => parseTaskJsonl(`${good}\n${line}\n`, "t"), re, line);
  }
  assert.throws(() => parseTaskJsonl("\n", "t"), /no items/);
});

Deno.test("scoreTask rejects a LogProbFn that returns the wrong count or NaN", async () => {
  const task = parseTaskJsonl(TOY_JSONL, "toy");
  await assert.rejects(
    scoreTask(task, () => Promise.resolve([0]), byteTokenizer),
    /returned 1 values for 7 requests/,
  );
  await assert.rejects(
    scoreTask(task, (r) => Promise.resolve(r.map(() => NaN)), byteTokenizer),
    /returned NaN/,
  );
});
