/**
 * The parts of Hugging Face's tokenizer.json that this package writes and reads.
 * Field names and defaults follow the `tokenizers` Rust crate's serde format ("version": "1.0").
 */

/** One entry of tokenizer.json's `added_tokens`. */
export interface HFAddedToken {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** The `model` section for a BPE model (used for both our char and byte-level BPE tokenizers). */
export interface HFBpeModel {
  type: 'BPE';
  dropout: null;
  unk_token: string | null;
  continuing_subword_prefix: null;
  end_of_word_suffix: null;
  fuse_unk: boolean;
  byte_fallback: boolean;
  ignore_merges: boolean;
  vocab: Record<string, number>;
  /** "left right" strings; tokenizers >= 0.20 also accepts [left, right] pairs, which we read too. */
  merges: string[];
}

export interface HFTokenizerJSON {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: HFAddedToken[];
  normalizer: null;
  pre_tokenizer: Record<string, unknown> | null;
  post_processor: Record<string, unknown> | null;
  decoder: Record<string, unknown> | null;
  model: HFBpeModel;
}

/** Special tokens as HF added tokens: matched literally on the raw text, never normalized or stripped. */
export function hfAddedTokens(specialTokens: Readonly<Record<string, number>>): HFAddedToken[] {
  return Object.entries(specialTokens)
    .sort((a, b) => a[1] - b[1])
    .map(([content, id]) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    }));
}

/** The `model` section with every field the Rust deserializer knows, so nothing falls back to a default. */
export function hfBpeModel(
  vocab: readonly string[],
  merges: readonly (readonly [string, string])[],
  unkToken: string | null,
): HFBpeModel {
  const vocabObject: Record<string, number> = {};
  vocab.forEach((token, id) => {
    vocabObject[token] = id;
  });
  return {
    type: 'BPE',
    dropout: null,
    unk_token: unkToken,
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: false,
    byte_fallback: false,
    // false: a word is always built by applying merges in rank order, even if the whole word is in the vocab.
    ignore_merges: false,
    vocab: vocabObject,
    merges: merges.map(([left, right]) => `${left} ${right}`),
  };
}

/** Error for a tokenizer.json that this package cannot read; says what was wrong. */
export class TokenizerFormatError extends Error {
  constructor(message: string) {
    super(`tokenizer.json: ${message}`);
    this.name = 'TokenizerFormatError';
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What the readers need from a tokenizer.json, checked. */
export interface ParsedBpeJSON {
  /** id -> token string; ids must be dense 0..n-1. */
  vocab: string[];
  merges: [string, string][];
  unkToken: string | null;
  /** Special added tokens, content -> id. */
  specialTokens: Record<string, number>;
  preTokenizer: Record<string, unknown> | null;
}

/** Checks the shape of a BPE tokenizer.json and pulls out vocab, merges and special tokens. */
export function parseBpeJSON(json: unknown): ParsedBpeJSON {
  if (!isObject(json)) throw new TokenizerFormatError('expected a JSON object at the top level');
  const model = json.model;
  if (!isObject(model)) throw new TokenizerFormatError('missing "model" object');
  if (model.type !== 'BPE') {
    throw new TokenizerFormatError(
      `model.type is ${JSON.stringify(model.type)}; only "BPE" models are supported`,
    );
  }
  if (!isObject(model.vocab)) throw new TokenizerFormatError('model.vocab must be an object of token -> id');
  const entries = Object.entries(model.vocab);
  const vocab: string[] = new Array(entries.length);
  for (const [token, id] of entries) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= entries.length) {
      throw new TokenizerFormatError(
        `model.vocab[${JSON.stringify(token)}] = ${JSON.stringify(id)}; ids must be dense integers 0..${entries.length - 1}`,
      );
    }
    if (vocab[id] !== undefined) {
      throw new TokenizerFormatError(
        `model.vocab has id ${id} twice (${JSON.stringify(vocab[id])}, ${JSON.stringify(token)})`,
      );
    }
    vocab[id] = token;
  }
  if (!Array.isArray(model.merges)) throw new TokenizerFormatError('model.merges must be an array');
  const merges = model.merges.map((merge, i): [string, string] => {
    if (
      Array.isArray(merge) &&
      merge.length === 2 &&
      typeof merge[0] === 'string' &&
      typeof merge[1] === 'string'
    ) {
      return [merge[0], merge[1]];
    }
    if (typeof merge === 'string') {
      const parts = merge.split(' ');
      if (parts.length === 2) return [parts[0], parts[1]];
    }
    throw new TokenizerFormatError(
      `model.merges[${i}] = ${JSON.stringify(merge)} is not "left right" or [left, right]`,
    );
  });
  const unkToken = model.unk_token ?? null;
  if (unkToken !== null && typeof unkToken !== 'string')
    throw new TokenizerFormatError('model.unk_token must be a string or null');
  const specialTokens: Record<string, number> = {};
  const added = json.added_tokens ?? [];
  if (!Array.isArray(added)) throw new TokenizerFormatError('added_tokens must be an array');
  for (const token of added) {
    if (!isObject(token) || typeof token.content !== 'string' || typeof token.id !== 'number') {
      throw new TokenizerFormatError(`bad added token ${JSON.stringify(token)}`);
    }
    if (token.special !== true) continue;
    if (vocab[token.id] !== token.content) {
      throw new TokenizerFormatError(
        `special token ${JSON.stringify(token.content)} has id ${token.id}, but the model vocab has ${JSON.stringify(vocab[token.id])} there`,
      );
    }
    specialTokens[token.content] = token.id;
  }
  const preTokenizer = json.pre_tokenizer ?? null;
  if (preTokenizer !== null && !isObject(preTokenizer))
    throw new TokenizerFormatError('pre_tokenizer must be an object or null');
  return { vocab, merges, unkToken, specialTokens, preTokenizer };
}
