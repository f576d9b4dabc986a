import assert from "node:assert/strict";
import { join } from "node:path";
import { DOCUMENT_SEPARATOR, loadCorpus, tokenizeSplits } from "../lib/data/corpus.ts";
import { byteTokenizer } from "../lib/data/tokenizer.ts";

function tempDir(): string {
  return Deno.makeTempDirSync({ prefix: "hc_data_test_" });
}

Deno.test("brown corpus splits 400/50/50 documents and tokenizes each split as bytes", () => {
  const corpus = loadCorpus();
  assert.equal(corpus.name, "brown");
  assert.equal(corpus.documents.length, 500);
  assert.deepEqual(
    [corpus.splits.train.length, corpus.splits.validation.length, corpus.splits.test.length],
    [400, 50, 50],
  );
  const tokens = tokenizeSplits(corpus, byteTokenizer);
  const expected = new TextEncoder().encode(corpus.splits.test.join(DOCUMENT_SEPARATOR));
  assert.deepEqual(tokens.test, Int32Array.from(expected));
  assert.ok(tokens.train.length > 5 * tokens.validation.length);
});

Deno.test("a folder of .txt files gives one document per file in name order", () => {
  const dir = tempDir();
  try {
    for (let i = 0; i < 12; i++) {
      Deno.writeTextFileSync(join(dir, `doc${String(i).padStart(2, "0")}.txt`), `text ${i}\n`);
    }
    Deno.writeTextFileSync(join(dir, "notes.md"), "ignored");
    const corpus = loadCorpus(dir);
    assert.equal(corpus.documents.length, 12);
    assert.deepEqual(corpus.documents.map((d) => d.split).slice(7, 12), [
      "train",
      "validation",
      "test",
      "train",
      "train",
    ]);
    assert.deepEqual(corpus.splits.validation, ["text 8\n"]);
    assert.deepEqual(corpus.splits.test, ["text 9\n"]);
    const tokens = tokenizeSplits(corpus, byteTokenizer);
    assert.equal(byteTokenizer.decode(tokens.test), "text 9\n");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a single .txt file is cut into 20 newline-aligned chunks that keep every line", () => {
  const dir = tempDir();
  try {
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i}`);
    const path = join(dir, "book.txt");
    Deno.writeTextFileSync(path, lines.join("\n") + "\n");
    const corpus = loadCorpus(path);
    assert.equal(corpus.name, "book.txt");
    assert.equal(corpus.documents.length, 20);
    assert.deepEqual(corpus.documents.flatMap((d) => d.text.split("\n")), lines);
    assert.deepEqual(
      [corpus.splits.train.length, corpus.splits.validation.length, corpus.splits.test.length],
      [16, 2, 2],
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a .jsonl file gives one document per line and names a bad line by number", () => {
  const dir = tempDir();
  try {
    const path = join(dir, "docs.jsonl");
    const rows = Array.from({ length: 10 }, (_, i) => JSON.stringify({ text: `doc ${i}` }));
    Deno.writeTextFileSync(path, rows.join("\n") + "\n\n");
    const corpus = loadCorpus(path);
    assert.deepEqual(corpus.splits.test, ["doc 9"]);
    assert.equal(corpus.documents[0].id, `${path}:1`);

    Deno.writeTextFileSync(path, [rows[0], "{not json", rows[1]].join("\n"));
    assert.throws(() => loadCorpus(path), { message: new RegExp(`docs\\.jsonl:2: invalid JSON`) });
    Deno.writeTextFileSync(path, [rows[0], rows[1], '{"body": "x"}'].join("\n"));
    assert.throws(() => loadCorpus(path), /docs\.jsonl:3: expected an object with a string "text"/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("loadCorpus names a missing path, an empty file, and a split left empty", () => {
  const dir = tempDir();
  try {
    const missing = join(dir, "nope.txt");
    assert.throws(() => loadCorpus(missing), {
      message: new RegExp(`"${missing}" does not exist`),
    });
    const empty = join(dir, "empty.txt");
    Deno.writeTextFileSync(empty, " \n\n");
    assert.throws(() => loadCorpus(empty), /empty\.txt is empty/);
    const few = join(dir, "few.jsonl");
    Deno.writeTextFileSync(few, '{"text": "a"}\n{"text": "b"}\n');
    assert.throws(
      () => loadCorpus(few),
      /split "validation" is empty with 2 documents.*at least 10/,
    );
    const short = join(dir, "short.txt");
    Deno.writeTextFileSync(short, "one\ntwo\nthree\n");
    assert.throws(() => loadCorpus(short), /split "validation" is empty with 3 documents/);
    const sub = join(dir, "sub");
    Deno.mkdirSync(sub);
    assert.throws(() => loadCorpus(sub), /has no \.txt files/);
    assert.throws(() => loadCorpus(few.replace(".jsonl", ".csv")), /does not exist/);
    Deno.writeTextFileSync(join(dir, "data.csv"), "a,b");
    assert.throws(() => loadCorpus(join(dir, "data.csv")), /unsupported extension ".csv"/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
