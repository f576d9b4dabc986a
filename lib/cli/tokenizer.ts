/**
 * `hc tokenizer train --vocab 1024|4096 --out DIR [--data brown|PATH] [--force]`:
 * trains a byte-level BPE on the training split only (validation and test
 * text never shape the vocabulary) and writes Hugging Face tokenizer.json and
 * tokenizer_config.json into DIR (atomically). A training config then uses it
 * with `"tokenizer": "DIR"`; `"bpe-N"` names the same tokenizer trained on
 * the built-in corpus.
 *
 * @module
 */
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { DOCUMENT_SEPARATOR, loadCorpus } from "../data/corpus.ts";
import { trainBpe } from "../data/bpe_train.ts";
import { TOKENIZER_CONFIG_JSON, TOKENIZER_JSON } from "../data/hf_tokenizer.ts";
import { pathExists, writeDirAtomic, writeFileAtomic } from "../io/atomic.ts";
import { intFlag, parse } from "./args.ts";

const USAGE = "usage: hc tokenizer train --vocab N --out DIR [--data brown|PATH] [--force]";

/**
 * Runs `hc tokenizer <subcommand>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tokenizerCommand } from "./tokenizer.ts";
 * assert.equal(await tokenizerCommand(["train", "--vocab", "1024", "--out", "runs/bpe-1024"]), 0);
 * ```
 */
export async function tokenizerCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "train") {
    throw new UsageError(`tokenizer: unknown subcommand '${sub ?? ""}'; ${USAGE}`);
  }
  const p = parse("tokenizer train", rest, {
    vocab: { type: "string" },
    out: { type: "string" },
    data: { type: "string" },
    force: { type: "boolean" },
  });
  if (p.positionals.length) {
    throw new UsageError(`tokenizer train: unexpected '${p.positionals[0]}'`);
  }
  const vocab = intFlag(p, "vocab", { min: 258 });
  const out = p.values.out;
  if (vocab === undefined || !out) throw new UsageError(`--vocab and --out are required; ${USAGE}`);
  if (vocab > 65536) throw new UsageError(`--vocab: ${vocab} exceeds 65536`);
  if (!p.values.force && await pathExists(out)) {
    throw new UsageError(`--out: ${out} exists; choose another folder or pass --force`);
  }
  const source = p.values.data ?? "brown";
  let corpus;
  try {
    corpus = loadCorpus(source);
  } catch (e) {
    throw new UsageError(`--data: ${(e as Error).message}`);
  }
  const text = corpus.splits.train.join(DOCUMENT_SEPARATOR);
  const r = trainBpe(text, { vocabSize: vocab });
  await writeDirAtomic(out, async (tmp) => {
    await writeFileAtomic(join(tmp, TOKENIZER_JSON), r.tokenizerJson);
    await writeFileAtomic(join(tmp, TOKENIZER_CONFIG_JSON), r.tokenizerConfigJson);
  }, { force: Boolean(p.values.force) });
  const bytes = new TextEncoder().encode(text).length;
  console.log(JSON.stringify({
    out,
    vocabSize: r.vocabSize,
    merges: r.merges.length,
    data: source,
    split: "train",
    trainBytes: bytes,
    trainTokens: r.tokens,
    bytesPerToken: bytes / r.tokens,
  }));
  return 0;
}
