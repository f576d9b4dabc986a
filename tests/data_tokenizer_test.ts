import assert from "node:assert/strict";
import { byteTokenizer, tokenizerFromInfo } from "../lib/data/tokenizer.ts";
import { unigramEntropy } from "../lib/data/stats.ts";

Deno.test("byte tokenizer round-trips non-ASCII text through UTF-8 bytes", () => {
  const text = "naïve café — 東京 🙂\n";
  const ids = byteTokenizer.encode(text);
  assert.ok(ids instanceof Int32Array);
  assert.equal(ids.length, new TextEncoder().encode(text).length);
  assert.ok(ids.every((id) => id >= 0 && id < 256));
  assert.equal(byteTokenizer.decode(ids), text);
  assert.deepEqual(Array.from(byteTokenizer.encode("é")), [0xc3, 0xa9]);
});

Deno.test("byte tokenizer decodes invalid UTF-8 to U+FFFD and rejects non-byte ids", () => {
  assert.equal(byteTokenizer.decode([0x68, 0xc3]), "h\ufffd");
  assert.throws(() => byteTokenizer.decode([256]), /ids\[0\] = 256/);
});

Deno.test("tokenizerFromInfo rebuilds the byte tokenizer and names unknown types", () => {
  assert.equal(tokenizerFromInfo({ type: "byte", vocabSize: 256 }), byteTokenizer);
  assert.throws(() => tokenizerFromInfo({ type: "bpe", vocabSize: 50257 }), /"bpe" is unknown/);
  assert.throws(() => tokenizerFromInfo({ type: "byte", vocabSize: 300 }), /vocabSize 256/);
});

Deno.test("unigram entropy of [0,0,1,2] is 1.5 ln 2 nats", () => {
  // p = (1/2, 1/4, 1/4): H = 1/2 ln 2 + 2 * 1/4 ln 4 = 1.5 ln 2. Float64 sums of
  // three terms are exact to ~1e-15.
  const h = unigramEntropy(new Int32Array([0, 0, 1, 2]), 256);
  assert.ok(Math.abs(h - 1.5 * Math.LN2) < 1e-12, `${h}`);
  assert.equal(unigramEntropy(new Int32Array([7, 7, 7]), 256), 0);
  assert.ok(
    Math.abs(
      unigramEntropy(Int32Array.from({ length: 256 }, (_, i) => i), 256) -
        Math.log(256),
    ) < 1e-12,
  );
  assert.throws(() => unigramEntropy(new Int32Array([300]), 256), /tokens\[0\] = 300/);
  assert.throws(() => unigramEntropy(new Int32Array(0), 256), /empty/);
});
