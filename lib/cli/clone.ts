/**
 * `hc clone SRC_DIR OUT_DIR --width N --ffn M --variant V [--snr-db X] [--seed S]
 * [--heads more|wider] [--tied untie|fold-norm] [--depth K]
 * [--depth-mode identity|stack|interleave] [--no-verify] [--force]`
 *
 * Width and depth grow in one streaming pass; `--width 1 --ffn 1 --depth K`
 * (or `--depth K` alone) grows depth only. Exit 2 (nothing written) for bad
 * options, an existing OUT_DIR without --force, or a source whose config and
 * tensors disagree; exit 1 (clone removed) when verification finds a
 * function-preserving clone's logits differ beyond tolerance. Depth "stack"
 * and "interleave" are not function-preserving: verification records the
 * difference and reports "not function-preserving".
 *
 * @module
 */
import * as fs from "node:fs";
import { initBackend } from "../backend.ts";
import { UsageError } from "../errors.ts";
import { cloneCheckpoint } from "../clone/checkpoint.ts";
import { checkpointTensorReader } from "../io/checkpoint.ts";
import { DEPTH_MODES, HEAD_MODES, TIED_MODES, VARIANTS } from "../clone/options.ts";
import { paramCount } from "../model/config.ts";
import { choiceFlag, intFlag, numFlag, parse, positionals } from "./args.ts";

const FLAGS = {
  width: { type: "string" },
  ffn: { type: "string" },
  variant: { type: "string" },
  "snr-db": { type: "string" },
  seed: { type: "string" },
  heads: { type: "string" },
  tied: { type: "string" },
  depth: { type: "string" },
  "depth-mode": { type: "string" },
  "no-verify": { type: "boolean" },
  force: { type: "boolean" },
  backend: { type: "string" },
} as const;

/**
 * Opens the source once before cloning: whatever is wrong with it (config,
 * tokenizer, tensor shapes, a corrupt weights file) is bad input, exit 2.
 */
async function checkSource(src: string): Promise<void> {
  if (!fs.existsSync(src) || !fs.statSync(src).isDirectory()) {
    throw new UsageError(`SRC_DIR ${src}: no such checkpoint directory`);
  }
  let reader;
  try {
    reader = await checkpointTensorReader(src);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  await reader.close();
}

/**
 * Clones a checkpoint directory into a wider and/or deeper one and verifies
 * its logits. Options left out take the library's defaults
 * (lib/clone/options.ts `CLONE_DEFAULTS`); bad ones are UsageErrors (exit 2).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cloneCommand } from "./clone.ts";
 * const code = await cloneCommand(["runs/demo-tiny/checkpoint", "runs/clone-x2", "--width", "2", "--ffn", "2", "--variant", "symmetric"]);
 * assert.equal(code, 0);
 * ```
 */
export async function cloneCommand(args: string[]): Promise<number> {
  const p = parse("clone", args, FLAGS);
  const [src, out] = positionals(p, "clone", ["SRC_DIR", "OUT_DIR"]);
  const depth = intFlag(p, "depth");
  // Depth alone is a clone of width 1.
  const width = intFlag(p, "width") ?? (depth !== undefined ? 1 : undefined);
  if (width === undefined) throw new UsageError("--width N (or --depth K) is required");
  const options = {
    width,
    ffn: intFlag(p, "ffn"),
    variant: choiceFlag(p, "variant", VARIANTS),
    heads: choiceFlag(p, "heads", HEAD_MODES),
    tied: choiceFlag(p, "tied", TIED_MODES),
    snrDb: numFlag(p, "snr-db"),
    seed: intFlag(p, "seed", { min: 0 }),
    depth,
    depthMode: choiceFlag(p, "depth-mode", DEPTH_MODES),
  };
  await checkSource(src);
  if (fs.existsSync(out) && !p.values.force) {
    throw new UsageError(`OUT_DIR ${out} exists; pass --force to overwrite`);
  }
  const verify = !p.values["no-verify"];
  if (verify) await initBackend(p.values.backend);
  // Bad options throw a CloneOptionError (a UsageError) before anything is
  // written; a failed verification throws CloneVerificationError (exit 1).
  const r = await cloneCheckpoint(src, out, { ...options, verify, force: p.values.force });
  console.log(JSON.stringify({
    out,
    variant: r.options.variant,
    width: r.options.width,
    ffn: r.options.ffn,
    depth: r.options.depth,
    depthMode: r.options.depthMode,
    operators: r.record.operators,
    functionPreserving: r.record.functionPreserving,
    params: paramCount(r.config),
    verification: r.record.verification,
  }));
  return 0;
}
