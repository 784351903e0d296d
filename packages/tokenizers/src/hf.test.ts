import { describe, expect, it } from 'vitest';
import { hfAddedTokens, hfBpeModel, parseBpeJSON, TokenizerFormatError } from './hf.js';

function minimal(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '1.0',
    added_tokens: hfAddedTokens({ '<s>': 0 }),
    pre_tokenizer: null,
    model: hfBpeModel(['<s>', 'a', 'b', 'ab'], [['a', 'b']], null),
    ...overrides,
  };
}

describe('hf helpers', () => {
  it('writes special added tokens that HF matches literally', () => {
    expect(hfAddedTokens({ b: 1, a: 0 })).toEqual([
      {
        id: 0,
        content: 'a',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
      {
        id: 1,
        content: 'b',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
    ]);
  });

  it('parses back what it writes, and merges in both HF formats', () => {
    const parsed = parseBpeJSON(minimal());
    expect(parsed.vocab).toEqual(['<s>', 'a', 'b', 'ab']);
    expect(parsed.merges).toEqual([['a', 'b']]);
    expect(parsed.specialTokens).toEqual({ '<s>': 0 });
    const model = { ...hfBpeModel(['<s>', 'a', 'b', 'ab'], [], null), merges: [['a', 'b']] };
    expect(parseBpeJSON(minimal({ model })).merges).toEqual([['a', 'b']]);
  });

  it('says what is wrong with a bad file', () => {
    expect(() => parseBpeJSON(null)).toThrow(TokenizerFormatError);
    expect(() => parseBpeJSON(minimal({ model: { type: 'WordPiece' } }))).toThrow(/only "BPE"/);
    const gap = { ...hfBpeModel(['a'], [], null), vocab: { a: 0, b: 5 } };
    expect(() => parseBpeJSON(minimal({ model: gap }))).toThrow(/dense/);
    const badMerge = { ...hfBpeModel(['a'], [], null), merges: ['a b c'] };
    expect(() => parseBpeJSON(minimal({ model: badMerge }))).toThrow(/merges\[0\]/);
    expect(() => parseBpeJSON(minimal({ added_tokens: hfAddedTokens({ '<s>': 1 }) }))).toThrow(
      /special token/,
    );
  });
});
