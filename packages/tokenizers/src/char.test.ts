import { describe, expect, it } from 'vitest';
import { CharTokenizer } from './char.js';

describe('CharTokenizer', () => {
  const texts = ['hello world', 'héllo 🙂<|endoftext|>'];
  const tok = CharTokenizer.train(texts, { specialTokens: ['<|endoftext|>'], unkToken: '<unk>' });

  it('puts specials, then unk, then characters sorted by code point', () => {
    const vocab = Array.from({ length: tok.vocabSize }, (_, id) => tok.idToToken(id));
    expect(vocab).toEqual(['<|endoftext|>', '<unk>', ' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w', 'é', '🙂']);
    expect(tok.specialTokens).toEqual({ '<|endoftext|>': 0, '<unk>': 1 });
    expect(tok.tokenToId('🙂')).toBe(11);
    expect(tok.kind).toBe('char');
  });

  it('encodes code points (not UTF-16 units), special tokens whole, and unseen characters as unk', () => {
    expect(Array.from(tok.encode('hé🙂<|endoftext|>z<unk>'))).toEqual([5, 10, 11, 0, 1, 1]);
    expect(tok.encode('')).toEqual(new Int32Array(0));
  });

  it('decodes back to the text when every character is known', () => {
    const text = 'hello 🙂 world<|endoftext|>héllo';
    expect(tok.decode(tok.encode(text))).toBe(text);
    expect(() => tok.decode([99])).toThrow(/outside/);
  });

  it('throws a clear error for unseen characters without unk', () => {
    const strict = CharTokenizer.train(['abc']);
    expect(Array.from(strict.encode('cab'))).toEqual([2, 0, 1]);
    expect(() => strict.encode('abz')).toThrow(/"z" \(U\+007A\) is not in the vocabulary/);
  });

  it('keeps the most frequent characters under a vocabSize bound', () => {
    const small = CharTokenizer.train(['aaabbc'], { unkToken: '<unk>', vocabSize: 3 });
    expect(Array.from(small.encode('abc'))).toEqual([1, 2, 0]);
    expect(() => CharTokenizer.train(['aaabbc'], { vocabSize: 2 })).toThrow(/unkToken/);
  });

  it('round-trips through its tokenizer.json', () => {
    const json = JSON.parse(JSON.stringify(tok.toHuggingFaceJSON()));
    expect(json.model.type).toBe('BPE');
    expect(json.model.merges).toEqual([]);
    expect(json.model.unk_token).toBe('<unk>');
    const back = CharTokenizer.fromHuggingFaceJSON(json);
    expect(back.encode('hello 🙂 zz<|endoftext|>')).toEqual(tok.encode('hello 🙂 zz<|endoftext|>'));
    expect(back.unkToken).toBe('<unk>');
  });
});
