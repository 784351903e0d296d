import { describe, expect, it } from 'vitest';
import { BpeTokenizer } from './bpe.js';
import { CharTokenizer } from './char.js';
import { trainTokenizer } from './train.js';

describe('trainTokenizer', () => {
  const texts = ['the cat sat on the mat', 'the dog sat on the log'];

  it('trains either kind with the same options', () => {
    const char = trainTokenizer('char', texts, { specialTokens: ['<|endoftext|>'] });
    expect(char).toBeInstanceOf(CharTokenizer);
    expect(char.specialTokens).toEqual({ '<|endoftext|>': 0 });
    const bpe = trainTokenizer('bpe', texts, { vocabSize: 270, specialTokens: ['<|endoftext|>'] });
    expect(bpe).toBeInstanceOf(BpeTokenizer);
    expect(bpe.vocabSize).toBe(270);
    expect(bpe.decode(bpe.encode(texts[0]))).toBe(texts[0]);
  });

  it('rejects unknown options and missing vocabSize', () => {
    expect(() => trainTokenizer('bpe', texts, {})).toThrow(/vocabSize is required/);
    expect(() => trainTokenizer('char', texts, { vocab_size: 3 } as never)).toThrow(/unknown option/);
    expect(() => trainTokenizer('sentencepiece' as never, texts)).toThrow(/unknown kind/);
  });
});

describe('trainTokenizer: wordpiece and unigram', () => {
  const texts = ['the cat sat on the mat', 'the dog sat on the log'];

  it('trains both with their fixed special tokens', () => {
    const wp = trainTokenizer('wordpiece', texts, { vocabSize: 60 });
    expect(wp.kind).toBe('wordpiece');
    expect(wp.tokenToId('[MASK]')).toBe(4);
    const ug = trainTokenizer('unigram', texts, { vocabSize: 150, extraIds: 100 });
    expect(ug.kind).toBe('unigram');
    expect(ug.sentinelId(0)).toBe(ug.vocabSize - 1);
    expect(() => trainTokenizer('wordpiece', texts, { vocabSize: 60, specialTokens: ['x'] })).toThrow(
      /fixed/,
    );
    expect(() => trainTokenizer('unigram', texts, {})).toThrow(/vocabSize is required/);
  });
});
