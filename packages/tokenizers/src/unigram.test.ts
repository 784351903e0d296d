import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer as HFTokenizer } from 'tokenizers';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTokenizer, saveTokenizer } from './io.js';
import { UnigramTokenizer } from './unigram.js';

const dir = mkdtempSync(join(tmpdir(), 'pretrain-lab-unigram-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = [
  'It was the best of times, it was the worst of times; it was the age of wisdom, it was the age of foolishness.',
  "Call me Ishmael. Some years ago -- never mind how long precisely -- having little or no money in my purse, I'd sail.",
  'Über café naïve résumé, 日本語のテキスト, 42 apples & 3.5 pears!! The quick brown fox jumps over the lazy dog.',
  'Tokenization splits words into subwords: token, tokens, tokenizer, tokenizing, tokenized, retokenize.',
  'Whenever I find myself growing grim about the mouth; whenever it is a damp, drizzly November in my soul.',
];
const trainingTexts = Array.from({ length: 6 }, (_, i) => base.map((t) => `${t} ${i}`).join('\n'));
// Held out: unseen words, accents (composed and combining), NFKC-changed characters (ﬁ, full-width),
// unknown characters (emoji, Cyrillic), runs of whitespace, a literal '▁', specials and sentinels.
const heldOut =
  "Ishmael's CAFÉ: it's 2 o'clock!!  Naïve retokenizers quickly résumé 12345 3.14159\n\n" +
  '🐋🐳 Привет 日本 e\u0301 ﬁne ＡＢＣ tab\there x▁y ▁z <extra_id_0> fills</s>the <extra_id_99>gap. wisdom-tokens';

describe('UnigramTokenizer', () => {
  const tok = UnigramTokenizer.train(trainingTexts, { vocabSize: 300, extraIds: 100 });

  it('uses the T5 layout: <pad> </s> <unk>, pieces, then sentinels at the end', () => {
    expect(tok.kind).toBe('unigram');
    expect(tok.idToToken(0)).toBe('<pad>');
    expect(tok.idToToken(1)).toBe('</s>');
    expect(tok.idToToken(2)).toBe('<unk>');
    // The toy corpus runs out of pieces before 300; the vocabulary is then smaller.
    expect(tok.vocabSize).toBeGreaterThan(200);
    expect(tok.vocabSize).toBeLessThanOrEqual(300);
    expect(tok.sentinelId(0)).toBe(tok.vocabSize - 1);
    expect(tok.sentinelId(99)).toBe(tok.vocabSize - 100);
    expect(tok.idToToken(tok.sentinelId(7))).toBe('<extra_id_7>');
    expect(tok.specialTokens['<extra_id_42>']).toBe(tok.vocabSize - 43);
    // Pieces are in descending score order and every training character is a piece.
    for (let id = 4; id < tok.vocabSize - 100; id++)
      expect(tok.score(id)).toBeLessThanOrEqual(tok.score(id - 1));
    for (const ch of new Set(trainingTexts.join('').replace(/\s/g, '')))
      expect(tok.tokenToId(ch)).toBeDefined();
  });

  it('marks word starts with ▁ and decodes back', () => {
    expect(tok.preTokenize('the  fox\njumps')).toEqual(['▁the', '▁fox', '▁jumps']);
    const text = 'the worst of times, it was the age of wisdom';
    expect(tok.decode(tok.encode(text))).toBe(text);
    expect(tok.idToToken(tok.encode('the')[0])).toBe('▁the');
    const withEos = tok.encodeWithSpecials('the');
    expect(Array.from(withEos.ids)).toEqual([...tok.encode('the'), 1]);
  });

  it('is deterministic and round-trips through tokenizer.json', () => {
    const again = UnigramTokenizer.train(trainingTexts, { vocabSize: 300, extraIds: 100 });
    expect(again.toHuggingFaceJSON()).toEqual(tok.toHuggingFaceJSON());
    const path = join(dir, 'round.json');
    saveTokenizer(tok, path);
    const back = loadTokenizer(path);
    expect(back).toBeInstanceOf(UnigramTokenizer);
    expect(back.encode(heldOut)).toEqual(tok.encode(heldOut));
  });

  for (const [name, options] of [
    ['nfkc, vocab 300', { vocabSize: 300 }],
    ['no normalizer, vocab 400, 10 sentinels', { vocabSize: 400, extraIds: 10, nfkc: false }],
  ] as const) {
    it(`Hugging Face tokenizers gives the same ids and decoded text (${name})`, async () => {
      const t = UnigramTokenizer.train(trainingTexts, options);
      const path = join(dir, `${name}.json`);
      saveTokenizer(t, path);
      const h = HFTokenizer.fromFile(path);
      const ours = t.encode(heldOut);
      expect(ours).toContain(t.unkId);
      expect(ours).toContain(t.sentinelId(0));
      expect((await h.encode(heldOut, null, { addSpecialTokens: false })).getIds()).toEqual(Array.from(ours));
      const pair = await h.encode(heldOut, 'the second one');
      expect(pair.getIds()).toEqual(Array.from(t.encodePair(heldOut, 'the second one').ids));
      expect(await h.decode(Array.from(ours), false)).toBe(t.decode(ours));
      // Every training line and its variants, for many segmentations (and so many potential ties).
      for (const line of base) {
        const variant = `${line.toUpperCase()} ${line.split('').reverse().join('')}`;
        for (const text of [line, variant]) {
          expect((await h.encode(text, null, { addSpecialTokens: false })).getIds()).toEqual(
            Array.from(t.encode(text)),
          );
        }
      }
    });
  }
});
