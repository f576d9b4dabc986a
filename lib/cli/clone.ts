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
import { cloneCheckpoint, CloneVerificationError } from "../clone/checkpoint.ts";
import {
  CloneOptionError,
  DEPTH_MODES,
  HEAD_MODES,
  TIED_MODES,
  VARIANTS,
} from "../clone/options.ts";
import { paramCount } from "../model/config.ts";
import { choiceFlag, numFlag, parse, positionals } from "./args.ts";

function factor(raw: unknown, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== "string" || !Number.isInteger(n) || n < 1) {
    throw new UsageError(`--${flag}: must be a positive integer, got '${raw}'`);
  }
  return n;
}

/**
 * Clones a checkpoint directory into a wider and/or deeper one and verifies its logits.
 *
 * @example
 * ```ts
 * import { cloneCommand } from "./clone.ts";
 * await cloneCommand(["runs/demo-tiny/checkpoint", "runs/clone-x2", "--width", "2", "--ffn", "2", "--variant", "symmetric"]);
 * ```
 */
export async function cloneCommand(args: string[]): Promise<number> {
  const p = parse("clone", args, {
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
  });
  const [src, out] = positionals(p, "clone", ["SRC_DIR", "OUT_DIR"]);
  const depth = factor(p.values.depth, "depth");
  const depthMode = choiceFlag(p, "depth-mode", DEPTH_MODES);
  // Depth alone is a clone of width 1.
  const width = factor(p.values.width, "width") ?? (depth !== undefined ? 1 : undefined);
  if (width === undefined) throw new UsageError("--width N (or --depth K) is required");
  const ffn = factor(p.values.ffn, "ffn");
  const variant = choiceFlag(p, "variant", VARIANTS) ?? "noisy-symmetric";
  const heads = choiceFlag(p, "heads", HEAD_MODES);
  const tied = choiceFlag(p, "tied", TIED_MODES);
  const snrDb = numFlag(p, "snr-db");
  const seedRaw = numFlag(p, "seed");
  if (seedRaw !== undefined && (!Number.isInteger(seedRaw) || seedRaw < 0)) {
    throw new UsageError(`--seed: must be a non-negative integer, got '${p.values.seed}'`);
  }
  if (!fs.existsSync(src) || !fs.statSync(src).isDirectory()) {
    throw new UsageError(`SRC_DIR ${src}: no such checkpoint directory`);
  }
  if (fs.existsSync(out) && !p.values.force) {
    throw new UsageError(`OUT_DIR ${out} exists; pass --force to overwrite`);
  }
  const verify = !p.values["no-verify"];
  if (verify) await initBackend(p.values.backend as string | undefined);
  try {
    const r = await cloneCheckpoint(src, out, {
      width,
      ffn,
      variant,
      heads,
      tied,
      snrDb,
      seed: seedRaw,
      depth,
      depthMode,
      verify,
      force: Boolean(p.values.force),
    });
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
  } catch (e) {
    if (e instanceof CloneVerificationError) throw e; // exit 1: the clone was removed
    if (e instanceof CloneOptionError) throw new UsageError(e.message);
    // Anything else raised before writing (unreadable source, shape mismatch,
    // corrupt safetensors) is bad input: nothing was written.
    if (!fs.existsSync(out) || p.values.force) throw new UsageError((e as Error).message);
    throw e;
  }
}
