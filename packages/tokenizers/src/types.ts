/** The interface every tokenizer in this package implements; data and models depend on this only. */
export interface Tokenizer {
  /** 'char' | 'bpe' | later 'wordpiece' | 'unigram'. */
  readonly kind: string;
  readonly vocabSize: number;
  /** Special tokens and their ids, e.g. { '<|endoftext|>': 0 }. */
  readonly specialTokens: Readonly<Record<string, number>>;
  encode(text: string): Int32Array;
  decode(ids: ArrayLike<number>): string;
  idToToken(id: number): string | undefined;
  tokenToId(token: string): number | undefined;
  /** Hugging Face tokenizer.json, as an object ready for JSON.stringify. */
  toHuggingFaceJSON(): unknown;
}
