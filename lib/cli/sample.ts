/**
 * `hc sample CKPT_DIR --prompt TEXT [--max-new N] [--temperature T] [--top-k K] [--seed S]`
 *
 * @module
 */
import { sample } from "../model/sample.ts";
import { intFlag, numFlag, parse, positionals } from "./args.ts";
import { openCheckpoint } from "./load.ts";

/**
 * Prints a continuation of the prompt.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sampleCommand } from "./sample.ts";
 * assert.equal(await sampleCommand(["runs/demo/checkpoint", "--prompt", "The jury"]), 0);
 * ```
 */
export async function sampleCommand(args: string[]): Promise<number> {
  const p = parse("sample", args, {
    prompt: { type: "string" },
    "max-new": { type: "string" },
    temperature: { type: "string" },
    "top-k": { type: "string" },
    seed: { type: "string" },
    backend: { type: "string" },
  });
  const [dir] = positionals(p, "sample", ["CKPT_DIR"]);
  const prompt = p.values.prompt ?? "";
  const { model, tokenizer } = await openCheckpoint(dir, p.values.backend);
  const ids = await sample(model, tokenizer.encode(prompt), {
    maxNewTokens: intFlag(p, "max-new") ?? 200,
    temperature: numFlag(p, "temperature") ?? 0.8,
    topK: intFlag(p, "top-k", { min: 0 }) ?? 40,
    seed: intFlag(p, "seed", { min: 0 }) ?? 0,
  });
  console.log(prompt + tokenizer.decode(ids));
  return 0;
}
