/** One entry point for training either kind of tokenizer. */
import { BpeTokenizer } from './bpe.js';
import { CharTokenizer } from './char.js';
import { UnigramTokenizer } from './unigram.js';
import { WordPieceTokenizer } from './wordpiece.js';

export type TokenizerKind = 'char' | 'bpe' | 'wordpiece' | 'unigram';

export interface TrainTokenizerOptions {
  /** bpe: the target size (required). char: an upper bound (rarest characters dropped; needs unkToken). */
  vocabSize?: number;
  /** Given the first ids, in this order. */
  specialTokens?: string[];
  /** char only: token for unseen characters, e.g. '<unk>'. */
  unkToken?: string;
  /** wordpiece only: lowercase (default true) and strip accents (default: as lowercase). */
  lowercase?: boolean;
  stripAccents?: boolean;
  /** unigram only: number of <extra_id_k> sentinels at the end of the vocabulary (default 100). */
  extraIds?: number;
}

export function trainTokenizer(
  kind: 'char',
  texts: readonly string[],
  options?: TrainTokenizerOptions,
): CharTokenizer;
export function trainTokenizer(
  kind: 'bpe',
  texts: readonly string[],
  options: TrainTokenizerOptions,
): BpeTokenizer;
export function trainTokenizer(
  kind: 'wordpiece',
  texts: readonly string[],
  options: TrainTokenizerOptions,
): WordPieceTokenizer;
export function trainTokenizer(
  kind: 'unigram',
  texts: readonly string[],
  options: TrainTokenizerOptions,
): UnigramTokenizer;
export function trainTokenizer(
  kind: TokenizerKind,
  texts: readonly string[],
  options?: TrainTokenizerOptions,
): CharTokenizer | BpeTokenizer | WordPieceTokenizer | UnigramTokenizer;
export function trainTokenizer(
  kind: TokenizerKind,
  texts: readonly string[],
  options: TrainTokenizerOptions = {},
): CharTokenizer | BpeTokenizer | WordPieceTokenizer | UnigramTokenizer {
  if (kind === 'wordpiece' || kind === 'unigram') return trainSubword(kind, texts, options);
  const known = new Set(['vocabSize', 'specialTokens', 'unkToken']);
  const unknown = Object.keys(options).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new Error(
      `trainTokenizer: unknown option(s) ${unknown.join(', ')}; expected ${[...known].join(', ')}`,
    );
  }
  if (kind === 'char') {
    return CharTokenizer.train(texts, {
      specialTokens: options.specialTokens,
      unkToken: options.unkToken ?? null,
      vocabSize: options.vocabSize,
    });
  }
  if (kind === 'bpe') {
    if (options.unkToken !== undefined) {
      throw new Error(
        'trainTokenizer: byte-level BPE never needs unkToken (every byte has a token); drop it',
      );
    }
    if (options.vocabSize === undefined)
      throw new Error("trainTokenizer('bpe'): vocabSize is required, e.g. 2048");
    return BpeTokenizer.train(texts, { vocabSize: options.vocabSize, specialTokens: options.specialTokens });
  }
  throw new Error(
    `trainTokenizer: unknown kind ${JSON.stringify(kind)}; expected 'char', 'bpe', 'wordpiece' or 'unigram'`,
  );
}

/** WordPiece (BERT specials fixed) and Unigram (T5 specials and sentinels fixed). */
function trainSubword(
  kind: 'wordpiece' | 'unigram',
  texts: readonly string[],
  options: TrainTokenizerOptions,
): WordPieceTokenizer | UnigramTokenizer {
  const known = new Set(
    kind === 'wordpiece' ? ['vocabSize', 'lowercase', 'stripAccents'] : ['vocabSize', 'extraIds'],
  );
  const unknown = Object.keys(options).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new Error(
      `trainTokenizer('${kind}'): unknown option(s) ${unknown.join(', ')}; expected ${[...known].join(', ')}` +
        (unknown.includes('specialTokens') || unknown.includes('unkToken')
          ? ` (the special tokens are fixed: ${kind === 'wordpiece' ? '[PAD] [UNK] [CLS] [SEP] [MASK]' : '<pad> </s> <unk> and <extra_id_k>'})`
          : ''),
    );
  }
  if (options.vocabSize === undefined)
    throw new Error(`trainTokenizer('${kind}'): vocabSize is required, e.g. 4000`);
  if (kind === 'wordpiece') {
    return WordPieceTokenizer.train(texts, {
      vocabSize: options.vocabSize,
      lowercase: options.lowercase,
      stripAccents: options.stripAccents,
    });
  }
  return UnigramTokenizer.train(texts, { vocabSize: options.vocabSize, extraIds: options.extraIds });
}
