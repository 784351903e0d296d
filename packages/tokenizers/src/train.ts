/** One entry point for training either kind of tokenizer. */
import { BpeTokenizer } from './bpe.js';
import { CharTokenizer } from './char.js';

export type TokenizerKind = 'char' | 'bpe';

export interface TrainTokenizerOptions {
  /** bpe: the target size (required). char: an upper bound (rarest characters dropped; needs unkToken). */
  vocabSize?: number;
  /** Given the first ids, in this order. */
  specialTokens?: string[];
  /** char only: token for unseen characters, e.g. '<unk>'. */
  unkToken?: string;
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
  kind: TokenizerKind,
  texts: readonly string[],
  options?: TrainTokenizerOptions,
): CharTokenizer | BpeTokenizer;
export function trainTokenizer(
  kind: TokenizerKind,
  texts: readonly string[],
  options: TrainTokenizerOptions = {},
): CharTokenizer | BpeTokenizer {
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
  throw new Error(`trainTokenizer: unknown kind ${JSON.stringify(kind)}; expected 'char' or 'bpe'`);
}
