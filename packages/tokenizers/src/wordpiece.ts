/**
 * WordPiece tokenizer (BERT): BertNormalizer, BertPreTokenizer, greedy longest-match-first
 * subwords with the '##' continuation prefix, and the `[CLS] A [SEP] B [SEP]` template.
 *
 * Training is Hugging Face's WordPiece trainer algorithm (BPE-style merges on words whose
 * non-initial characters carry '##'; the merged tokens are the vocabulary), with an optional
 * likelihood score `count(a,b) / (count(a) * count(b))` instead of the pair count.
 * Saved as a Hugging Face tokenizer.json that the `tokenizers` library encodes to the same ids
 * (checked in wordpiece.test.ts).
 */
import { type HFAddedToken, hfAddedTokens, TokenizerFormatError } from './hf.js';
import { bertNormalize, bertPreTokenize } from './normalize.js';
import { IdBuffer, specialTokenPattern, splitOnSpecialTokens } from './special.js';
import type { Tokenizer } from './types.js';

/** BERT's special tokens, ids 0-4 in this order. */
export const WORDPIECE_SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
export const WORDPIECE_PREFIX = '##';
export const MAX_INPUT_CHARS_PER_WORD = 100;

export interface WordPieceNormalization {
  /** Lowercase (BERT uncased). Default true. */
  lowercase: boolean;
  /** NFD and drop nonspacing marks ('café' -> 'cafe'). Default: same as lowercase, as in HF. */
  stripAccents: boolean;
}

export interface WordPieceTrainOptions extends Partial<WordPieceNormalization> {
  /** Target vocabulary size, the 5 special tokens included. Reached unless the corpus runs out of pairs. */
  vocabSize: number;
  /**
   * 'frequency' (default): merge the most frequent pair, as HF's WordPieceTrainer does.
   * 'likelihood': merge the pair with the highest count(a,b) / (count(a) * count(b)).
   * Ties: smallest left id, then smallest right id.
   */
  scoring?: 'frequency' | 'likelihood';
  /** Pairs seen fewer times than this are never merged. Default 2. */
  minFrequency?: number;
  /**
   * At most this many distinct characters (the most frequent; ties by code point) enter the
   * alphabet, each both as 'c' and '##c'; rarer characters become [UNK]. Default 1000, and never
   * more than fits in vocabSize.
   */
  limitAlphabet?: number;
}

/** ids and token type ids for a sequence with BERT's special tokens. */
export interface EncodingWithSpecials {
  ids: Int32Array;
  typeIds: Uint8Array;
}

interface HFWordPieceJSON {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: HFAddedToken[];
  normalizer: Record<string, unknown>;
  pre_tokenizer: Record<string, unknown>;
  post_processor: Record<string, unknown>;
  decoder: Record<string, unknown>;
  model: {
    type: 'WordPiece';
    unk_token: string;
    continuing_subword_prefix: string;
    max_input_chars_per_word: number;
    vocab: Record<string, number>;
  };
}

/** HF's WordPiece decoder cleanup (`decoders::wordpiece::cleanup`). */
function cleanup(s: string): string {
  return s
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(' do not', " don't")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

const CACHE_LIMIT = 200_000;

export class WordPieceTokenizer implements Tokenizer {
  readonly kind = 'wordpiece';
  readonly vocabSize: number;
  readonly specialTokens: Readonly<Record<string, number>>;
  readonly normalization: Readonly<WordPieceNormalization>;
  readonly unkToken: string;
  readonly clsToken: string;
  readonly sepToken: string;
  private readonly vocab: readonly string[];
  private readonly ids: Map<string, number>;
  private readonly unkId: number;
  private readonly clsId: number;
  private readonly sepId: number;
  private readonly maxTokenChars: number;
  private readonly specialPattern: RegExp | null;
  private readonly cache = new Map<string, Int32Array>();

  /**
   * @param vocab id -> token (continuations carry '##').
   * @param specialTokens content -> id of the tokens matched whole in the raw input.
   */
  constructor(
    vocab: readonly string[],
    specialTokens: Readonly<Record<string, number>>,
    normalization: Partial<WordPieceNormalization> = {},
    tokens: { unk?: string; cls?: string; sep?: string } = {},
  ) {
    this.vocab = [...vocab];
    this.vocabSize = vocab.length;
    this.ids = new Map();
    let maxChars = 1;
    vocab.forEach((token, id) => {
      if (this.ids.has(token))
        throw new Error(`WordPieceTokenizer: token ${JSON.stringify(token)} appears twice in the vocab`);
      this.ids.set(token, id);
      maxChars = Math.max(maxChars, token.length);
    });
    this.maxTokenChars = maxChars;
    for (const [token, id] of Object.entries(specialTokens)) {
      if (vocab[id] !== token)
        throw new Error(`WordPieceTokenizer: special token ${JSON.stringify(token)} is not at id ${id}`);
    }
    this.specialTokens = Object.freeze({ ...specialTokens });
    const lowercase = normalization.lowercase ?? true;
    this.normalization = Object.freeze({ lowercase, stripAccents: normalization.stripAccents ?? lowercase });
    this.unkToken = tokens.unk ?? '[UNK]';
    this.clsToken = tokens.cls ?? '[CLS]';
    this.sepToken = tokens.sep ?? '[SEP]';
    const need = (token: string): number => {
      const id = this.ids.get(token);
      if (id === undefined)
        throw new Error(`WordPieceTokenizer: ${JSON.stringify(token)} is not in the vocab`);
      return id;
    };
    this.unkId = need(this.unkToken);
    this.clsId = need(this.clsToken);
    this.sepId = need(this.sepToken);
    this.specialPattern = specialTokenPattern(Object.keys(specialTokens));
  }

  /** Trains on `texts`; see WordPieceTrainOptions. Special tokens in the texts are skipped. */
  static train(texts: readonly string[], options: WordPieceTrainOptions): WordPieceTokenizer {
    const lowercase = options.lowercase ?? true;
    const normalization = { lowercase, stripAccents: options.stripAccents ?? lowercase };
    const { vocabSize } = options;
    const specials: string[] = [...WORDPIECE_SPECIAL_TOKENS];
    if (!Number.isInteger(vocabSize) || vocabSize < specials.length + 2)
      throw new Error(`WordPieceTokenizer.train: vocabSize must be an integer >= ${specials.length + 2}`);
    const minFrequency = options.minFrequency ?? 2;
    const likelihood = (options.scoring ?? 'frequency') === 'likelihood';
    if (options.scoring !== undefined && options.scoring !== 'frequency' && options.scoring !== 'likelihood')
      throw new Error(`WordPieceTokenizer.train: scoring must be 'frequency' or 'likelihood'`);

    // 1. Distinct normalized words and their counts.
    const pattern = specialTokenPattern(specials);
    const wordCounts = new Map<string, number>();
    const countWord = (word: string): void => {
      wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
    };
    for (const text of texts) {
      for (const segment of splitOnSpecialTokens(text, pattern)) {
        if (!segment.special) bertPreTokenize(bertNormalize(segment.text, normalization), countWord);
      }
    }

    // 2. Alphabet: the most frequent characters, each as a word start and as a continuation.
    const charCounts = new Map<string, number>();
    const words: string[][] = [];
    const counts: number[] = [];
    for (const [word, count] of wordCounts) {
      const chars = [...word];
      if (chars.length > MAX_INPUT_CHARS_PER_WORD) continue; // always [UNK]
      words.push(chars);
      counts.push(count);
      for (const ch of chars) charCounts.set(ch, (charCounts.get(ch) ?? 0) + count);
    }
    const byCodePoint = (a: string, b: string): number => a.codePointAt(0)! - b.codePointAt(0)!;
    const maxAlphabet = Math.min(
      options.limitAlphabet ?? 1000,
      Math.floor((vocabSize - specials.length) / 2),
    );
    const alphabet = [...charCounts.keys()]
      .sort((a, b) => charCounts.get(b)! - charCounts.get(a)! || byCodePoint(a, b))
      .slice(0, maxAlphabet)
      .sort(byCodePoint);
    const tokens: string[] = [...specials, ...alphabet, ...alphabet.map((ch) => WORDPIECE_PREFIX + ch)];
    const tokenIds = new Map<string, number>(tokens.map((t, i) => [t, i]));

    // 3. Words as symbol ids (-1: a character outside the alphabet, never merged).
    const wordSymbols: Int32Array[] = words.map((chars) =>
      Int32Array.from(chars, (ch, i) => tokenIds.get(i === 0 ? ch : WORDPIECE_PREFIX + ch) ?? -1),
    );
    const wordCount = Float64Array.from(counts);

    // 4. Pair statistics: pair index <- key, counts, and which words hold each pair.
    const PAIR_KEY = 2 ** 22;
    const pairIndex = new Map<number, number>();
    let pairLeft = new Int32Array(1 << 16);
    let pairRight = new Int32Array(1 << 16);
    let pairCount = new Float64Array(1 << 16);
    const pairWords: number[][] = [];
    let tokenCount = new Float64Array(Math.max(vocabSize, tokens.length) + 16);
    const pairOf = (left: number, right: number): number => {
      const key = left * PAIR_KEY + right;
      let p = pairIndex.get(key);
      if (p === undefined) {
        p = pairWords.length;
        if (p === pairLeft.length) {
          const grow = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
            const b = make(a.length * 2);
            b.set(a);
            return b;
          };
          pairLeft = grow(pairLeft, (n) => new Int32Array(n));
          pairRight = grow(pairRight, (n) => new Int32Array(n));
          pairCount = grow(pairCount, (n) => new Float64Array(n));
        }
        pairIndex.set(key, p);
        pairLeft[p] = left;
        pairRight[p] = right;
        pairWords.push([]);
      }
      return p;
    };
    const addWord = (w: number, sign: number, register: boolean): void => {
      const symbols = wordSymbols[w];
      const c = wordCount[w] * sign;
      for (let i = 0; i < symbols.length; i++) {
        const s = symbols[i];
        if (s < 0) continue;
        tokenCount[s] += c;
        if (i + 1 < symbols.length && symbols[i + 1] >= 0) {
          const p = pairOf(s, symbols[i + 1]);
          pairCount[p] += c;
          if (register) pairWords[p].push(w);
        }
      }
    };
    for (let w = 0; w < wordSymbols.length; w++) addWord(w, 1, true);

    // 5. Merge until the vocabulary is full.
    const stamp = new Int32Array(wordSymbols.length).fill(-1);
    for (let step = 0; tokens.length < vocabSize; step++) {
      let best = -1;
      let bestScore = -1;
      const nPairs = pairWords.length;
      for (let p = 0; p < nPairs; p++) {
        const count = pairCount[p];
        if (count < minFrequency || count <= 0) continue;
        const score = likelihood ? count / (tokenCount[pairLeft[p]] * tokenCount[pairRight[p]]) : count;
        if (
          score > bestScore ||
          (score === bestScore &&
            (pairLeft[p] < pairLeft[best] ||
              (pairLeft[p] === pairLeft[best] && pairRight[p] < pairRight[best])))
        ) {
          best = p;
          bestScore = score;
        }
      }
      if (best < 0) break;
      const left = pairLeft[best];
      const right = pairRight[best];
      const merged = tokens[left] + tokens[right].slice(WORDPIECE_PREFIX.length);
      let newId = tokenIds.get(merged);
      if (newId === undefined) {
        newId = tokens.length;
        tokens.push(merged);
        tokenIds.set(merged, newId);
        if (newId >= tokenCount.length) {
          const next = new Float64Array(tokenCount.length * 2);
          next.set(tokenCount);
          tokenCount = next;
        }
      }
      const holders = pairWords[best];
      pairWords[best] = [];
      for (const w of holders) {
        if (stamp[w] === step) continue;
        stamp[w] = step;
        const old = wordSymbols[w];
        let found = false;
        for (let i = 0; i + 1 < old.length; i++) {
          if (old[i] === left && old[i + 1] === right) {
            found = true;
            break;
          }
        }
        if (!found) continue;
        addWord(w, -1, false);
        const next: number[] = [];
        for (let i = 0; i < old.length; i++) {
          if (i + 1 < old.length && old[i] === left && old[i + 1] === right) {
            next.push(newId);
            i++;
          } else {
            next.push(old[i]);
          }
        }
        wordSymbols[w] = Int32Array.from(next);
        addWord(w, 1, false);
        // Register the word under the pairs it did not hold before.
        for (let i = 0; i + 1 < next.length; i++) {
          if (next[i] !== newId && next[i + 1] !== newId) continue;
          if (next[i] < 0 || next[i + 1] < 0) continue;
          pairWords[pairOf(next[i], next[i + 1])].push(w);
        }
      }
      pairCount[best] = 0;
    }
    const specialIds: Record<string, number> = {};
    specials.forEach((token, id) => {
      specialIds[token] = id;
    });
    return new WordPieceTokenizer(tokens, specialIds, normalization);
  }

  /** Reads a tokenizer.json with a WordPiece model (ours, or BERT's from the Hub). */
  static fromHuggingFaceJSON(json: unknown): WordPieceTokenizer {
    if (typeof json !== 'object' || json === null) throw new TokenizerFormatError('expected a JSON object');
    const j = json as Partial<HFWordPieceJSON> & { normalizer?: Record<string, unknown> | null };
    const model = j.model;
    if (model?.type !== 'WordPiece') throw new TokenizerFormatError('model.type must be "WordPiece"');
    if (model.continuing_subword_prefix !== undefined && model.continuing_subword_prefix !== WORDPIECE_PREFIX)
      throw new TokenizerFormatError(`only continuing_subword_prefix "${WORDPIECE_PREFIX}" is supported`);
    if (
      model.max_input_chars_per_word !== undefined &&
      model.max_input_chars_per_word !== MAX_INPUT_CHARS_PER_WORD
    )
      throw new TokenizerFormatError(
        `only max_input_chars_per_word ${MAX_INPUT_CHARS_PER_WORD} is supported`,
      );
    if (typeof model.vocab !== 'object' || model.vocab === null)
      throw new TokenizerFormatError('model.vocab must be an object of token -> id');
    const entries = Object.entries(model.vocab);
    const vocab: string[] = new Array(entries.length);
    for (const [token, id] of entries) {
      if (!Number.isInteger(id) || id < 0 || id >= entries.length || vocab[id] !== undefined)
        throw new TokenizerFormatError(
          `model.vocab ids must be dense distinct integers 0..${entries.length - 1}`,
        );
      vocab[id] = token;
    }
    const normalizer = j.normalizer;
    if (normalizer?.type !== 'BertNormalizer')
      throw new TokenizerFormatError('normalizer must be BertNormalizer');
    if (normalizer.clean_text === false || normalizer.handle_chinese_chars === false)
      throw new TokenizerFormatError('only clean_text and handle_chinese_chars true are supported');
    const lowercase = normalizer.lowercase !== false;
    const stripAccents = typeof normalizer.strip_accents === 'boolean' ? normalizer.strip_accents : lowercase;
    const specialTokens: Record<string, number> = {};
    for (const token of j.added_tokens ?? []) {
      if (!token.special) continue;
      if (vocab[token.id] !== token.content)
        throw new TokenizerFormatError(
          `special token ${JSON.stringify(token.content)} is not at id ${token.id} in the vocab`,
        );
      specialTokens[token.content] = token.id;
    }
    return new WordPieceTokenizer(
      vocab,
      specialTokens,
      { lowercase, stripAccents },
      { unk: model.unk_token },
    );
  }

  /** The words HF's BertNormalizer + BertPreTokenizer make of `text` (no special-token handling). */
  preTokenize(text: string): string[] {
    const words: string[] = [];
    bertPreTokenize(bertNormalize(text, this.normalization), (w) => words.push(w));
    return words;
  }

  /** ids without [CLS]/[SEP]; special tokens written in the text are matched whole. */
  encode(text: string): Int32Array {
    const out = new IdBuffer(text.length);
    for (const segment of splitOnSpecialTokens(text, this.specialPattern)) {
      if (segment.special) {
        out.push(this.specialTokens[segment.text]);
        continue;
      }
      bertPreTokenize(bertNormalize(segment.text, this.normalization), (word) =>
        out.pushAll(this.encodeWord(word)),
      );
    }
    return out.toInt32Array();
  }

  /** `[CLS] text [SEP]`, type ids all 0 (HF's post-processor with add_special_tokens). */
  encodeWithSpecials(text: string): EncodingWithSpecials {
    const a = this.encode(text);
    const ids = new Int32Array(a.length + 2);
    ids[0] = this.clsId;
    ids.set(a, 1);
    ids[a.length + 1] = this.sepId;
    return { ids, typeIds: new Uint8Array(ids.length) };
  }

  /** `[CLS] a [SEP] b [SEP]`, type ids 0 up to and including the first [SEP], then 1. */
  encodePair(a: string, b: string): EncodingWithSpecials {
    const first = this.encode(a);
    const second = this.encode(b);
    const ids = new Int32Array(first.length + second.length + 3);
    ids[0] = this.clsId;
    ids.set(first, 1);
    ids[first.length + 1] = this.sepId;
    ids.set(second, first.length + 2);
    ids[ids.length - 1] = this.sepId;
    const typeIds = new Uint8Array(ids.length);
    typeIds.fill(1, first.length + 2);
    return { ids, typeIds };
  }

  /** Greedy longest-match-first, as HF's WordPiece model; any unmatched part makes the word [UNK]. */
  private encodeWord(word: string): Int32Array {
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    const chars = [...word];
    let result: Int32Array;
    if (chars.length > MAX_INPUT_CHARS_PER_WORD) {
      result = Int32Array.of(this.unkId);
    } else {
      const pieces: number[] = [];
      let start = 0;
      while (start < chars.length) {
        let end = Math.min(chars.length, start + this.maxTokenChars);
        let id: number | undefined;
        for (; end > start; end--) {
          const sub = chars.slice(start, end).join('');
          id = this.ids.get(start > 0 ? WORDPIECE_PREFIX + sub : sub);
          if (id !== undefined) break;
        }
        if (id === undefined) {
          pieces.length = 0;
          pieces.push(this.unkId);
          break;
        }
        pieces.push(id);
        start = end;
      }
      result = Int32Array.from(pieces);
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, result);
    return result;
  }

  /** HF's WordPiece decoder: '##' pieces join the previous token, others get a space; then cleanup. */
  decode(ids: ArrayLike<number>): string {
    let text = '';
    for (let i = 0; i < ids.length; i++) {
      let token = this.vocab[ids[i]];
      if (token === undefined)
        throw new Error(`WordPieceTokenizer.decode: id ${ids[i]} is outside 0..${this.vocabSize - 1}`);
      if (i > 0)
        token = token.startsWith(WORDPIECE_PREFIX) ? token.slice(WORDPIECE_PREFIX.length) : ` ${token}`;
      text += cleanup(token);
    }
    return text;
  }

  idToToken(id: number): string | undefined {
    return this.vocab[id];
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  toHuggingFaceJSON(): HFWordPieceJSON {
    const vocab: Record<string, number> = {};
    this.vocab.forEach((token, id) => {
      vocab[token] = id;
    });
    const cls = { id: this.clsToken, ids: [this.clsId], tokens: [this.clsToken] };
    const sep = { id: this.sepToken, ids: [this.sepId], tokens: [this.sepToken] };
    const special = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
    const sequence = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: hfAddedTokens(this.specialTokens),
      normalizer: {
        type: 'BertNormalizer',
        clean_text: true,
        handle_chinese_chars: true,
        strip_accents: this.normalization.stripAccents,
        lowercase: this.normalization.lowercase,
      },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: {
        type: 'TemplateProcessing',
        single: [special(this.clsToken, 0), sequence('A', 0), special(this.sepToken, 0)],
        pair: [
          special(this.clsToken, 0),
          sequence('A', 0),
          special(this.sepToken, 0),
          sequence('B', 1),
          special(this.sepToken, 1),
        ],
        special_tokens: { [this.clsToken]: cls, [this.sepToken]: sep },
      },
      decoder: { type: 'WordPiece', prefix: WORDPIECE_PREFIX, cleanup: true },
      model: {
        type: 'WordPiece',
        unk_token: this.unkToken,
        continuing_subword_prefix: WORDPIECE_PREFIX,
        max_input_chars_per_word: MAX_INPUT_CHARS_PER_WORD,
        vocab,
      },
    };
  }
}
