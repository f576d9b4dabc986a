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
} from "../lib/eval/builtin_task.ts";
import { byteLength } from "../lib/eval/multiple_choice.ts";

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
  const task = await loadBuiltinTask();
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
  const task = await loadBuiltinTask();
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
