import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer as HFTokenizer } from 'tokenizers';
import { afterAll, describe, expect, it } from 'vitest';
import { BpeTokenizer } from './bpe.js';
import { CharTokenizer } from './char.js';
import { loadTokenizer, saveTokenizer, tokenizerFromJSON } from './io.js';

const dir = mkdtempSync(join(tmpdir(), 'pretrain-lab-tokenizers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const trainingTexts = [
  'It was the best of times, it was the worst of times; it was the age of wisdom.\n',
  "Call me Ishmael. Some years ago -- never mind how long precisely -- I'd little money.\n",
  'Über café naïve résumé, 日本語のテキスト, 42 apples & 3.5 pears!!\n\n',
  'def f(x):\n    return x * 2  # comment\n<|endoftext|>',
];
// Held out: unseen words, unicode (accents, CJK, emoji, combining marks), punctuation, runs of
// spaces and newlines, tabs, a special token in the middle, and Unicode whitespace edge cases.
const heldOut =
  "Ishmael's café: it's 2 o'clock!!  Really?   \n\n\n  naïve 日本 🐋🐳 e\u0301\t\tx<|endoftext|>Next doc…  \u00a0\u3000end\n";

async function hfIds(path: string, text: string): Promise<number[]> {
  const hf = HFTokenizer.fromFile(path);
  return (await hf.encode(text)).getIds();
}

async function hfDecode(path: string, ids: ArrayLike<number>): Promise<string> {
  return HFTokenizer.fromFile(path).decode(Array.from(ids), false);
}

describe('saveTokenizer / loadTokenizer', () => {
  it('round-trips a char tokenizer', () => {
    const tok = CharTokenizer.train(trainingTexts, { specialTokens: ['<|endoftext|>'], unkToken: '<unk>' });
    const path = join(dir, 'char', 'tokenizer.json');
    saveTokenizer(tok, path);
    const back = loadTokenizer(path);
    expect(back).toBeInstanceOf(CharTokenizer);
    expect(back.encode(heldOut)).toEqual(tok.encode(heldOut));
    expect(back.vocabSize).toBe(tok.vocabSize);
  });

  it('round-trips a BPE tokenizer and leaves no temporary file', () => {
    const tok = BpeTokenizer.train(trainingTexts, { vocabSize: 400, specialTokens: ['<|endoftext|>'] });
    const path = join(dir, 'bpe.json');
    saveTokenizer(tok, path);
    saveTokenizer(tok, path); // overwriting is fine
    expect(readdirSync(dir).filter((name) => name.includes('.tmp'))).toEqual([]);
    const back = loadTokenizer(path);
    expect(back).toBeInstanceOf(BpeTokenizer);
    expect(back.encode(heldOut)).toEqual(tok.encode(heldOut));
    expect(back.decode(back.encode(heldOut))).toBe(heldOut);
  });

  it('explains unreadable files', () => {
    expect(() => loadTokenizer(join(dir, 'missing.json'))).toThrow(/cannot read/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"model": ');
    expect(() => loadTokenizer(bad)).toThrow(/not valid JSON/);
    expect(() => tokenizerFromJSON({ model: { type: 'BPE', merges: ['a b'] } })).toThrow(
      /not a tokenizer this package writes/,
    );
    expect(existsSync(bad)).toBe(true);
  });
});

describe('Hugging Face tokenizers reads our tokenizer.json', () => {
  it('char: same ids and same decoded text', async () => {
    const tok = CharTokenizer.train(trainingTexts, { specialTokens: ['<|endoftext|>'], unkToken: '<unk>' });
    const path = join(dir, 'char-hf.json');
    saveTokenizer(tok, path);
    const ours = tok.encode(heldOut);
    expect(ours).toContain(tok.specialTokens['<unk>']); // the held-out text has unseen characters
    expect(await hfIds(path, heldOut)).toEqual(Array.from(ours));
    expect(await hfDecode(path, ours)).toBe(tok.decode(ours));
  });

  it('bpe: same ids and same decoded text', async () => {
    const tok = BpeTokenizer.train(trainingTexts, {
      vocabSize: 400,
      specialTokens: ['<|endoftext|>', '<pad>'],
    });
    const path = join(dir, 'bpe-hf.json');
    saveTokenizer(tok, path);
    for (const text of [heldOut, ...trainingTexts, 'aaaaaaaaa abababab <pad><|endoftext|>\r\n\x85\uFEFF']) {
      const ours = tok.encode(text);
      expect(await hfIds(path, text)).toEqual(Array.from(ours));
      expect(await hfDecode(path, ours)).toBe(text);
    }
    expect(HFTokenizer.fromFile(path).getVocabSize(true)).toBe(tok.vocabSize);
  });
});
