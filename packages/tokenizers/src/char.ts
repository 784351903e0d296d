/**
 * Character-level tokenizer: one token per Unicode code point seen in training.
 *
 * Vocabulary order: special tokens (in the order given), then `unkToken` if any, then the
 * characters sorted by code point. Saved as a Hugging Face BPE model with no merges and no
 * pre-tokenizer: HF's BPE splits each word into characters and looks each one up, which is
 * exactly character-level tokenization (unknown characters become unk_token one by one,
 * fuse_unk false). Checked against the `tokenizers` package in io.test.ts.
 */
import { type HFTokenizerJSON, hfAddedTokens, hfBpeModel, parseBpeJSON, TokenizerFormatError } from './hf.js';
import { IdBuffer, specialTokenPattern, splitOnSpecialTokens } from './special.js';
import type { Tokenizer } from './types.js';

export interface CharTrainOptions {
  /** Special tokens, given the first ids in this order, e.g. ['<|endoftext|>']. */
  specialTokens?: readonly string[];
  /** Token for characters not seen in training, e.g. '<unk>'; without it encode() throws on them. */
  unkToken?: string | null;
  /**
   * Upper bound on the vocabulary (specials included). When there are more distinct characters,
   * the most frequent are kept (ties by code point) and unkToken is required.
   */
  vocabSize?: number;
}

function compareCodePoints(a: string, b: string): number {
  return a.codePointAt(0)! - b.codePointAt(0)!;
}

export class CharTokenizer implements Tokenizer {
  readonly kind = 'char';
  readonly vocabSize: number;
  readonly specialTokens: Readonly<Record<string, number>>;
  readonly unkToken: string | null;
  private readonly vocab: readonly string[];
  private readonly ids: Map<string, number>;
  private readonly unkId: number | null;
  private readonly specialPattern: RegExp | null;

  /**
   * @param vocab id -> token; every non-special token must be a single code point.
   * @param specialTokens content -> id of the tokens matched whole in the input (unkToken among them).
   */
  constructor(
    vocab: readonly string[],
    specialTokens: Readonly<Record<string, number>>,
    unkToken: string | null = null,
  ) {
    this.vocab = [...vocab];
    this.vocabSize = vocab.length;
    this.ids = new Map();
    vocab.forEach((token, id) => {
      if (this.ids.has(token))
        throw new Error(`CharTokenizer: token ${JSON.stringify(token)} appears twice in the vocab`);
      this.ids.set(token, id);
    });
    for (const [token, id] of Object.entries(specialTokens)) {
      if (vocab[id] !== token)
        throw new Error(`CharTokenizer: special token ${JSON.stringify(token)} is not at id ${id}`);
    }
    vocab.forEach((token, id) => {
      if (!Object.hasOwn(specialTokens, token) && [...token].length !== 1) {
        throw new Error(
          `CharTokenizer: token ${id} (${JSON.stringify(token)}) is neither special nor a single character`,
        );
      }
    });
    this.specialTokens = Object.freeze({ ...specialTokens });
    this.unkToken = unkToken;
    if (unkToken !== null) {
      const unkId = this.ids.get(unkToken);
      if (unkId === undefined)
        throw new Error(`CharTokenizer: unkToken ${JSON.stringify(unkToken)} is not in the vocab`);
      this.unkId = unkId;
    } else {
      this.unkId = null;
    }
    this.specialPattern = specialTokenPattern(Object.keys(specialTokens));
  }

  /** Vocabulary = specials, unkToken, then the distinct characters of `texts` by code point. */
  static train(texts: readonly string[], options: CharTrainOptions = {}): CharTokenizer {
    const specials = [...(options.specialTokens ?? [])];
    const unkToken = options.unkToken ?? null;
    if (unkToken !== null && !specials.includes(unkToken)) specials.push(unkToken);
    if (new Set(specials).size !== specials.length)
      throw new Error(`CharTokenizer.train: duplicate special tokens in ${JSON.stringify(specials)}`);
    const pattern = specialTokenPattern(specials);
    const counts = new Map<string, number>();
    for (const text of texts) {
      for (const segment of splitOnSpecialTokens(text, pattern)) {
        if (segment.special) continue;
        for (const ch of segment.text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
      }
    }
    let chars = [...counts.keys()].filter((ch) => !specials.includes(ch));
    const maxVocab = options.vocabSize;
    if (maxVocab !== undefined && specials.length + chars.length > maxVocab) {
      if (unkToken === null) {
        throw new Error(
          `CharTokenizer.train: ${chars.length} distinct characters do not fit vocabSize ${maxVocab} with ` +
            `${specials.length} special tokens; raise vocabSize or pass unkToken (e.g. '<unk>') to drop the rarest`,
        );
      }
      const keep = Math.max(0, maxVocab - specials.length);
      chars = chars.sort((a, b) => counts.get(b)! - counts.get(a)! || compareCodePoints(a, b)).slice(0, keep);
    }
    chars.sort(compareCodePoints);
    const vocab = [...specials, ...chars];
    const specialIds: Record<string, number> = {};
    specials.forEach((token, id) => {
      specialIds[token] = id;
    });
    return new CharTokenizer(vocab, specialIds, unkToken);
  }

  /** Reads a tokenizer.json written by toHuggingFaceJSON(). */
  static fromHuggingFaceJSON(json: unknown): CharTokenizer {
    const parsed = parseBpeJSON(json);
    if (parsed.merges.length > 0) throw new TokenizerFormatError('a char tokenizer has no merges');
    if (parsed.preTokenizer !== null)
      throw new TokenizerFormatError('a char tokenizer has pre_tokenizer null');
    const specials = { ...parsed.specialTokens };
    if (parsed.unkToken !== null && !Object.hasOwn(specials, parsed.unkToken)) {
      throw new TokenizerFormatError(
        `unk_token ${JSON.stringify(parsed.unkToken)} is not a special added token`,
      );
    }
    return new CharTokenizer(parsed.vocab, specials, parsed.unkToken);
  }

  encode(text: string): Int32Array {
    const out = new IdBuffer(text.length);
    for (const segment of splitOnSpecialTokens(text, this.specialPattern)) {
      if (segment.special) {
        out.push(this.specialTokens[segment.text]);
        continue;
      }
      for (const ch of segment.text) {
        const id = this.ids.get(ch);
        if (id !== undefined) {
          out.push(id);
        } else if (this.unkId !== null) {
          out.push(this.unkId);
        } else {
          const codePoint = `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
          throw new Error(
            `CharTokenizer.encode: character ${JSON.stringify(ch)} (${codePoint}) is not in the vocabulary; ` +
              'retrain on text that contains it or train with unkToken',
          );
        }
      }
    }
    return out.toInt32Array();
  }

  /** Concatenates the tokens; special tokens (and unk) decode to their own text. */
  decode(ids: ArrayLike<number>): string {
    let text = '';
    for (let i = 0; i < ids.length; i++) {
      const token = this.vocab[ids[i]];
      if (token === undefined)
        throw new Error(`CharTokenizer.decode: id ${ids[i]} is outside 0..${this.vocabSize - 1}`);
      text += token;
    }
    return text;
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
      // No pre-tokenizer: each non-special span is one "word", which BPE splits into characters.
      pre_tokenizer: null,
      post_processor: null,
      // Fuse joins the tokens with nothing between them (the default decoder would join with spaces).
      decoder: { type: 'Fuse' },
      model: hfBpeModel(this.vocab, [], this.unkToken),
    };
  }
}
