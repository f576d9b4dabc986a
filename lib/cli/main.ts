/**
 * `deno task hc <command>`: the one command-line entry point.
 *
 * Exit codes: 0 success, 1 failure (e.g. divergence, clone verification
 * failed), 2 bad input (flags, config, paths).
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { takeFlag } from "./args.ts";

const USAGE = `hyperclone: grow language models with HyperCloning

usage: deno task hc <command> [options]

commands:
  train   --config FILE --out DIR [--resume] [--init CKPT] [--backend B]
  eval    CKPT_DIR [--split validation|test] [--data PATH] [--tasks builtin|builtin:NAME,FILE.jsonl]
  score   CKPT_DIR (--tokens 1,2,3 | --text TEXT) --out logits.npy
  sample  CKPT_DIR --prompt TEXT [--max-new N] [--temperature T] [--top-k K] [--seed S]
  clone   SRC_DIR OUT_DIR --width N --ffn M --variant V [--snr-db X] [--seed S]
          [--heads more|wider] [--tied untie|fold-norm] [--depth K]
          [--depth-mode identity|stack|interleave] [--no-verify] [--force]
  tokenizer train --vocab 1024|4096 --out DIR [--data brown|PATH]
  bench   --preset tiny|small|medium [--vs-torch] [--steps N]
  bench-clone
  ablate  SPEC.json --preset quick|standard|paper [--out runs/] [--shard i/n]
  figures RUNS_DIR --out figures/
  demo    the main demo (README)

Every command takes --backend auto|tensorflow|webgpu|wasm|cpu (or HC_BACKEND) and
--threads N (or HC_THREADS; default: every core, wasm kernels 1 with native BLAS). HC_BLAS=off|/path/lib.so picks
the native matmul library (docs/performance.md).`;

type Command = (args: string[]) => Promise<number | void>;

/** Takes a global `--threads N` out of `args` into HC_THREADS (read by initBackend). */
function takeThreads(args: string[]): string[] {
  const t = takeFlag(args, "threads");
  if (!t.given) return args;
  if (t.value === undefined || !/^[1-9]\d*$/.test(t.value)) {
    throw new UsageError(`--threads: must be a positive integer, got '${t.value ?? ""}'`);
  }
  Deno.env.set("HC_THREADS", t.value);
  return t.rest;
}

const commands: Record<string, () => Promise<Command>> = {
  train: async () => (await import("./train.ts")).trainCommand,
  eval: async () => (await import("./eval.ts")).evalCommand,
  score: async () => (await import("./score.ts")).scoreCommand,
  sample: async () => (await import("./sample.ts")).sampleCommand,
  clone: async () => (await import("./clone.ts")).cloneCommand,
  tokenizer: async () => (await import("./tokenizer.ts")).tokenizerCommand,
  bench: async () => (await import("./bench.ts")).benchCommand,
  "bench-clone": async () => (await import("./bench.ts")).benchCloneCommand,
  ablate: async () => (await import("./ablate.ts")).ablateCommand,
  figures: async () => (await import("./figures.ts")).figuresCommand,
  demo: async () => (await import("./demo.ts")).demoCommand,
};

/**
 * Runs the CLI with `argv` and returns the exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./main.ts";
 * assert.equal(await main(["--help"]), 0);
 * assert.equal(await main(["eval", "--bogus"]), 2); // a UsageError
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  let [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    console.error(`hc: error: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  try {
    rest = takeThreads(rest);
    const run = await load();
    return (await run(rest)) ?? 0;
  } catch (e) {
    const err = e as Error;
    // The one place exit codes are decided: bad input (UsageError and its
    // subclasses: ConfigError, SpecError, CloneOptionError) is 2.
    if (err instanceof UsageError) {
      console.error(`hc ${name}: error: ${err.message}`);
      return 2;
    }
    console.error(`hc ${name}: failed: ${err.message}`);
    if (Deno.env.get("HC_DEBUG")) console.error(err.stack);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
