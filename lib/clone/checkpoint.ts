/**
 * Cloning checkpoint directories without building a model: source tensors are
 * read one at a time, each clone tensor is made and streamed to the output
 * file, so peak memory is about one source tensor plus one clone tensor (and
 * a noise block). Verification, when on, then loads both models.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { join, resolve } from "node:path";
import {
  CHECKPOINT_FORMAT,
  checkpointTensorReader,
  CONFIG_FILE,
  loadCheckpoint,
  META_FILE,
  WEIGHTS_FILE,
} from "../io/checkpoint.ts";
import { writeDirAtomic, writeFileAtomic } from "../io/atomic.ts";
import { writeCloneRecord } from "../io/run_folder.ts";
import { createSafetensorsWriter } from "../io/safetensors.ts";
import { readTokenizerFiles } from "../data/hf_tokenizer.ts";
import { hfConfigText } from "../io/hf_config.ts";
import type { ModelConfig } from "../model/config.ts";
import { type CloneOptions, isFunctionPreserving, type ResolvedCloneOptions } from "./options.ts";
import { type ClonePlan, planClone } from "./plan.ts";
import { noiseGainOf, verifyClone, type VerifyOptions, type VerifyReport } from "./verify.ts";

export { CLONE_FILE } from "../io/run_folder.ts";

/** Raised when a clone's logits do not match its source's (the CLI maps it to exit code 1). */
export class CloneVerificationError extends Error {
  override name = "CloneVerificationError";
  constructor(message: string, readonly report: VerifyReport) {
    super(message);
  }
}

/** Options of {@link cloneCheckpoint}. */
export interface CloneCheckpointOptions extends CloneOptions {
  /** Check clone logits against the source (default true). */
  verify?: boolean;
  /** Sequences/lengths for the check; use a short seqLen for big models. */
  verifyOptions?: Omit<VerifyOptions, "noiseGain">;
  /** Replace an existing output directory. */
  force?: boolean;
  /** Called after each tensor is written. */
  onTensor?: (done: number, total: number, name: string) => void;
}

/**
 * Verification of a clone that is not meant to compute its source's function
 * (depth "stack" / "interleave"): the logit difference is measured for
 * information; `pass` is null and nothing fails.
 */
export type NotPreservingReport = Omit<VerifyReport, "pass"> & {
  pass: null;
  status: "not function-preserving";
  reason: string;
};

/** Contents of clone.json: the resolved options (depth K = 1 for width only) and provenance. */
export interface CloneRecord extends ResolvedCloneOptions {
  source: { path: string; sha256: string };
  /** The growth operators in the order they apply, e.g. ["width n=2 m=2 noisy-symmetric", "depth x2 identity"]. */
  operators: string[];
  /** Whether the clone's logits are meant to equal the source's (and were checked as such). */
  functionPreserving: boolean;
  sourceConfig: ModelConfig;
  verification: VerifyReport | NotPreservingReport | null;
}

/**
 * The growth operators of a clone, in order, as clone.json records them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { operatorsOf } from "./checkpoint.ts";
 * import { validateCloneOptions } from "./options.ts";
 * import { PRESETS } from "../model/config.ts";
 * assert.deepEqual(operatorsOf(validateCloneOptions(PRESETS.tiny, { width: 2, depth: 2 })), [
 *   "width n=2 m=2 noisy-symmetric heads=more tied=fold-norm",
 *   "depth x2 identity",
 * ]);
 * ```
 */
export function operatorsOf(o: ResolvedCloneOptions): string[] {
  const ops: string[] = [];
  if (o.width > 1 || o.ffn > 1) {
    ops.push(`width n=${o.width} m=${o.ffn} ${o.variant} heads=${o.heads} tied=${o.tied}`);
  }
  if (o.depth > 1) ops.push(`depth x${o.depth} ${o.depthMode}`);
  return ops;
}

/**
 * SHA-256 (hex) of a file, streamed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256File } from "./checkpoint.ts";
 * const f = Deno.makeTempFileSync();
 * Deno.writeTextFileSync(f, "abc");
 * assert.equal(
 *   await sha256File(f),
 *   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
 * );
 * ```
 */
export function sha256File(path: string): Promise<string> {
  return new Promise((ok, fail) => {
    const h = createHash("sha256");
    createReadStream(path)
      .on("data", (c) => h.update(c))
      .on("error", fail)
      .on("end", () => ok(h.digest("hex")));
  });
}

/**
 * Clones the checkpoint in `srcDir` into `outDir` (atomically: built in a temp
 * directory, renamed at the end). Writes config.json, model.safetensors,
 * hyperclone.json (the source's tokenizer), the source's tokenizer files
 * (tokenizer.json, ...) when it has them, and clone.json (provenance and
 * verification). With `verify` (default) a function-preserving clone whose
 * logits differ from the source's beyond the float32 tolerance is removed and
 * a {@link CloneVerificationError} thrown; a depth "stack"/"interleave" clone
 * is not function-preserving: its logit difference is recorded, nothing fails.
 * Bad options throw `CloneOptionError` before anything is written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { initBackend } from "../backend.ts";
 * import { saveCheckpoint } from "../io/checkpoint.ts";
 * import { PRESETS } from "../model/config.ts";
 * import { initParams } from "../model/params.ts";
 * import { cloneCheckpoint } from "./checkpoint.ts";
 * await initBackend("cpu");
 * const tmp = await Deno.makeTempDir();
 * await saveCheckpoint(join(tmp, "src"), PRESETS.tiny, initParams(PRESETS.tiny, 0));
 * const r = await cloneCheckpoint(join(tmp, "src"), join(tmp, "x2"), { width: 2, variant: "noisy-symmetric" });
 * assert.equal(r.record.verification?.pass, true);
 * await Deno.remove(tmp, { recursive: true });
 * ```
 */
export async function cloneCheckpoint(
  srcDir: string,
  outDir: string,
  opts: CloneCheckpointOptions,
): Promise<{ config: ModelConfig; options: ResolvedCloneOptions; record: CloneRecord }> {
  const reader = await checkpointTensorReader(srcDir);
  let record: CloneRecord | undefined;
  let plan: ClonePlan | undefined;
  try {
    const p = planClone(reader.config, opts); // validates before anything is written
    plan = p;
    const o = plan.options;
    const sha256 = await sha256File(join(srcDir, WEIGHTS_FILE));
    const meta = { format: CHECKPOINT_FORMAT, tokenizer: reader.tokenizer, extra: {} };
    await writeDirAtomic(outDir, async (tmp) => {
      await writeFileAtomic(join(tmp, CONFIG_FILE), hfConfigText(p.config));
      await writeFileAtomic(join(tmp, META_FILE), JSON.stringify(meta, null, 2) + "\n");
      // The clone keeps its source's vocabulary, so it keeps its tokenizer files.
      for (const [name, bytes] of Object.entries(await readTokenizerFiles(srcDir) ?? {})) {
        await writeFileAtomic(join(tmp, name), bytes);
      }
      const w = await createSafetensorsWriter(
        join(tmp, WEIGHTS_FILE),
        p.tensors.map((t) => ({ name: t.name, shape: t.shape })),
        { format: "pt" },
      );
      try {
        // Pipelined: the file write of one tensor (a system call on another
        // thread, ~1/3 of the time) runs while the next tensor is made, so at
        // most two tensors are in memory at once.
        let done = 0, writing: Promise<void> = Promise.resolve();
        for (const t of p.tensors) {
          const made = t.make(await reader.read(t.source));
          await writing;
          writing = w.write(t.name, made.data).then(() => {
            opts.onTensor?.(++done, p.tensors.length, t.name);
          });
          writing.catch(() => {}); // handled: awaited (and rethrown) above or below
        }
        await writing;
        await w.close();
      } catch (e) {
        await w.abort();
        throw e;
      }
      let verification: CloneRecord["verification"] = null;
      const preserving = isFunctionPreserving(o);
      if (opts.verify ?? true) {
        // Both sides go through the saved files, so whatever the clone relies
        // on (e.g. the folded 1/n of a tied head) must have survived saving.
        const source = await loadCheckpoint(srcDir);
        const clone = await loadCheckpoint(tmp);
        const report = await verifyClone(source.config, source.params, clone.config, clone.params, {
          ...opts.verifyOptions,
          noiseGain: noiseGainOf(o.variant, o.snrDb),
        });
        if (!preserving) {
          verification = {
            ...report,
            pass: null,
            status: "not function-preserving",
            reason: `depth x${o.depth} ${o.depthMode} repeats trained layers; ` +
              `logits are not expected to match (difference recorded for information)`,
          };
        } else if (!report.pass) {
          throw new CloneVerificationError(
            `clone verification failed: max relative logit difference ${
              report.maxRelDiff.toExponential(2)
            } exceeds tolerance ${report.tolerance.toExponential(2)}; clone not written`,
            report,
          );
        } else verification = report;
      }
      record = {
        source: { path: resolve(srcDir), sha256 },
        width: o.width,
        ffn: o.ffn,
        variant: o.variant,
        heads: o.heads,
        tied: o.tied,
        seed: o.seed,
        snrDb: o.snrDb,
        depth: o.depth,
        depthMode: o.depthMode,
        operators: operatorsOf(o),
        functionPreserving: preserving,
        sourceConfig: reader.config,
        verification,
      };
      await writeCloneRecord(tmp, record);
    }, { force: opts.force });
  } finally {
    await reader.close();
  }
  return { config: plan!.config, options: plan!.options, record: record! };
}
