/**
 * `hc score CKPT_DIR (--tokens 1,2,3 | --text TEXT) --out logits.npy`: the
 * logits at each position as a float32 NumPy array [T, V] (written
 * atomically). `--text` is encoded with the checkpoint's tokenizer; the ids
 * are printed with the output's shape.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { encodeNpy } from "../io/npy.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { logitsOf } from "../model/model.ts";
import { parse, positionals, requiredFlag } from "./args.ts";
import { openCheckpoint } from "./load.ts";

/**
 * Writes the logits of a token sequence.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scoreCommand } from "./score.ts";
 * assert.equal(await scoreCommand(["runs/demo/checkpoint", "--tokens", "72,105", "--out", "logits.npy"]), 0);
 * assert.equal(await scoreCommand(["runs/demo/checkpoint", "--text", "Hi", "--out", "logits.npy"]), 0);
 * ```
 */
export async function scoreCommand(args: string[]): Promise<number> {
  const p = parse("score", args, {
    tokens: { type: "string" },
    text: { type: "string" },
    out: { type: "string" },
    backend: { type: "string" },
  });
  const [dir] = positionals(p, "score", ["CKPT_DIR"]);
  const out = requiredFlag(p, "out", "--out FILE.npy");
  const raw = p.values.tokens;
  const text = p.values.text;
  if ((raw === undefined) === (text === undefined)) {
    throw new UsageError("give exactly one of --tokens 1,2,3 and --text TEXT");
  }
  const { model, tokenizer } = await openCheckpoint(dir, p.values.backend);
  const ids = raw !== undefined
    ? raw.split(",").map((s) => Number(s.trim()))
    : Array.from(tokenizer.encode(text!));
  if (ids.length === 0) throw new UsageError("--text: encodes to no tokens; give some text");
  const V = model.config.vocabSize;
  const bad = ids.findIndex((x) => !Number.isInteger(x) || x < 0 || x >= V);
  if (bad >= 0) {
    throw new UsageError(
      `--tokens: entry ${bad} ('${raw?.split(",")[bad]}') is not an id in [0, ${V})`,
    );
  }
  if (ids.length > model.config.maxPositions) {
    throw new UsageError(
      `--${
        raw !== undefined ? "tokens" : "text"
      }: ${ids.length} tokens exceed maxPositions ${model.config.maxPositions}`,
    );
  }
  const [logits] = await logitsOf(model, [new Int32Array(ids)]);
  await writeFileAtomic(out, encodeNpy(logits, [ids.length, V]));
  console.log(
    JSON.stringify({ out, shape: [ids.length, V], ...(text !== undefined ? { ids } : {}) }),
  );
  return 0;
}
