import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer as HFTokenizer } from 'tokenizers';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTokenizer, saveTokenizer } from './io.js';
import { WordPieceTokenizer } from './wordpiece.js';

const dir = mkdtempSync(join(tmpdir(), 'pretrain-lab-wordpiece-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const trainingTexts = [
  'It was the best of times, it was the worst of times; it was the age of wisdom.\n',
  "Call me Ishmael. Some years ago -- never mind how long precisely -- I'd little money.\n",
  'Über café naïve résumé, 日本語のテキスト, 42 apples & 3.5 pears!!\n\n',
  'The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs away quickly.\n',
  'Tokenization splits words into subwords: token, tokens, tokenizer, tokenizing, tokenized.\n',
];
// Held out: accents, punctuation, mixed case, numbers, unseen characters (emoji, Cyrillic),
// CJK, control characters, special tokens in the text, a word over 100 characters.
const heldOut =
  "Ishmael's CAFÉ: it's 2 o'clock!! Naïve tokenizers [MASK] quickly résumé 12345 3.14159 " +
  '🐋 Привет 日本語 e\u0301 zero\u200bwidth tab\there\nnewline [SEP] ' +
  `${'a'.repeat(101)} ${'b'.repeat(100)} ΣΑΣ İstanbul ﬁne (x+y)^2 $5 ¿qué?`;
const second = 'The second sentence: Fox & Dog, 42 times.';

function hf(tok: WordPieceTokenizer, name: string): HFTokenizer {
  const path = join(dir, name);
  saveTokenizer(tok, path);
  return HFTokenizer.fromFile(path);
}

describe('WordPieceTokenizer', () => {
  const tok = WordPieceTokenizer.train(trainingTexts, { vocabSize: 240, minFrequency: 1 });

  it('puts the BERT specials first and reaches the vocabulary size', () => {
    expect(tok.kind).toBe('wordpiece');
    expect(tok.specialTokens).toEqual({ '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3, '[MASK]': 4 });
    expect(tok.vocabSize).toBe(240);
    // Once no pair is left, training stops short of vocabSize.
    expect(
      WordPieceTokenizer.train(trainingTexts, { vocabSize: 5000, minFrequency: 1 }).vocabSize,
    ).toBeLessThan(5000);
    expect(tok.tokenToId('##s')).toBeDefined();
    expect(tok.tokenToId('the')).toBeDefined();
  });

  it('normalizes and splits like BERT (lowercase, strip accents, punctuation, CJK)', () => {
    expect(tok.preTokenize("Café, naïve! 日本x don't")).toEqual([
      'cafe',
      ',',
      'naive',
      '!',
      '日',
      '本',
      'x',
      'don',
      "'",
      't',
    ]);
    const cased = WordPieceTokenizer.train(trainingTexts, { vocabSize: 200, lowercase: false });
    expect(cased.preTokenize('Café')).toEqual(['Café']);
  });

  it('encodes greedily longest-first, unknown words and long words become [UNK]', () => {
    const ids = tok.encode(`the 🐋 ${'a'.repeat(101)}`);
    expect(ids[0]).toBe(tok.tokenToId('the'));
    expect(Array.from(ids.slice(1))).toEqual([1, 1]);
    expect(tok.decode(tok.encode('the tokens, quickly.'))).toBe('the tokens, quickly.');
  });

  it('is deterministic and round-trips through tokenizer.json', () => {
    const again = WordPieceTokenizer.train(trainingTexts, { vocabSize: 240, minFrequency: 1 });
    expect(again.toHuggingFaceJSON()).toEqual(tok.toHuggingFaceJSON());
    const path = join(dir, 'round.json');
    saveTokenizer(tok, path);
    const back = loadTokenizer(path);
    expect(back).toBeInstanceOf(WordPieceTokenizer);
    expect(back.encode(heldOut)).toEqual(tok.encode(heldOut));
  });

  it('likelihood scoring trains too', () => {
    const lk = WordPieceTokenizer.train(trainingTexts, {
      vocabSize: 250,
      scoring: 'likelihood',
      minFrequency: 1,
    });
    expect(lk.vocabSize).toBe(250);
    expect(lk.decode(lk.encode('the fox'))).toBe('the fox');
  });
});

describe('Hugging Face tokenizers reads our WordPiece tokenizer.json', () => {
  for (const [name, options] of [
    ['uncased', { vocabSize: 300, minFrequency: 1 }],
    ['cased', { vocabSize: 300, lowercase: false }],
    ['cased-stripped', { vocabSize: 260, lowercase: false, stripAccents: true, scoring: 'likelihood' }],
  ] as const) {
    it(`${name}: same ids, type ids and decoded text, with and without specials, for a pair`, async () => {
      const tok = WordPieceTokenizer.train(trainingTexts, options);
      const h = hf(tok, `${name}.json`);
      const plain = await h.encode(heldOut, null, { addSpecialTokens: false });
      const ours = tok.encode(heldOut);
      expect(ours).toContain(1); // [UNK]
      expect(plain.getIds()).toEqual(Array.from(ours));
      const single = await h.encode(heldOut);
      const withSpecials = tok.encodeWithSpecials(heldOut);
      expect(single.getIds()).toEqual(Array.from(withSpecials.ids));
      expect(single.getTypeIds()).toEqual(Array.from(withSpecials.typeIds));
      const pair = await h.encode(heldOut, second);
      const oursPair = tok.encodePair(heldOut, second);
      expect(pair.getIds()).toEqual(Array.from(oursPair.ids));
      expect(pair.getTypeIds()).toEqual(Array.from(oursPair.typeIds));
      expect(await h.decode(Array.from(oursPair.ids), false)).toBe(tok.decode(oursPair.ids));
    });
  }
});
