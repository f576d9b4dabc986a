import assert from "node:assert/strict";
import { initBackend } from "../lib/backend.ts";
import { brownSplitOf, loadBrownDocuments } from "../lib/data/brown.ts";
import { byteTokenizer } from "../lib/data/tokenizer.ts";
import { BUILTIN_SUITE, BUILTIN_TASKS, loadBuiltinTask } from "../lib/eval/builtin_task.ts";
import { wordsOf } from "../lib/eval/cloze_task.ts";
import { modelLogProb } from "../lib/eval/logprob.ts";
import {
  COMMON_WORDS,
  generateMinimalPairTask,
  MINIMAL_PAIR_FAMILIES,
  minimalPairTaskPath,
  PAIR_CONTEXT_WORDS,
  PAIR_SUFFIX_WORDS,
  PAIR_TASK_MAX_ITEMS,
  testVocabulary,
} from "../lib/eval/minimal_pairs.ts";
import {
  type LogProbFn,
  type MultipleChoiceTask,
  parseTaskJsonl,
  scoreTask,
} from "../lib/eval/multiple_choice.ts";
import { averageAccuracy, scoreSuite, suiteMetric, taskResult } from "../lib/eval/suite.ts";
import { PRESETS } from "../lib/model/config.ts";
import { createModel, disposeModel, type Model } from "../lib/model/model.ts";
import { initParams } from "../lib/model/params.ts";
import { parseTrainConfig } from "../lib/train/config.ts";
import { train } from "../lib/train/loop.ts";
import { loadCheckpoint } from "../lib/io/checkpoint.ts";
import { hc } from "./cli_helpers.ts";

await initBackend("wasm");

const docs = loadBrownDocuments();
const FAMILIES = Object.keys(MINIMAL_PAIR_FAMILIES);

Deno.test("the suite is the cloze task plus three minimal-pair families, each registered as a built-in task", () => {
  assert.deepEqual(FAMILIES, [
    "brown-spelling-v1",
    "brown-word-boundary-v1",
    "brown-word-start-v1",
  ]);
  assert.deepEqual(BUILTIN_SUITE, ["brown-cloze-v1", ...FAMILIES]);
  for (const name of FAMILIES) {
    assert.ok(Object.hasOwn(BUILTIN_TASKS, name), name);
    assert.equal(BUILTIN_TASKS[name].path(), minimalPairTaskPath(name));
  }
  assert.ok(!BUILTIN_SUITE.includes("brown-next-sentence-v1"));
});

for (const name of FAMILIES) {
  Deno.test(`${name}: the committed file is reproduced byte for byte by its generator`, () => {
    const committed = Deno.readFileSync(minimalPairTaskPath(name));
    const generated = new TextEncoder().encode(generateMinimalPairTask(name, docs));
    assert.equal(generated.length, committed.length, "byte length");
    assert.ok(generated.every((b, i) => b === committed[i]), "bytes differ");
  });
}

Deno.test("every minimal-pair context and original comes from a test document and from no other split", async () => {
  const outside = docs.filter((_, i) => brownSplitOf(i) !== "test").map((d) =>
    wordsOf(d.text).join(" ")
  ).join("\n");
  const testWords = new Map(
    docs.filter((_, i) => brownSplitOf(i) === "test").map((d) => [d.id, wordsOf(d.text)]),
  );
  const vocab = testVocabulary(docs);
  for (const name of FAMILIES) {
    const family = MINIMAL_PAIR_FAMILIES[name];
    const task = await loadBuiltinTask(name);
    const lines = Deno.readTextFileSync(minimalPairTaskPath(name)).trimEnd().split("\n");
    assert.equal(task.items.length, PAIR_TASK_MAX_ITEMS, name);
    const perDoc = new Map<string, number>();
    task.items.forEach((it, n) => {
      const [docId, at] = (JSON.parse(lines[n]).id as string).split(":");
      const ws = testWords.get(docId);
      assert.ok(ws, `${name} item ${n}: ${docId} is not a test document`);
      perDoc.set(docId, (perDoc.get(docId) ?? 0) + 1);
      const i = Number(at), end = i + family.span + PAIR_SUFFIX_WORDS;
      assert.equal(it.context, ws.slice(i - PAIR_CONTEXT_WORDS, i).join(" "), `${name} ${n}`);
      assert.ok(
        !outside.includes(it.context),
        `${name} ${n}: context occurs outside the test split`,
      );
      assert.equal(it.choices.length, 2);
      const gold = it.choices[it.gold], bad = it.choices[1 - it.gold];
      assert.equal(gold, " " + ws.slice(i, end).join(" "), `${name} ${n}: gold is the text`);
      // One corruption: same bytes count, same trailing word, the edited words are not words.
      assert.notEqual(bad, gold);
      assert.equal(bad.length, gold.length, `${name} ${n}: lengths`);
      const badWords = bad.slice(1).split(" ");
      assert.equal(badWords.length, family.span + PAIR_SUFFIX_WORDS);
      assert.equal(badWords.at(-1), ws[end - 1], `${name} ${n}: shared suffix word`);
      assert.ok(
        badWords.slice(0, family.span).some((w) => !vocab.has(w)),
        `${name} ${n}: "${bad}" is made of real words`,
      );
      if (name !== "brown-spelling-v1") {
        for (const w of ws.slice(i, i + family.span)) assert.ok(!COMMON_WORDS.has(w));
      }
    });
    // All 50 test documents, 20 items each; gold first in about half of the items.
    assert.deepEqual([perDoc.size, new Set(perDoc.values())], [50, new Set([20])], name);
    const first = task.items.filter((it) => it.gold === 0).length;
    assert.ok(Math.abs(first - 500) < 4 * Math.sqrt(250), `${name}: gold first ${first} times`);
  }
});

// ---- scoring with an untrained and a trained tiny model (trained once, shared) ----

const chanceSe = (n: number) => Math.sqrt(0.25 / (n - 1)); // binary task at chance 0.5

async function scoreWith(model: Model, name: string) {
  const task = await loadBuiltinTask(name);
  const s = await scoreTask(task, modelLogProb(model), byteTokenizer);
  // Minimal pairs have equal-length choices: acc is the suite's metric and acc_norm equals it.
  assert.equal(suiteMetric(task), "acc");
  assert.equal(s.acc_norm, s.acc);
  return s;
}

Deno.test("an untrained tiny model is within 3 standard errors of chance on every minimal-pair task", async () => {
  const model = createModel(PRESETS.tiny, initParams(PRESETS.tiny, 0));
  try {
    for (const name of FAMILIES) {
      const s = await scoreWith(model, name);
      const z = (s.acc - 0.5) / chanceSe(s.n);
      assert.ok(
        Math.abs(z) < 3,
        `${name}: untrained acc ${s.acc} is ${z.toFixed(2)} SE from chance`,
      );
    }
  } finally {
    disposeModel(model);
  }
});

const trainedDir = await Deno.makeTempDir({ prefix: "hc-suite-" });
let trained: Promise<string> | null = null;
/** The tiny model of experiments/configs/tiny.json trained 300 steps, once for this file. */
function trainedCheckpoint(): Promise<string> {
  trained ??= (async () => {
    const cfg = JSON.parse(Deno.readTextFileSync("experiments/configs/tiny.json"));
    delete cfg.comment;
    await train(
      parseTrainConfig({ ...cfg, steps: 300, evalEvery: 300, checkpointEvery: 300 }),
      trainedDir,
      { progress: "silent" },
    );
    return `${trainedDir}/checkpoint`;
  })();
  return trained;
}

Deno.test("a tiny model trained 300 steps is above chance by more than 5 standard errors on every minimal-pair task", async () => {
  const ck = await loadCheckpoint(await trainedCheckpoint());
  const model = createModel(ck.config, ck.params);
  try {
    for (const name of FAMILIES) {
      const s = await scoreWith(model, name);
      const z = (s.acc - 0.5) / chanceSe(s.n);
      assert.ok(z > 5, `${name}: trained acc ${s.acc} is only ${z.toFixed(2)} SE above chance`);
    }
  } finally {
    disposeModel(model);
  }
});

Deno.test("hc eval --tasks builtin:... prints each task's score and the average accuracy with its standard error", async () => {
  const ck = await trainedCheckpoint();
  const names = ["brown-spelling-v1", "brown-next-sentence-v1"];
  const r = await hc(
    "eval",
    ck,
    "--batches",
    "1",
    "--limit",
    "30",
    "--tasks",
    names.map((n) => `builtin:${n}`).join(","),
  );
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out);
  const t = out.tasks;
  assert.deepEqual(Object.keys(t), names);
  // Equal-length choices are reported with acc, choices of different lengths with acc_norm.
  assert.deepEqual([t[names[0]].metric, t[names[0]].score], ["acc", t[names[0]].acc]);
  assert.deepEqual([t[names[1]].metric, t[names[1]].score], ["acc_norm", t[names[1]].acc_norm]);
  assert.equal(t[names[1]].stderr, t[names[1]].acc_norm_stderr);
  const mean = (t[names[0]].score + t[names[1]].score) / 2;
  const se = Math.hypot(t[names[0]].stderr, t[names[1]].stderr) / 2;
  assert.ok(Math.abs(out.avgAccuracy - mean) < 1e-12, `${out.avgAccuracy} vs ${mean}`);
  assert.ok(Math.abs(out.avgAccuracyStderr - se) < 1e-12);
});

globalThis.addEventListener("unload", () => Deno.removeSync(trainedDir, { recursive: true }));

// ---- average accuracy ----

Deno.test("average accuracy is the mean of the task scores and its standard error sqrt(sum SE^2) / T", () => {
  const r = averageAccuracy({
    a: { score: 0.3, stderr: 0.03, n: 100, metric: "acc" },
    b: { score: 0.7, stderr: 0.04, n: 50, metric: "acc_norm" },
    c: { score: 0.8, stderr: 0.12, n: 10, metric: "acc" },
  });
  // (0.3 + 0.7 + 0.8) / 3 = 0.6; sqrt(0.0009 + 0.0016 + 0.0144) / 3 = sqrt(0.0169) / 3 = 0.13 / 3.
  assert.ok(Math.abs(r.avgAccuracy - 0.6) < 1e-15);
  assert.ok(Math.abs(r.avgAccuracyStderr - 0.13 / 3) < 1e-15);
  assert.throws(() => averageAccuracy({}), /no task scores/);
});

Deno.test("scoreSuite scores equal-length tasks with acc and the others with acc_norm, on a hand-made example", async () => {
  const parse = (lines: object[], name: string): MultipleChoiceTask =>
    parseTaskJsonl(lines.map((l) => JSON.stringify(l)).join("\n"), name);
  // Fake model: every byte costs 1 nat, so the shortest choice wins acc and all tie on acc_norm
  // (ties go to the first choice).
  const lp: LogProbFn = (reqs) => Promise.resolve(reqs.map((r) => -r.continuation.length));
  const equal = parse([
    { context: "a", choices: [" bb", " cc"], gold: 0 },
    { context: "a", choices: [" bb", " cc"], gold: 1 },
    { context: "a", choices: [" bb", " cc", " dd"], gold: 0 },
  ], "equal");
  const unequal = parse([
    { context: "a", choices: [" b", " ccc"], gold: 1 }, // acc 0, acc_norm: -1 vs -1: first wins, 0
    { context: "a", choices: [" bbb", " c"], gold: 0 }, // acc 0, acc_norm 1 (tie, first)
  ], "unequal");
  assert.deepEqual([suiteMetric(equal), suiteMetric(unequal)], ["acc", "acc_norm"]);
  const s = await scoreSuite([equal, unequal], lp, byteTokenizer);
  const se = (p: number, n: number) => Math.sqrt((p * (1 - p)) / (n - 1));
  assert.deepEqual(s.taskScores.equal, { score: 2 / 3, stderr: se(2 / 3, 3), n: 3, metric: "acc" });
  assert.deepEqual(s.taskScores.unequal, {
    score: 0.5,
    stderr: se(0.5, 2),
    n: 2,
    metric: "acc_norm",
  });
  assert.ok(Math.abs(s.avgAccuracy - (2 / 3 + 0.5) / 2) < 1e-15);
  assert.ok(Math.abs(s.avgAccuracyStderr - Math.hypot(se(2 / 3, 3), se(0.5, 2)) / 2) < 1e-15);
  const ts = await scoreTask(unequal, lp, byteTokenizer);
  assert.deepEqual(taskResult(ts, "acc"), { score: 0, stderr: 0, n: 2, metric: "acc" });
});

Deno.test("training configs take tasks: builtin | none, and map the old taskItems onto it", () => {
  const base = { model: { preset: "tiny" }, steps: 1 };
  assert.equal(parseTrainConfig(base).tasks, "none");
  assert.equal(parseTrainConfig({ ...base, tasks: "builtin" }).tasks, "builtin");
  assert.equal(parseTrainConfig({ ...base, taskItems: 20 }).tasks, "builtin");
  assert.equal(parseTrainConfig({ ...base, taskItems: 0 }).tasks, "none");
  assert.ok(!("taskItems" in parseTrainConfig({ ...base, taskItems: 5 })));
  assert.throws(
    () => parseTrainConfig({ ...base, taskItems: 5, tasks: "none" }, "x.json"),
    /x\.json: taskItems: give tasks/,
  );
  assert.throws(() => parseTrainConfig({ ...base, tasks: "some" }, "x.json"), /x\.json: tasks/);
});
