import { describe, expect, it } from 'vitest';
import { BpeTokenizer, BYTE_TO_UNICODE, countPreTokens, preTokenize, UNICODE_TO_BYTE } from './bpe.js';

/** A deterministic synthetic corpus : words drawn by a fixed-seed LCG. */
function syntheticCorpus(numDocs: number, wordsPerDoc: number): string[] {
  const words = [
    'the',
    'whale',
    'ship',
    'sea',
    'Ahab',
    'captain',
    'harpoon',
    'ocean',
    "didn't",
    'é',
    '日本',
    '42',
    '3.14',
    '!',
    '  ',
  ];
  let state = 12345;
  const next = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 8;
  };
  const docs: string[] = [];
  for (let d = 0; d < numDocs; d++) {
    const parts: string[] = [];
    for (let w = 0; w < wordsPerDoc; w++) parts.push(words[next() % words.length]);
    docs.push(`${parts.join(' ')}.\n`);
  }
  return docs;
}

describe('byte-level alphabet', () => {
  it('maps 256 bytes to 256 distinct printable characters, GPT-2 style', () => {
    expect(new Set(BYTE_TO_UNICODE).size).toBe(256);
    expect(BYTE_TO_UNICODE[0x20]).toBe('Ġ');
    expect(BYTE_TO_UNICODE[0x0a]).toBe('Ċ');
    expect(BYTE_TO_UNICODE[0x41]).toBe('A');
    expect(UNICODE_TO_BYTE.get('Ġ')).toBe(0x20);
  });
});

describe('preTokenize', () => {
  it('splits as the GPT-2 regex does', () => {
    expect(preTokenize("Hello world, it's 2024!  ok\n\nbye")).toEqual([
      'Hello',
      ' world',
      ',',
      ' it',
      "'s",
      ' 2024',
      '!',
      ' ',
      ' ok',
      '\n',
      '\n',
      'bye',
    ]); // \s+(?!\S) leaves the last whitespace character to the next word (or alone)
    // U+0085 is whitespace for HF (Oniguruma) but not for JavaScript's \s; U+FEFF the reverse.
    expect(preTokenize('a\x85b\uFEFFc')).toEqual(['a', '\x85', 'b', '\uFEFF', 'c']);
  });

  it('covers the text exactly', () => {
    const text = 'mixed 日本語 text\t\twith   spaces 🙂 and ünïcödé\r\n';
    expect(preTokenize(text).join('')).toBe(text);
  });

  it('counts pre-tokens, leaving special tokens out', () => {
    const counts = countPreTokens(['a a<|eot|>a'], ['<|eot|>']);
    expect([...counts]).toEqual([
      ['a', 2],
      [' a', 1],
    ]);
  });
});

describe('BpeTokenizer.train', () => {
  it('learns merges by count, pinned on a tiny corpus', () => {
    // pre-tokens: "ab" x1, " ab" x2, " abc" x1 -> (a,b)=4, then (Ġ,ab)=3, then (Ġab,c)=1
    const tok = BpeTokenizer.train(['ab ab ab abc'], { vocabSize: 259 });
    expect(tok.merges).toEqual([
      ['a', 'b'],
      ['Ġ', 'ab'],
      ['Ġab', 'c'],
    ]);
    expect(tok.tokenToId('Ġabc')).toBe(258);
    expect(Array.from(tok.encode('ab abc'))).toEqual([256, 258]);
  });

  it('breaks ties by the smaller (left id, right id) pair', () => {
    // (b,a), (Ġ,a), (a,b) all have count 1; Ġ is byte 0x20 so (Ġ,a) has the smallest ids.
    const tok = BpeTokenizer.train(['ba ab'], { vocabSize: 257 });
    expect(tok.merges).toEqual([['Ġ', 'a']]);
  });

  it('gives specials the first ids, then the bytes, then merges, and stops when no pairs are left', () => {
    const tok = BpeTokenizer.train(['aaaa<|endoftext|>'], {
      vocabSize: 1000,
      specialTokens: ['<|endoftext|>', '<pad>'],
    });
    expect(tok.specialTokens).toEqual({ '<|endoftext|>': 0, '<pad>': 1 });
    expect(tok.idToToken(2)).toBe(BYTE_TO_UNICODE[0]);
    expect(tok.tokenToId('a')).toBe(2 + 0x61);
    expect(tok.merges).toEqual([
      ['a', 'a'],
      ['aa', 'aa'],
    ]);
    expect(tok.vocabSize).toBe(2 + 256 + 2);
    expect(Array.from(tok.encode('aaaaa<pad>'))).toEqual([tok.tokenToId('aaaa'), tok.tokenToId('a'), 1]);
  });

  it('is deterministic and reaches the requested vocabulary size', () => {
    const corpus = syntheticCorpus(300, 40);
    const a = BpeTokenizer.train(corpus, { vocabSize: 300, specialTokens: ['<|endoftext|>'] });
    const b = BpeTokenizer.train(corpus, { vocabSize: 300, specialTokens: ['<|endoftext|>'] });
    expect(a.vocabSize).toBe(300);
    expect(a.merges).toEqual(b.merges);
  });

  it('rejects bad options with a reason', () => {
    expect(() => BpeTokenizer.train(['x'], { vocabSize: 100 })).toThrow(/below 256/);
    expect(() => BpeTokenizer.train(['x'], { vocabSize: 300, specialTokens: ['a'] })).toThrow(/byte token/);
    expect(() => BpeTokenizer.train(['x'], { vocabSize: 300, specialTokens: ['<s>', '<s>'] })).toThrow(
      /twice/,
    );
  });
});

describe('BpeTokenizer encode/decode', () => {
  const corpus = syntheticCorpus(400, 50);
  const tok = BpeTokenizer.train(corpus, { vocabSize: 400, specialTokens: ['<|endoftext|>'] });

  it('decodes exactly what it encoded, including text it never saw', () => {
    const text = "the whale didn't see  日本の海 🐋\n\n\tcaptain's 3.14<|endoftext|>x\u0000y\x85z";
    expect(tok.decode(tok.encode(text))).toBe(text);
    for (const doc of corpus.slice(0, 20)) expect(tok.decode(tok.encode(doc))).toBe(doc);
  });

  it('compresses text it was trained on and matches special tokens whole', () => {
    const doc = corpus[0];
    expect(tok.encode(doc).length).toBeLessThan(new TextEncoder().encode(doc).length / 2);
    const ids = Array.from(tok.encode('the<|endoftext|>the'));
    expect(ids[ids.indexOf(0) - 1]).toBe(ids[ids.length - 1]);
    expect(ids.filter((id) => id === 0).length).toBe(1);
  });

  it('gives the same ids with and without the word cache', () => {
    const text = corpus.slice(0, 5).join('');
    const first = tok.encode(text);
    const fresh = new BpeTokenizer(
      Array.from({ length: tok.vocabSize }, (_, id) => tok.idToToken(id)!),
      tok.merges,
      tok.specialTokens,
    );
    expect(fresh.encode(text)).toEqual(first);
    expect(tok.encode(text)).toEqual(first);
  });

  it('round-trips through its tokenizer.json', () => {
    const json = JSON.parse(JSON.stringify(tok.toHuggingFaceJSON()));
    expect(json.pre_tokenizer).toMatchObject({ type: 'ByteLevel', add_prefix_space: false, use_regex: true });
    expect(json.added_tokens[0]).toMatchObject({ id: 0, content: '<|endoftext|>', special: true });
    const back = BpeTokenizer.fromHuggingFaceJSON(json);
    const text = `${corpus[3]}<|endoftext|>${corpus[4]} 🙂`;
    expect(back.encode(text)).toEqual(tok.encode(text));
  });

  it('throws on ids outside the vocabulary', () => {
    expect(() => tok.decode([tok.vocabSize])).toThrow(/outside/);
  });
});
