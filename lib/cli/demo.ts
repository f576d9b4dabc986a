/**
 * `hc demo`: the README's main command.
 *
 * @module
 */
import { trainCommand } from "./train.ts";
import { evalCommand } from "./eval.ts";
import { sampleCommand } from "./sample.ts";

/**
 * Trains the tiny preset on the Brown corpus, evaluates it and samples.
 *
 * @example
 * ```ts
 * import { demoCommand } from "./demo.ts";
 * await demoCommand([]);
 * ```
 */
export async function demoCommand(args: string[]): Promise<number> {
  const out = args[0] ?? "runs/demo-tiny";
  await trainCommand(["--config", "experiments/configs/tiny.json", "--out", out, "--resume"]);
  await evalCommand([
    `${out}/checkpoint`,
    "--split",
    "test",
    "--tasks",
    "builtin",
    "--limit",
    "200",
  ]);
  await sampleCommand([`${out}/checkpoint`, "--prompt", "The jury said", "--max-new", "200"]);
  return 0;
}
