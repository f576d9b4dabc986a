/**
 * Trains a byte-level BPE tokenizer (GPT-2 style) and writes it as a Hugging
 * Face tokenizer.json. Training only: encoding always goes through the
 * `@huggingface/tokenizers` library, whose ByteLevel pre-tokenizer also splits
 * the training text here, so training and encoding see the same pieces.
 *
 * The algorithm is the usual one (as in HF's BpeTrainer): count pre-token
 * pieces, start from the 256 byte symbols, repeatedly merge the most frequent
 * adjacent pair (ties: the smaller pair of ids) until the vocabulary is full.
 * Pair counts are updated incrementally, only in the words a merge touches.
 * The result is deterministic.
 *
 * @module
 */
import { ByteLevelPreTokenizer } from "@huggingface/tokenizers";

/** Options of {@link trainBpe}. */
export interface BpeTrainOptions {
  /** Final vocabulary size, special tokens included (at least 256 + specials + 1). */
  vocabSize: number;
  /** Added at the end of the vocabulary. Default `["<|endoftext|>"]`. */
  specialTokens?: string[];
  /** Pairs seen fewer times are never merged. Default 2. */
  minFrequency?: number;
}

/** A trained tokenizer: Hugging Face files and what training did. */
export interface BpeTrainResult {
  /** tokenizer.json text. */
  tokenizerJson: string;
  /** tokenizer_config.json text. */
  tokenizerConfigJson: string;
  /** Merges in rank order, as `"left right"`. */
  merges: string[];
  /** Vocabulary size written (smaller than asked only if the text ran out of pairs). */
  vocabSize: number;
  /** Pre-token pieces counted (with repetition). */
  pieces: number;
  /** Tokens the training text splits into with the final merges. */
  tokens: number;
}

/**
 * GPT-2's byte-to-character table: printable bytes map to themselves, the
 * others to U+0100 onwards. Returned in GPT-2 id order (ids 0..255).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { byteSymbols } from "./bpe_train.ts";
 * const sym = byteSymbols();
 * assert.equal(sym.length, 256);
 * assert.deepEqual(sym[0], { byte: 33, char: "!" });
 * assert.deepEqual(sym[188], { byte: 0, char: "\u0100" });
 * ```
 */
export function byteSymbols(): { byte: number; char: string }[] {
  const printable: number[] = [];
  const add = (a: number, b: number) => {
    for (let x = a; x <= b; x++) printable.push(x);
  };
  add(0x21, 0x7e), add(0xa1, 0xac), add(0xae, 0xff);
  const out = printable.map((b) => ({ byte: b, char: String.fromCharCode(b) }));
  const seen = new Set(printable);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!seen.has(b)) out.push({ byte: b, char: String.fromCharCode(256 + n++) });
  }
  return out;
}

/** Max-heap of (count, pair key) with the smaller key first on ties. */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];
  get size(): number {
    return this.counts.length;
  }
  private above(i: number, j: number): boolean {
    const c = this.counts, k = this.keys;
    return c[i] > c[j] || (c[i] === c[j] && k[i] < k[j]);
  }
  private swap(i: number, j: number) {
    const c = this.counts, k = this.keys;
    [c[i], c[j]] = [c[j], c[i]];
    [k[i], k[j]] = [k[j], k[i]];
  }
  push(count: number, key: number) {
    this.counts.push(count), this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.above(i, p)) break;
      this.swap(i, p), i = p;
    }
  }
  pop(): [number, number] {
    const top: [number, number] = [this.counts[0], this.keys[0]];
    const lastC = this.counts.pop()!, lastK = this.keys.pop()!;
    if (this.counts.length > 0) {
      this.counts[0] = lastC, this.keys[0] = lastK;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < this.counts.length && this.above(l, m)) m = l;
        if (r < this.counts.length && this.above(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m), i = m;
      }
    }
    return top;
  }
}

const PAIR = 1 << 16; // pair key = left * PAIR + right; ids stay below 2^16

/** Distinct pre-token pieces of `text` and how often each occurs (first-seen order). */
function countPieces(text: string): { counts: Map<string, number>; total: number } {
  const pre = new ByteLevelPreTokenizer({
    type: "ByteLevel",
    add_prefix_space: false,
    trim_offsets: true,
    use_regex: true,
  });
  const pieces = pre.pre_tokenize_text(text);
  const counts = new Map<string, number>();
  for (const p of pieces) counts.set(p, (counts.get(p) ?? 0) + 1);
  return { counts, total: pieces.length };
}

/**
 * The training state: every distinct piece as a word of symbol ids with its
 * frequency, the count of every adjacent pair, and which words hold it.
 */
class MergeState {
  readonly words: number[][] = [];
  readonly freq: number[] = [];
  readonly pairCount = new Map<number, number>();
  readonly where = new Map<number, Set<number>>();

  constructor(pieceCounts: Map<string, number>, idOf: Map<string, number>) {
    for (const [piece, c] of pieceCounts) {
      this.words.push([...piece].map((ch) => idOf.get(ch)!));
      this.freq.push(c);
    }
    for (let w = 0; w < this.words.length; w++) this.addPairs(w, 1);
  }

  /** Adds (sign 1) or removes (sign -1) the pairs of word `w`, noting their keys in `touched`. */
  addPairs(w: number, sign: number, touched?: Set<number>): void {
    const word = this.words[w], c = this.freq[w] * sign;
    for (let i = 0; i + 1 < word.length; i++) {
      const k = word[i] * PAIR + word[i + 1];
      this.pairCount.set(k, (this.pairCount.get(k) ?? 0) + c);
      touched?.add(k);
      if (sign > 0) {
        let s = this.where.get(k);
        if (!s) this.where.set(k, s = new Set());
        s.add(w);
      }
    }
  }

  /**
   * Replaces pair (a, b) by `id` in every word that holds it and returns the
   * keys whose counts changed. The merged pair's word set is dropped.
   */
  merge(key: number, id: number): Set<number> {
    const a = Math.floor(key / PAIR), b = key % PAIR;
    const touched = new Set<number>();
    for (const w of this.where.get(key) ?? []) {
      const word = this.words[w];
      let has = false;
      for (let i = 0; i + 1 < word.length && !has; i++) has = word[i] === a && word[i + 1] === b;
      if (!has) continue;
      this.addPairs(w, -1, touched);
      const out: number[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === a && word[i + 1] === b) out.push(id), i++;
        else out.push(word[i]);
      }
      this.words[w] = out;
      this.addPairs(w, 1, touched);
    }
    this.where.delete(key);
    return touched;
  }

  /** Tokens the pieces split into now, counted with repetition. */
  tokenCount(): number {
    let total = 0;
    for (let w = 0; w < this.words.length; w++) total += this.words[w].length * this.freq[w];
    return total;
  }
}

/**
 * Merges the most frequent pair (ties: the smaller key) until `tokens` holds
 * `target` symbols, no pair is left, or the best pair is rarer than
 * `minFrequency`. Grows `tokens` and `idOf`; returns the merges in rank order.
 */
function learnMerges(
  state: MergeState,
  tokens: string[],
  idOf: Map<string, number>,
  target: number,
  minFrequency: number,
): string[] {
  const { pairCount, where } = state;
  const heap = new PairHeap();
  for (const [k, c] of pairCount) heap.push(c, k);
  const merges: string[] = [];
  while (tokens.length < target && heap.size > 0) {
    const [count, key] = heap.pop();
    if (pairCount.get(key) !== count) continue; // stale entry
    if (count < minFrequency) break;
    const a = Math.floor(key / PAIR), b = key % PAIR;
    const merged = tokens[a] + tokens[b];
    let id = idOf.get(merged);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(merged);
      idOf.set(merged, id);
    }
    merges.push(`${tokens[a]} ${tokens[b]}`);
    for (const k of state.merge(key, id)) {
      const c = pairCount.get(k)!;
      if (c > 0) heap.push(c, k);
      else pairCount.delete(k), where.delete(k);
    }
  }
  return merges;
}

/** tokenizer.json of a byte-level BPE: vocabulary, merges, specials appended after it. */
function tokenizerJsonOf(tokens: string[], merges: string[], specials: string[]): string {
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => (vocab[t] = i));
  const added = specials.map((content, i) => ({
    id: tokens.length + i,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const byteLevel = { add_prefix_space: false, trim_offsets: true, use_regex: true };
  const json = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", ...byteLevel },
    post_processor: { type: "ByteLevel", ...byteLevel, trim_offsets: false },
    decoder: { type: "ByteLevel", ...byteLevel },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
  return JSON.stringify(json) + "\n";
}

/** tokenizer_config.json: the first special token is both BOS and EOS. */
function tokenizerConfigJsonOf(specials: string[]): string {
  const config = {
    tokenizer_class: "PreTrainedTokenizerFast",
    bos_token: specials[0] ?? null,
    eos_token: specials[0] ?? null,
    clean_up_tokenization_spaces: false,
    model_max_length: 1_000_000,
  };
  return JSON.stringify(config, null, 2) + "\n";
}

/**
 * Trains a byte-level BPE on `text` (one stream, split by the GPT-2
 * pre-tokenizer regex) and returns Hugging Face tokenizer files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainBpe } from "./bpe_train.ts";
 * const r = trainBpe("the cat sat on the mat. the end.", { vocabSize: 260 });
 * // "a t" occurs 3 times, tied with "h e": the smaller ids win.
 * assert.equal(r.merges[0], "a t");
 * assert.equal(r.vocabSize, 260);
 * ```
 */
export function trainBpe(text: string, opts: BpeTrainOptions): BpeTrainResult {
  const specials = opts.specialTokens ?? ["<|endoftext|>"];
  const minFrequency = opts.minFrequency ?? 2;
  const target = opts.vocabSize - specials.length;
  if (!Number.isInteger(opts.vocabSize) || target <= 256 || opts.vocabSize > PAIR) {
    throw new RangeError(
      `vocabSize = ${opts.vocabSize}; use an integer in [${257 + specials.length}, ${PAIR}]`,
    );
  }
  const pieces = countPieces(text);
  const tokens: string[] = byteSymbols().map((s) => s.char);
  const idOf = new Map<string, number>(tokens.map((t, i) => [t, i]));
  const state = new MergeState(pieces.counts, idOf);
  const merges = learnMerges(state, tokens, idOf, target, minFrequency);
  return {
    tokenizerJson: tokenizerJsonOf(tokens, merges, specials),
    tokenizerConfigJson: tokenizerConfigJsonOf(specials),
    merges,
    vocabSize: tokens.length + specials.length,
    pieces: pieces.total,
    tokens: state.tokenCount(),
  };
}
