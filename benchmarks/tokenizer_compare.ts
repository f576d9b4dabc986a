/**
 * Byte-level against BPE tokenizers at equal training FLOPs: the random-init
 * target of the variant-ablation spec (64 wide, 2 layers) trained with each
 * tokenizer for the FLOPs the byte model spends in `--steps` steps, then
 * scored on validation loss in nats per byte and the built-in tasks.
 *
 * usage: deno run -A benchmarks/tokenizer_compare.ts --steps 300 --seeds 0 \
 *   [--tokenizers byte,bpe-1024,bpe-4096] [--lr 0.003] [--warmup 15] [--items 400]
 *   [--tasks brown-next-sentence-v1,brown-cloze-v1] [--out runs/tokcmp]
 *
 * Prints one JSON line per run and a markdown table.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { initBackend } from "../lib/backend.ts";
import { parseTrainConfig, resolveModel } from "../lib/train/config.ts";
import { train } from "../lib/train/loop.ts";
import { trainFlopsPerToken } from "../lib/model/config.ts";
import { resolveTokenizer } from "../lib/data/tokenizer_choice.ts";
import { loadCheckpoint, loadCheckpointTokenizer } from "../lib/io/checkpoint.ts";
import { createModel, disposeModel } from "../lib/model/model.ts";
import { modelLogProb } from "../lib/eval/logprob.ts";
import { scoreTask } from "../lib/eval/multiple_choice.ts";
import { loadBuiltinTask } from "../lib/eval/builtin_task.ts";

const { values: a } = parseArgs({
  options: {
    steps: { type: "string", default: "300" },
    seeds: { type: "string", default: "0" },
    tokenizers: { type: "string", default: "byte,bpe-1024,bpe-4096" },
    lr: { type: "string", default: "0.003" },
    warmup: { type: "string", default: "15" },
    items: { type: "string", default: "400" },
    "eval-batches": { type: "string", default: "32" },
    tasks: { type: "string", default: "brown-next-sentence-v1,brown-cloze-v1" },
    out: { type: "string", default: "runs/tokcmp" },
  },
});
await initBackend();
const model = {
  family: "gpt2" as const,
  hiddenSize: 64,
  numLayers: 2,
  numHeads: 4,
  intermediateSize: 256,
  maxPositions: 64,
};
const data = { source: "brown", seqLen: 64, batchSize: 16 };
const base = (tokenizer: string, steps: number, seed: number) =>
  parseTrainConfig({
    model,
    tokenizer,
    data,
    optim: { lr: Number(a.lr), warmupSteps: Number(a.warmup), minLrRatio: 0.1 },
    steps,
    evalEvery: Math.max(1, steps),
    evalBatches: Number(a["eval-batches"]),
    checkpointEvery: steps,
    seed,
  });
const flopsOf = async (tokenizer: string) => {
  const tok = await resolveTokenizer(tokenizer);
  const cfg = resolveModel(base(tokenizer, 1, 0), "config", tok.info.vocabSize);
  return data.batchSize * data.seqLen * trainFlopsPerToken(cfg, data.seqLen);
};
const byteStepFlops = await flopsOf("byte");
const budget = Number(a.steps) * byteStepFlops;
const rows: Record<string, unknown>[] = [];
for (const seed of a.seeds!.split(",").map(Number)) {
  for (const name of a.tokenizers!.split(",")) {
    const steps = Math.round(budget / (await flopsOf(name)));
    const out = `${a.out}/${name}-s${seed}`;
    const s = await train(base(name, steps, seed), out, { resume: true, progress: "silent" });
    const ck = await loadCheckpoint(`${out}/checkpoint`);
    const tok = await loadCheckpointTokenizer(`${out}/checkpoint`);
    const m = createModel(ck.config, ck.params);
    const tasks: Record<string, number> = {};
    for (const t of a.tasks!.split(",")) {
      const r = await scoreTask(await loadBuiltinTask(t), modelLogProb(m), tok, {
        limit: Number(a.items),
      });
      tasks[t] = r.acc;
    }
    disposeModel(m);
    const accs = Object.values(tasks);
    const row = {
      tokenizer: name,
      seed,
      vocab: ck.config.vocabSize,
      steps,
      trainFlops: s.cost.trainFlops,
      valLoss: s.final.valLoss,
      valLossPerByte: s.final.valLossPerByte,
      ...tasks,
      taskMean: accs.reduce((x, y) => x + y, 0) / accs.length,
      wallSeconds: s.cost.wallSeconds,
    };
    console.log(JSON.stringify(row));
    rows.push(row);
  }
}
const cols = Object.keys(rows[0]);
console.log(`| ${cols.join(" | ")} |\n|${cols.map(() => "---").join("|")}|`);
for (const r of rows) {
  console.log(
    `| ${
      cols.map((c) => {
        const v = r[c];
        return typeof v === "number" && !Number.isInteger(v) ? v.toPrecision(4) : String(v);
      }).join(" | ")
    } |`,
  );
}
