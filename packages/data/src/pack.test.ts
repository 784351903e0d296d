import { describe, expect, it } from 'vitest';
import { buildTokenStream, concatWithSeparator, endOfTextId, packSequences } from './pack.js';
import { charTokenizer, FAKE_EOT } from './testing.js';

const range = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

describe('token stream', () => {
  it('puts the end-of-text id after every document', () => {
    expect(
      Array.from(concatWithSeparator([Int32Array.of(1, 2), Int32Array.of(), Int32Array.of(3)], 9)),
    ).toEqual([1, 2, 9, 9, 3, 9]);
  });
  it('tokenizes documentText and finds the tokenizer eot id', () => {
    const tok = charTokenizer();
    const stream = buildTokenStream(
      [
        { id: 'a', paragraphs: [['ab'], ['c']] },
        { id: 'b', paragraphs: [['d']] },
      ],
      tok,
    );
    expect(Array.from(stream)).toEqual([97, 98, 10, 10, 99, FAKE_EOT, 100, FAKE_EOT]);
    expect(Array.from(buildTokenStream([{ id: 'a', paragraphs: [['a']] }], tok, { endOfTextId: 0 }))).toEqual(
      [97, 0],
    );
  });
  it('explains a tokenizer without an end-of-text token', () => {
    const tok = { ...charTokenizer(), specialTokens: {}, tokenToId: () => undefined };
    expect(() => endOfTextId(tok)).toThrow(/no <\|endoftext\|> token/);
  });
});

describe('packSequences', () => {
  it('cuts windows of seqLen + 1 with stride seqLen, dropping the tail', () => {
    const p = packSequences(range(10), 3);
    expect(p.count).toBe(3);
    expect(p.seqLen).toBe(3);
    expect(Array.from(p.data)).toEqual([0, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9]);
  });
  it('uses every token when length - 1 is a multiple of seqLen', () => {
    const p = packSequences(range(9), 4);
    expect(p.count).toBe(2);
    expect(Array.from(p.data.subarray(5))).toEqual([4, 5, 6, 7, 8]);
  });
  it('gives no sequence for a stream shorter than seqLen + 1', () => {
    expect(packSequences(range(4), 4).count).toBe(0);
    expect(packSequences(range(0), 4).count).toBe(0);
    expect(packSequences(range(5), 4).count).toBe(1);
  });
  it('rejects a bad seqLen', () => {
    expect(() => packSequences(range(5), 0)).toThrow(/positive integer/);
  });
});
