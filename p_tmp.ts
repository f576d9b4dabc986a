import { trainBpe } from "./lib/data/bpe_train.ts";
import { hfTokenizer } from "./lib/data/hf_tokenizer.ts";
import { loadCorpus } from "./lib/data/corpus.ts";
console.log(trainBpe("the cat sat on the mat. the end.", { vocabSize: 260 }).merges);
const c = loadCorpus("brown");
const text = c.splits.train.join("\n\n");
for (const V of [1024, 4096]) {
  let t0 = performance.now();
  const r = trainBpe(text, { vocabSize: V });
  const t1 = performance.now();
  const tok = hfTokenizer({ "tokenizer.json": new TextEncoder().encode(r.tokenizerJson) }, "x");
  const ids = tok.encode(text);
  const t2 = performance.now();
  console.log(V, r.vocabSize, r.merges.length, r.merges.slice(0, 8), "train s", ((t1 - t0) / 1000).toFixed(1), "encode s", ((t2 - t1) / 1000).toFixed(1), "bytes/token", (new TextEncoder().encode(text).length / ids.length).toFixed(3), "json KB", r.tokenizerJson.length / 1024, tok.decode(ids) === text);
}
