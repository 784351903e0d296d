import { describe, expect, it } from 'vitest';
import { IdBuffer, specialTokenPattern, splitOnSpecialTokens } from './special.js';

describe('splitOnSpecialTokens', () => {
  it('cuts out special tokens whole and keeps the text between them', () => {
    const pattern = specialTokenPattern(['<|endoftext|>', '<pad>']);
    expect(splitOnSpecialTokens('a<pad>b<|endoftext|><|endoftext|>c', pattern)).toEqual([
      { text: 'a', special: false },
      { text: '<pad>', special: true },
      { text: 'b', special: false },
      { text: '<|endoftext|>', special: true },
      { text: '<|endoftext|>', special: true },
      { text: 'c', special: false },
    ]);
  });

  it('prefers the longest token at the leftmost position, like HF added tokens', () => {
    const pattern = specialTokenPattern(['<s>', '<s>x', 'x<s>']);
    expect(splitOnSpecialTokens('<s>xy', pattern).map((s) => s.text)).toEqual(['<s>x', 'y']);
    expect(splitOnSpecialTokens('ax<s>x', pattern).map((s) => s.text)).toEqual(['a', 'x<s>', 'x']);
  });

  it('escapes regex characters and handles no specials and empty text', () => {
    const pattern = specialTokenPattern(['[.*]']);
    expect(splitOnSpecialTokens('a.b[.*]', pattern).map((s) => s.text)).toEqual(['a.b', '[.*]']);
    expect(specialTokenPattern([])).toBeNull();
    expect(splitOnSpecialTokens('abc', null)).toEqual([{ text: 'abc', special: false }]);
    expect(splitOnSpecialTokens('', pattern)).toEqual([]);
  });
});

describe('IdBuffer', () => {
  it('grows past its initial capacity and returns a trimmed copy', () => {
    const buffer = new IdBuffer(1);
    for (let i = 0; i < 40; i++) buffer.push(i);
    buffer.pushAll(new Int32Array(100).fill(7));
    const ids = buffer.toInt32Array();
    expect(ids.length).toBe(140);
    expect(ids[39]).toBe(39);
    expect(ids[139]).toBe(7);
  });
});
