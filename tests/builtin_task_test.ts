import assert from "node:assert/strict";
import { brownSplitOf, joinSentences, loadBrownDocuments } from "../lib/data/brown.ts";
import {
  BUILTIN_TASK_MAX_ITEMS,
  BUILTIN_TASK_VERSION,
  builtinTaskPath,
  chanceLevel,
  generateBuiltinTask,
  loadBuiltinTask,
  MIN_SENTENCE_BYTES,
  NEXT_SENTENCE_TASK_NAME,
} from "../lib/eval/builtin_task.ts";
import { BUILTIN_TASKS, builtinTaskNames, DEFAULT_BUILTIN_TASK } from "../lib/eval/builtin_task.ts";
import {
  CLOZE_CONTEXT_WORDS,
  CLOZE_TASK_MAX_ITEMS,
  CLOZE_TASK_NAME,
  clozeTaskPath,
  generateClozeTask,
  isClozeWord,
  wordsOf,
} from "../lib/eval/cloze_task.ts";
import { byteLength } from "../lib/eval/multiple_choice.ts";
import { parseTaskSpecs } from "../lib/cli/eval.ts";
import { UsageError } from "../lib/errors.ts";

const docs = loadBrownDocuments();

Deno.test("the committed built-in task file is reproduced byte for byte by the generator", () => {
  assert.ok(builtinTaskPath().endsWith(`brown-next-sentence-v${BUILTIN_TASK_VERSION}.jsonl`));
  const committed = Deno.readFileSync(builtinTaskPath());
  const generated = new TextEncoder().encode(generateBuiltinTask(docs));
  assert.equal(generated.length, committed.length, "byte length");
  assert.ok(generated.every((b, i) => b === committed[i]), "bytes differ");
});

Deno.test("every built-in sentence comes from a test document and from no train or validation one", async () => {
  const outside = new Set<string>();
  const testDocs = docs.filter((d, i) => {
    if (brownSplitOf(i) === "test") return true;
    for (const s of d.sentences) outside.add(s);
    return false;
  });
  const owner = new Map<string, Set<string>>(); // sentence -> test documents holding it
  for (const d of testDocs) {
    for (const s of d.sentences) owner.set(s, (owner.get(s) ?? new Set()).add(d.id));
  }
  // The exclusion is not hypothetical: some test sentences of >= 20 bytes also occur in
  // train/validation documents (e.g. "\"All right,\" I said.") and must not be used.
  const collisions = [...owner.keys()].filter((s) =>
    byteLength(s) >= MIN_SENTENCE_BYTES && outside.has(s)
  );
  assert.ok(collisions.length >= 1, "expected at least one genuine collision to exclude");
  const byId = new Map(testDocs.map((d) => [d.id, d]));
  const task = await loadBuiltinTask(NEXT_SENTENCE_TASK_NAME);
  const lines = Deno.readTextFileSync(builtinTaskPath()).trimEnd().split("\n");
  assert.equal(lines.length, task.items.length);
  for (let n = 0; n < task.items.length; n++) {
    const it = task.items[n];
    const [docId, goldIdx] = (JSON.parse(lines[n]).id as string).split(":");
    const doc = byId.get(docId);
    assert.ok(doc, `item ${n}: ${docId} is not a test document`);
    const g = Number(goldIdx);
    const context = doc.sentences.slice(g - 3, g);
    // Context: three consecutive sentences of that test document; gold: the next one.
    assert.equal(it.context, joinSentences(context), `item ${n} context`);
    assert.equal(it.choices[it.gold], " " + doc.sentences[g], `item ${n} gold`);
    for (const s of [...context, ...it.choices.map((c) => c.slice(1))]) {
      assert.ok(!outside.has(s), `item ${n}: "${s}" also occurs in a train/validation document`);
      assert.ok(owner.has(s), `item ${n}: "${s}" is not a test-split sentence`);
      assert.ok(byteLength(s) >= MIN_SENTENCE_BYTES, `item ${n}: "${s}" is too short`);
    }
    it.choices.forEach((c, j) => {
      assert.ok(c.startsWith(" ") && !c.startsWith("  "), `item ${n} choice ${j} spacing`);
      if (j !== it.gold) {
        assert.ok(!owner.get(c.slice(1))!.has(docId), `item ${n}: distractor from the same doc`);
      }
    });
    assert.equal(new Set(it.choices).size, 4, `item ${n}: duplicate choices`);
    assert.ok(!it.context.endsWith(" "), `item ${n}: trailing space in context`);
  }
});

Deno.test("the built-in task has 4 choices per item, chance 0.25, and covers every test document", async () => {
  const task = await loadBuiltinTask(NEXT_SENTENCE_TASK_NAME);
  assert.equal(task.items.length, BUILTIN_TASK_MAX_ITEMS);
  assert.equal(chanceLevel(task), 0.25);
  const lines = Deno.readTextFileSync(builtinTaskPath()).trimEnd().split("\n");
  const perDoc = new Map<string, number>();
  for (const l of lines) {
    const id = JSON.parse(l).id.split(":")[0];
    perDoc.set(id, (perDoc.get(id) ?? 0) + 1);
  }
  assert.equal(perDoc.size, docs.filter((_, i) => brownSplitOf(i) === "test").length);
  // Spread evenly: round-robin quotas, so no document holds more than one item above the
  // median; a few documents with few eligible windows (long or short sentences) hold fewer.
  const counts = [...perDoc.values()].sort((a, b) => a - b);
  const median = counts[counts.length >> 1];
  assert.ok(counts[counts.length - 1] <= median + 1, `counts ${counts}`);
  assert.ok(median <= Math.ceil((1.1 * BUILTIN_TASK_MAX_ITEMS) / counts.length), `${counts}`);
  // Gold sits at each position about equally often (seeded shuffle): 250 +- 4 sd.
  const pos = [0, 0, 0, 0];
  for (const it of task.items) pos[it.gold]++;
  for (const c of pos) assert.ok(Math.abs(c - 250) < 4 * Math.sqrt(1000 * 0.25 * 0.75), `${pos}`);
});

// ---- brown-cloze-v1 and the registry ----

Deno.test("the committed cloze task file is reproduced byte for byte by its generator", () => {
  assert.ok(clozeTaskPath().endsWith(`${CLOZE_TASK_NAME}.jsonl`));
  const committed = Deno.readFileSync(clozeTaskPath());
  const generated = new TextEncoder().encode(generateClozeTask(docs));
  assert.equal(generated.length, committed.length, "byte length");
  assert.ok(generated.every((b, i) => b === committed[i]), "bytes differ");
});

Deno.test("every cloze context and gold word is the text of a test document, never of a train or validation one", async () => {
  const outsideText: string[] = [];
  const testDocs = docs.filter((d, i) => {
    if (brownSplitOf(i) === "test") return true;
    outsideText.push(wordsOf(d.text).join(" "));
    return false;
  });
  const outside = outsideText.join("\n");
  const words = new Map(testDocs.map((d) => [d.id, wordsOf(d.text)]));
  // Which test documents hold each word, to check where distractors come from.
  const holders = new Map<string, Set<string>>();
  for (const [id, ws] of words) {
    for (const w of ws) holders.set(w, (holders.get(w) ?? new Set()).add(id));
  }
  const task = await loadBuiltinTask(CLOZE_TASK_NAME);
  const lines = Deno.readTextFileSync(clozeTaskPath()).trimEnd().split("\n");
  assert.equal(lines.length, task.items.length);
  for (let n = 0; n < task.items.length; n++) {
    const it = task.items[n];
    const [docId, at] = (JSON.parse(lines[n]).id as string).split(":");
    const ws = words.get(docId);
    assert.ok(ws, `item ${n}: ${docId} is not a test document`);
    const g = Number(at);
    assert.equal(it.context, ws.slice(g - CLOZE_CONTEXT_WORDS, g).join(" "), `item ${n} context`);
    assert.equal(it.choices[it.gold], " " + ws[g], `item ${n} gold`);
    // The context (about 220 bytes) occurs in no train/validation document.
    assert.ok(!outside.includes(it.context), `item ${n}: context occurs outside the test split`);
    assert.equal(new Set(it.choices).size, 4, `item ${n}: duplicate choices`);
    it.choices.forEach((c, j) => {
      const w = c.slice(1);
      assert.ok(c.startsWith(" ") && isClozeWord(w), `item ${n} choice ${j}: "${c}"`);
      assert.equal(w.length, ws[g].length, `item ${n} choice ${j}: length differs from gold`);
      if (j !== it.gold) {
        // Drawn from an occurrence in another test document (it may also occur in this one).
        const others = [...holders.get(w)!].filter((id) => id !== docId);
        assert.ok(others.length >= 1, `item ${n}: distractor "${w}" from no other test doc`);
      }
    });
  }
});

Deno.test("the cloze task has 1000 four-choice items over all 50 test documents with the gold evenly placed", async () => {
  const task = await loadBuiltinTask(CLOZE_TASK_NAME);
  assert.equal(task.items.length, CLOZE_TASK_MAX_ITEMS);
  assert.equal(chanceLevel(task), 0.25);
  const perDoc = new Map<string, number>();
  for (const l of Deno.readTextFileSync(clozeTaskPath()).trimEnd().split("\n")) {
    const id = JSON.parse(l).id.split(":")[0];
    perDoc.set(id, (perDoc.get(id) ?? 0) + 1);
  }
  assert.equal(perDoc.size, 50);
  assert.deepEqual(new Set(perDoc.values()), new Set([20])); // every document has >= 20 targets
  const pos = [0, 0, 0, 0];
  for (const it of task.items) pos[it.gold]++;
  for (const c of pos) assert.ok(Math.abs(c - 250) < 4 * Math.sqrt(1000 * 0.25 * 0.75), `${pos}`);
});

const SUITE = [
  "brown-cloze-v1",
  "brown-spelling-v1",
  "brown-word-boundary-v1",
  "brown-word-start-v1",
];

Deno.test("the registry lists every built-in task, loads the cloze task by default and rejects unknown names", async () => {
  assert.deepEqual(Object.keys(BUILTIN_TASKS), ["brown-next-sentence-v1", ...SUITE]);
  assert.equal(DEFAULT_BUILTIN_TASK, "brown-cloze-v1");
  const byDefault = await loadBuiltinTask();
  assert.equal(byDefault.name, "brown-cloze-v1");
  assert.deepEqual(byDefault, await loadBuiltinTask("brown-cloze-v1"));
  assert.equal((await loadBuiltinTask("brown-next-sentence-v1")).name, "brown-next-sentence-v1");
  for (const [name, spec] of Object.entries(BUILTIN_TASKS)) {
    assert.ok(spec.path().endsWith(`tasks/${name}.jsonl`), name);
  }
  await assert.rejects(
    () => loadBuiltinTask("brown-cloze-v9"),
    /unknown built-in task 'brown-cloze-v9'/,
  );
  assert.deepEqual(builtinTaskNames("builtin"), SUITE); // the suite: next-sentence only by name
  assert.deepEqual(builtinTaskNames("builtin:brown-next-sentence-v1"), ["brown-next-sentence-v1"]);
  assert.deepEqual(builtinTaskNames("builtin:brown-cloze-v1"), ["brown-cloze-v1"]);
  assert.equal(builtinTaskNames("tasks/brown-cloze-v1.jsonl"), null);
  assert.throws(() => builtinTaskNames("builtin:nope"), /unknown built-in task 'nope'/);
});

Deno.test("hc eval --tasks expands builtin to the suite, builtin:NAME to one task, and keeps file paths", () => {
  const file = clozeTaskPath();
  assert.deepEqual(parseTaskSpecs(`builtin,builtin:brown-next-sentence-v1,${file}`), [
    ...SUITE.map((builtin) => ({ builtin })),
    { builtin: "brown-next-sentence-v1" },
    { file },
  ]);
  assert.deepEqual(parseTaskSpecs(""), []);
  assert.throws(() => parseTaskSpecs("builtin:nope"), UsageError);
  assert.throws(() => parseTaskSpecs("builtin:nope"), /builtin:NAME with NAME one of/);
  assert.throws(() => parseTaskSpecs("no/such/file.jsonl"), /neither 'builtin'/);
});
