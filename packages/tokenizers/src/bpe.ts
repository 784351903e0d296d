/**
 * Byte-level BPE as in GPT-2 (Radford et al. 2019; openai/gpt-2 encoder.py), trained here.
 *
 * Text -> split on special tokens -> GPT-2 regex pre-tokens -> UTF-8 bytes -> one token per
 * byte -> merges applied by rank. Ids: special tokens first, then the 256 byte tokens (in byte
 * order), then one id per merge. Token strings use GPT-2's bytes_to_unicode alphabet, so the
 * vocab and merges save as a Hugging Face ByteLevel BPE tokenizer.json that `tokenizers`
 * encodes to the same ids (checked in io.test.ts).
 */
import { type HFTokenizerJSON, hfAddedTokens, hfBpeModel, parseBpeJSON, TokenizerFormatError } from './hf.js';
import { IdBuffer, specialTokenPattern, splitOnSpecialTokens } from './special.js';
import type { Tokenizer } from './types.js';

// ---------------------------------------------------------------------------------------------
// Byte-level alphabet and pre-tokenizer
// ---------------------------------------------------------------------------------------------

/**
 * GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the other 68 bytes to
 * U+0100.. in byte order, so every token is a printable string without spaces (space -> 'Ġ').
 */
function buildByteToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const map: string[] = new Array(256);
  for (const b of printable) map[b] = String.fromCharCode(b);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (map[b] === undefined) map[b] = String.fromCharCode(256 + next++);
  }
  return map;
}

/** byte -> its one-character token string. */
export const BYTE_TO_UNICODE: readonly string[] = buildByteToUnicode();
/** Inverse of BYTE_TO_UNICODE. */
export const UNICODE_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_UNICODE.map((ch, b) => [ch, b]));

/**
 * Unicode White_Space, spelled out. HF's regex engine (Oniguruma) reads `\s` as White_Space,
 * which includes U+0085 and excludes U+FEFF; JavaScript's `\s` is the other way round.
 */
const WS = '\\t-\\r \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';

/** GPT-2's pre-tokenization regex, with `\s` as above. */
export const GPT2_SPLIT_PATTERN = new RegExp(
  `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|[${WS}]+(?![^${WS}])|[${WS}]+`,
  'gu',
);

/**
 * Calls `visit` on each GPT-2 pre-token of `text`, in order. Text the regex does not match
 * (none, for valid strings) is kept as its own piece, as HF's Split with behavior Isolated does.
 */
export function forEachPreToken(text: string, visit: (piece: string) => void): void {
  let last = 0;
  for (const match of text.matchAll(GPT2_SPLIT_PATTERN)) {
    if (match.index > last) visit(text.slice(last, match.index));
    visit(match[0]);
    last = match.index + match[0].length;
  }
  if (last < text.length) visit(text.slice(last));
}

/** GPT-2 pre-tokens of `text` (no special-token handling). */
export function preTokenize(text: string): string[] {
  const pieces: string[] = [];
  forEachPreToken(text, (piece) => pieces.push(piece));
  return pieces;
}

const utf8Encoder = new TextEncoder();
// Not fatal: ids that cut a character in half decode to U+FFFD, as HF's ByteLevel decoder does.
const utf8Decoder = new TextDecoder('utf-8');

// Pair (left id, right id) packed in one number; ids stay below 2^20 (checked in the constructor).
const PAIR_BASE = 1 << 20;
const pairKey = (left: number, right: number): number => left * PAIR_BASE + right;

// ---------------------------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------------------------

export interface BpeTrainOptions {
  /** Final vocabulary size, specials and the 256 byte tokens included. Training stops early if no pair is left. */
  vocabSize: number;
  /** Special tokens, given the first ids in this order, e.g. ['<|endoftext|>']. Never merged into. */
  specialTokens?: readonly string[];
}

/**
 * Max-heap of (count, pair key): highest count first, then the smallest key, i.e. the pair
 * whose left id (then right id) is smallest. Entries go stale when a count changes; the
 * trainer skips entries whose count no longer matches (lazy deletion).
 */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    this.up(this.keys.length - 1);
  }

  /** Removes the top; returns [count, key] or null if empty. */
  pop(): [number, number] | null {
    const n = this.keys.length;
    if (n === 0) return null;
    const top: [number, number] = [this.counts[0], this.keys[0]];
    const lastCount = this.counts.pop()!;
    const lastKey = this.keys.pop()!;
    if (n > 1) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      this.down(0);
    }
    return top;
  }

  private before(i: number, j: number): boolean {
    return (
      this.counts[i] > this.counts[j] || (this.counts[i] === this.counts[j] && this.keys[i] < this.keys[j])
    );
  }

  private swap(i: number, j: number): void {
    const c = this.counts[i];
    this.counts[i] = this.counts[j];
    this.counts[j] = c;
    const k = this.keys[i];
    this.keys[i] = this.keys[j];
    this.keys[j] = k;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.keys.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < n && this.before(l, best)) best = l;
      if (r < n && this.before(r, best)) best = r;
      if (best === i) break;
      this.swap(i, best);
      i = best;
    }
  }
}

/** Replaces every non-overlapping (left, right), scanning left to right, by `merged`; null if none. */
function mergePairInWord(word: Int32Array, left: number, right: number, merged: number): Int32Array | null {
  let found = false;
  for (let i = 0; i + 1 < word.length; i++) {
    if (word[i] === left && word[i + 1] === right) {
      found = true;
      break;
    }
  }
  if (!found) return null;
  const out = new Int32Array(word.length);
  let n = 0;
  for (let i = 0; i < word.length; i++) {
    if (i + 1 < word.length && word[i] === left && word[i + 1] === right) {
      out[n++] = merged;
      i++;
    } else {
      out[n++] = word[i];
    }
  }
  return out.slice(0, n);
}

function validateSpecialTokens(specialTokens: readonly string[], where: string): void {
  const seen = new Set<string>();
  for (const token of specialTokens) {
    if (token.length === 0) throw new Error(`${where}: special tokens must be non-empty strings`);
    if (seen.has(token)) throw new Error(`${where}: special token ${JSON.stringify(token)} is listed twice`);
    if (UNICODE_TO_BYTE.has(token)) {
      throw new Error(
        `${where}: special token ${JSON.stringify(token)} is also a byte token; pick a longer name`,
      );
    }
    seen.add(token);
  }
}

/** Pre-token -> number of occurrences over all texts; special tokens are cut out first and not counted. */
export function countPreTokens(
  texts: readonly string[],
  specialTokens: readonly string[] = [],
): Map<string, number> {
  const pattern = specialTokenPattern(specialTokens);
  const counts = new Map<string, number>();
  const add = (piece: string): void => {
    counts.set(piece, (counts.get(piece) ?? 0) + 1);
  };
  for (const text of texts) {
    for (const segment of splitOnSpecialTokens(text, pattern)) {
      if (!segment.special) forEachPreToken(segment.text, add);
    }
  }
  return counts;
}

/**
 * Learns merges on `texts`. Words (pre-tokens) are counted once; each step merges the most
 * frequent adjacent pair (ties: smallest left id, then smallest right id) and updates only the
 * counts of words that contain it, found through a pair -> words index.
 */
function trainBpe(texts: readonly string[], options: BpeTrainOptions): BpeTokenizer {
  const specials = [...(options.specialTokens ?? [])];
  validateSpecialTokens(specials, 'BpeTokenizer.train');
  const minVocab = specials.length + 256;
  if (!Number.isInteger(options.vocabSize) || options.vocabSize < minVocab) {
    throw new Error(
      `BpeTokenizer.train: vocabSize ${options.vocabSize} is below ${minVocab} (${specials.length} special tokens + 256 bytes)`,
    );
  }
  if (options.vocabSize > PAIR_BASE)
    throw new Error(`BpeTokenizer.train: vocabSize must be at most ${PAIR_BASE}`);

  const vocab: string[] = [...specials, ...BYTE_TO_UNICODE];
  const tokenIds = new Map<string, number>(vocab.map((token, id) => [token, id]));
  const specialSet = new Set(specials);
  const byteBase = specials.length;

  // Words as byte-token ids with their frequencies, in first-seen order (deterministic).
  const wordCounts = countPreTokens(texts, specials);
  const words: Int32Array[] = [];
  const freqs: number[] = [];
  for (const [word, count] of wordCounts) {
    const bytes = utf8Encoder.encode(word);
    const ids = new Int32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) ids[i] = byteBase + bytes[i];
    words.push(ids);
    freqs.push(count);
  }

  // pair -> total count, and pair -> words that (may) contain it; duplicates and stale entries are
  // allowed in the index and filtered when a merge visits them.
  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  for (let w = 0; w < words.length; w++) {
    const word = words[w];
    for (let i = 0; i + 1 < word.length; i++) {
      const key = pairKey(word[i], word[i + 1]);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + freqs[w]);
      const list = pairWords.get(key);
      if (list === undefined) pairWords.set(key, [w]);
      else if (list[list.length - 1] !== w) list.push(w);
    }
  }
  const heap = new PairHeap();
  for (const [key, count] of pairCounts) heap.push(count, key);

  const merges: [number, number][] = [];
  const banned = new Set<number>();
  const visited = new Int32Array(words.length).fill(-1);
  const delta = new Map<number, number>();
  let step = 0;
  while (vocab.length < options.vocabSize) {
    const top = heap.pop();
    if (top === null) break;
    const [count, key] = top;
    if (pairCounts.get(key) !== count || banned.has(key)) continue; // stale heap entry
    const left = Math.floor(key / PAIR_BASE);
    const right = key % PAIR_BASE;
    const mergedToken = vocab[left] + vocab[right];
    if (specialSet.has(mergedToken)) {
      // A learned token may not share its string with a special token (they share one HF vocab).
      banned.add(key);
      continue;
    }
    // As in HF's BpeTrainer, a string reached by two different merges keeps its first id.
    let merged = tokenIds.get(mergedToken);
    if (merged === undefined) {
      merged = vocab.length;
      vocab.push(mergedToken);
      tokenIds.set(mergedToken, merged);
    }
    merges.push([left, right]);

    delta.clear();
    for (const w of pairWords.get(key) ?? []) {
      if (visited[w] === step) continue;
      visited[w] = step;
      const before = words[w];
      const after = mergePairInWord(before, left, right, merged);
      if (after === null) continue;
      const freq = freqs[w];
      for (let i = 0; i + 1 < before.length; i++) {
        const k = pairKey(before[i], before[i + 1]);
        delta.set(k, (delta.get(k) ?? 0) - freq);
      }
      for (let i = 0; i + 1 < after.length; i++) {
        const k = pairKey(after[i], after[i + 1]);
        delta.set(k, (delta.get(k) ?? 0) + freq);
        if (after[i] === merged || after[i + 1] === merged) {
          const list = pairWords.get(k);
          if (list === undefined) pairWords.set(k, [w]);
          else if (list[list.length - 1] !== w) list.push(w);
        }
      }
      words[w] = after;
    }
    for (const [k, d] of delta) {
      if (d === 0) continue;
      const updated = (pairCounts.get(k) ?? 0) + d;
      if (updated > 0) {
        pairCounts.set(k, updated);
        heap.push(updated, k);
      } else {
        pairCounts.delete(k);
        pairWords.delete(k);
      }
    }
    pairCounts.delete(key);
    pairWords.delete(key);
    step++;
  }

  const specialIds: Record<string, number> = {};
  specials.forEach((token, id) => {
    specialIds[token] = id;
  });
  return new BpeTokenizer(
    vocab,
    merges.map(([l, r]) => [vocab[l], vocab[r]]),
    specialIds,
  );
}

// ---------------------------------------------------------------------------------------------
// Tokenizer
// ---------------------------------------------------------------------------------------------

/** Encoded pre-tokens kept per tokenizer; cleared when full so memory stays bounded. */
const WORD_CACHE_LIMIT = 100_000;

export class BpeTokenizer implements Tokenizer {
  readonly kind = 'bpe';
  readonly vocabSize: number;
  readonly specialTokens: Readonly<Record<string, number>>;
  /** Merges as token-string pairs, in rank order (rank 0 first). */
  readonly merges: readonly (readonly [string, string])[];
  private readonly vocab: readonly string[];
  private readonly ids: Map<string, number>;
  private readonly byteIds: Int32Array;
  private readonly tokenBytes: Uint8Array[];
  /** pair key -> rank; mergeResult[rank] is the id the pair becomes. */
  private readonly mergeRanks: Map<number, number>;
  private readonly mergeResult: Int32Array;
  private readonly specialPattern: RegExp | null;
  private readonly cache = new Map<string, Int32Array>();

  /**
   * @param vocab id -> token string (byte-level alphabet; all 256 byte tokens must be present).
   * @param merges token-string pairs in rank order; each pair's concatenation must be in the vocab.
   * @param specialTokens content -> id of tokens matched whole in the input.
   */
  constructor(
    vocab: readonly string[],
    merges: readonly (readonly [string, string])[],
    specialTokens: Readonly<Record<string, number>> = {},
  ) {
    if (vocab.length > PAIR_BASE) throw new Error(`BpeTokenizer: at most ${PAIR_BASE} tokens are supported`);
    this.vocab = [...vocab];
    this.vocabSize = vocab.length;
    this.ids = new Map();
    vocab.forEach((token, id) => {
      if (this.ids.has(token))
        throw new Error(`BpeTokenizer: token ${JSON.stringify(token)} appears twice in the vocab`);
      this.ids.set(token, id);
    });
    for (const [token, id] of Object.entries(specialTokens)) {
      if (vocab[id] !== token)
        throw new Error(`BpeTokenizer: special token ${JSON.stringify(token)} is not at id ${id}`);
    }
    this.specialTokens = Object.freeze({ ...specialTokens });

    this.byteIds = new Int32Array(256);
    for (let b = 0; b < 256; b++) {
      const id = this.ids.get(BYTE_TO_UNICODE[b]);
      if (id === undefined) {
        throw new Error(
          `BpeTokenizer: byte 0x${b.toString(16)} (token ${JSON.stringify(BYTE_TO_UNICODE[b])}) is missing from the vocab`,
        );
      }
      this.byteIds[b] = id;
    }
    this.tokenBytes = this.vocab.map((token, id) => {
      if (Object.hasOwn(this.specialTokens, token)) return utf8Encoder.encode(token);
      const chars = [...token];
      const bytes = new Uint8Array(chars.length);
      chars.forEach((ch, i) => {
        const b = UNICODE_TO_BYTE.get(ch);
        if (b === undefined) {
          throw new Error(
            `BpeTokenizer: token ${id} (${JSON.stringify(token)}) has ${JSON.stringify(ch)}, which is not a byte-level character`,
          );
        }
        bytes[i] = b;
      });
      return bytes;
    });

    this.merges = merges.map(([l, r]) => [l, r] as const);
    this.mergeRanks = new Map();
    this.mergeResult = new Int32Array(merges.length);
    merges.forEach(([l, r], rank) => {
      const left = this.ids.get(l);
      const right = this.ids.get(r);
      const merged = this.ids.get(l + r);
      if (left === undefined || right === undefined || merged === undefined) {
        throw new Error(
          `BpeTokenizer: merge ${rank} (${JSON.stringify(l)} ${JSON.stringify(r)}) uses a token missing from the vocab`,
        );
      }
      const key = pairKey(left, right);
      // HF keeps the last rank for a duplicated merge (it builds a HashMap); so do we.
      this.mergeRanks.set(key, rank);
      this.mergeResult[rank] = merged;
    });
    this.specialPattern = specialTokenPattern(Object.keys(specialTokens));
  }

  /** Trains on `texts` (see trainBpe). */
  static train(texts: readonly string[], options: BpeTrainOptions): BpeTokenizer {
    return trainBpe(texts, options);
  }

  /** Reads a ByteLevel BPE tokenizer.json, ours or e.g. GPT-2's. */
  static fromHuggingFaceJSON(json: unknown): BpeTokenizer {
    const parsed = parseBpeJSON(json);
    const pre = parsed.preTokenizer;
    if (
      pre === null ||
      pre.type !== 'ByteLevel' ||
      pre.use_regex === false ||
      pre.add_prefix_space === true
    ) {
      throw new TokenizerFormatError(
        `expected pre_tokenizer {type: "ByteLevel", add_prefix_space: false, use_regex: true}, got ${JSON.stringify(pre)}`,
      );
    }
    const normalizer = (json as { normalizer?: unknown }).normalizer ?? null;
    if (normalizer !== null)
      throw new TokenizerFormatError(`normalizer must be null, got ${JSON.stringify(normalizer)}`);
    return new BpeTokenizer(parsed.vocab, parsed.merges, parsed.specialTokens);
  }

  encode(text: string): Int32Array {
    const out = new IdBuffer(Math.ceil(text.length / 3));
    for (const segment of splitOnSpecialTokens(text, this.specialPattern)) {
      if (segment.special) out.push(this.specialTokens[segment.text]);
      else forEachPreToken(segment.text, (piece) => out.pushAll(this.encodeWord(piece)));
    }
    return out.toInt32Array();
  }

  /** Ids of one pre-token (no special-token or regex splitting). */
  encodeWord(word: string): Int32Array {
    let ids = this.cache.get(word);
    if (ids === undefined) {
      ids = this.applyMerges(word);
      if (this.cache.size >= WORD_CACHE_LIMIT) this.cache.clear();
      this.cache.set(word, ids);
    }
    return ids;
  }

  /**
   * Mirrors HF's `Word::merge_all`: a queue of candidate merges ordered by (rank, position);
   * a popped candidate is applied if the pair now at that position still merges into the same id.
   */
  private applyMerges(word: string): Int32Array {
    const bytes = utf8Encoder.encode(word);
    const n = bytes.length;
    const symbols = new Int32Array(n);
    for (let i = 0; i < n; i++) symbols[i] = this.byteIds[bytes[i]];
    if (n < 2 || this.mergeRanks.size === 0) return symbols;
    // Doubly linked list over positions; alive[i] = 0 once i is merged into its left neighbour.
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const alive = new Uint8Array(n).fill(1);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    // Candidates as rank * n + pos: smaller is first, i.e. lowest rank, then leftmost.
    const queue = new MinHeap();
    const consider = (pos: number): void => {
      const right = next[pos];
      if (right < 0) return;
      const rank = this.mergeRanks.get(pairKey(symbols[pos], symbols[right]));
      if (rank !== undefined) queue.push(rank * n + pos);
    };
    for (let i = 0; i + 1 < n; i++) consider(i);
    while (queue.size > 0) {
      const item = queue.pop();
      const rank = Math.floor(item / n);
      const pos = item - rank * n;
      if (!alive[pos]) continue;
      const right = next[pos];
      if (right < 0) continue;
      const currentRank = this.mergeRanks.get(pairKey(symbols[pos], symbols[right]));
      const merged = this.mergeResult[rank];
      if (currentRank === undefined || this.mergeResult[currentRank] !== merged) continue;
      symbols[pos] = merged;
      alive[right] = 0;
      next[pos] = next[right];
      if (next[right] >= 0) prev[next[right]] = pos;
      if (prev[pos] >= 0) consider(prev[pos]);
      consider(pos);
    }
    let count = 0;
    for (let i = 0; i < n; i++) count += alive[i];
    const out = new Int32Array(count);
    let j = 0;
    for (let i = 0; i < n; i++) if (alive[i]) out[j++] = symbols[i];
    return out;
  }

  /** Joins the tokens' bytes and decodes them as UTF-8 (invalid sequences -> U+FFFD). */
  decode(ids: ArrayLike<number>): string {
    let length = 0;
    for (let i = 0; i < ids.length; i++) {
      const bytes = this.tokenBytes[ids[i]];
      if (bytes === undefined)
        throw new Error(`BpeTokenizer.decode: id ${ids[i]} is outside 0..${this.vocabSize - 1}`);
      length += bytes.length;
    }
    const all = new Uint8Array(length);
    let offset = 0;
    for (let i = 0; i < ids.length; i++) {
      const bytes = this.tokenBytes[ids[i]];
      all.set(bytes, offset);
      offset += bytes.length;
    }
    return utf8Decoder.decode(all);
  }

  idToToken(id: number): string | undefined {
    return this.vocab[id];
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  toHuggingFaceJSON(): HFTokenizerJSON {
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: hfAddedTokens(this.specialTokens),
      normalizer: null,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      // Adds no tokens; kept as in GPT-2's tokenizer.json (trim_offsets only touches offsets).
      post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
      decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      model: hfBpeModel(this.vocab, this.merges, null),
    };
  }
}

/** Binary min-heap of numbers, for the merge queue of one word. */
class MinHeap {
  private items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(value: number): void {
    const items = this.items;
    items.push(value);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent] <= value) break;
      items[i] = items[parent];
      i = parent;
    }
    items[i] = value;
  }

  pop(): number {
    const items = this.items;
    const top = items[0];
    const last = items.pop()!;
    const n = items.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const child = r < n && items[r] < items[l] ? r : l;
        if (items[child] >= last) break;
        items[i] = items[child];
        i = child;
      }
      items[i] = last;
    }
    return top;
  }
}
