import assert from "node:assert/strict";
import {
  brownSplitOf,
  detokenize,
  joinSentences,
  loadBrownDocuments,
  parseBrownText,
  stripTag,
} from "../lib/data/brown.ts";

// A Brown tag right after a word character, as in "jury/nn" or "City/nn-tl".
const TAG_RESIDUE =
  /[A-Za-z0-9]\/(nn|nns|np|jj|vb|vbd|vbn|vbg|vbz|at|in|cc|rb|cd|cs|to|pps|ppss|ppo|md|dt)(-tl|-hl|\$)?(?=[\s.,;:!?")]|$)/g;

Deno.test("stripTag keeps everything before the last slash, so words with slashes survive", () => {
  assert.equal(stripTag("The/at"), "The");
  assert.equal(stripTag("and/or/cc"), "and/or");
  assert.equal(stripTag("1/2/cd"), "1/2");
  assert.equal(stripTag("//in"), "/");
  assert.equal(stripTag("Atlanta's/np$"), "Atlanta's");
  assert.equal(stripTag("``/``"), "``");
});

Deno.test("a tagged Brown line becomes readable text with quotes and punctuation attached", () => {
  const line = "\tThe/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd " +
    "Friday/nr an/at investigation/nn of/in Atlanta's/np$ recent/jj primary/nn " +
    "election/nn produced/vbd ``/`` no/at evidence/nn ''/'' that/cs any/dti " +
    "irregularities/nns took/vbd place/nn ./.";
  assert.deepEqual(parseBrownText(line), [[
    "The Fulton County Grand Jury said Friday an investigation of Atlanta's recent " +
    'primary election produced "no evidence" that any irregularities took place.',
  ]]);
  const words = "(/( 1/2/cd cup/nn and/or/cc less/ap )/) ,/, ``/`` he/pps said/vbd ''/'' ./."
    .split(" ").map(stripTag);
  assert.equal(detokenize(words), '(1/2 cup and/or less), "he said."');
});

Deno.test("detokenize moves a comma inside a closing quote and prints one period after Jr.", () => {
  assert.equal(detokenize(["``", "Yes", "''", ",", "he", "said", "."]), '"Yes," he said.');
  assert.equal(detokenize(["Ivan", "Allen", "Jr.", "."]), "Ivan Allen Jr.");
  assert.equal(detokenize(["It", "is", "n't", "John", "'s", "!"]), "It isn't John's!");
});

Deno.test("a lone single quote alternates between opening and closing within a paragraph", () => {
  const state = { singleQuoteOpen: false };
  assert.equal(detokenize(["He", "said", ",", "'", "Go", "."], state), "He said, 'Go.");
  assert.equal(detokenize(["Now", "'", "."], state), "Now'.");
  assert.equal(state.singleQuoteOpen, false);
});

Deno.test("paragraphs are blank-line blocks, headlines stand alone, a leading ) attaches", () => {
  const raw = "\n\n\tNews/nn-hl today/nr-hl \nIt/pps rained/vbd ./.\nWe/ppss stayed/vbd ./.\n\n\n" +
    "\t(/( Fine/jj ./.\n)/) Good/jj ./.\n";
  const paragraphs = parseBrownText(raw);
  assert.deepEqual(paragraphs, [["News today"], ["It rained.", "We stayed."], [
    "(Fine.",
    ") Good.",
  ]]);
  assert.equal(joinSentences(paragraphs[2]), "(Fine.) Good.");
});

Deno.test("Brown has 500 documents sorted by id, split 400/50/50 by index with no overlap", () => {
  const docs = loadBrownDocuments();
  assert.equal(docs.length, 500);
  assert.equal(docs[0].id, "ca01");
  assert.equal(docs[499].id, "cr09");
  assert.equal(docs[0].category, "news");
  assert.equal(new Set(docs.map((d) => d.category)).size, 15);
  const ids = { train: new Set<string>(), validation: new Set<string>(), test: new Set<string>() };
  docs.forEach((d, i) => ids[brownSplitOf(i)].add(d.id));
  assert.deepEqual([ids.train.size, ids.validation.size, ids.test.size], [400, 50, 50]);
  for (const id of ids.validation) assert.ok(!ids.train.has(id) && !ids.test.has(id));
  for (const id of ids.test) assert.ok(!ids.train.has(id));
  assert.equal(loadBrownDocuments(), docs, "second call returns the cached array");
});

Deno.test("Brown plain text has no POS tags, tabs or `` '' quote tokens left", () => {
  const docs = loadBrownDocuments();
  const text = docs.map((d) => d.text).join("\n\n");
  // The regex does find tags in the raw format, so finding none below means they are gone.
  assert.equal("the/at jury/nn said/vbd ./. City/nn-tl".match(TAG_RESIDUE)?.length, 4);
  assert.deepEqual(text.match(TAG_RESIDUE), null);
  assert.ok(!text.includes("\t"));
  // '' survives only as the inch mark of measures like 1/4''.
  assert.ok(!text.includes("``") && !/[^0-9]''/.test(text));
  assert.ok(text.startsWith("The Fulton County Grand Jury said Friday"));
  for (const d of docs) {
    assert.ok(d.sentences.length > 0 && d.text.length > 0, d.id);
    assert.ok(!d.text.includes("\n\n\n"), `${d.id} has paragraphs separated by one blank line`);
  }
});
