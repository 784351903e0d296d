import { describe, expect, it } from 'vitest';
import { detokenize, loadBrown, parseBrownFile, stripTag } from './brown.js';
import { documentText } from './document.js';

describe('stripTag', () => {
  it('splits at the last slash', () => {
    expect(stripTag("Atlanta's/np$")).toBe("Atlanta's");
    expect(stripTag('1-1/2/cd')).toBe('1-1/2');
    expect(stripTag('//in')).toBe('/');
  });
});

describe('detokenize', () => {
  it("attaches punctuation and turns `` and '' into double quotes", () => {
    expect(detokenize(['He', 'said', ',', '``', 'no', 'evidence', "''", '(', 'really', ')', '.'])).toBe(
      'He said, "no evidence" (really).',
    );
  });
  it('attaches clitics and pairs single quotes', () => {
    expect(detokenize(['we', 'do', "n't", 'want', "'", 'pro', "'", 'letters', '!'])).toBe(
      "we don't want 'pro' letters!",
    );
  });
  it('keeps one of the doubled sentence-final ; and ? of the NLTK copy', () => {
    expect(detokenize(['appetite', ';', ';'])).toBe('appetite;');
    expect(detokenize(['you', '?', '?'])).toBe('you?');
  });
  it('drops the sentence period after an abbreviation', () => {
    expect(detokenize(['won', 'by', 'Ivan', 'Allen', 'Jr.', '.'])).toBe('won by Ivan Allen Jr.');
  });
});

describe('parseBrownFile', () => {
  it('keeps paragraphs and sentences', () => {
    const file = "\n\n\tThe/at jury/nn said/vbd ./.\nIt/pps left/vbd ./.\n\n\n\t``/`` Yes/rb ''/'' ./.\n";
    expect(parseBrownFile(file)).toEqual([['The jury said.', 'It left.'], ['"Yes".']]);
  });
});

describe('brown corpus', () => {
  it('has 500 documents in 15 genres, titled, with no POS tags left', () => {
    const docs = loadBrown();
    expect(docs).toHaveLength(500);
    expect(new Set(docs.map((d) => d.label)).size).toBe(15);
    expect(docs.filter((d) => d.label === 'news')).toHaveLength(44);
    expect(docs[0]).toMatchObject({ id: 'ca01', label: 'news', title: 'The Atlanta Constitution' });
    expect(documentText(docs[0])).toMatch(
      /^The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced "no evidence" that any irregularities took place\.\n\n/,
    );
    const text = docs.map(documentText).join('\n');
    const leftoverTags =
      text.match(/\S\/(nn|nns|np|vbd?|at|in|jj|cc|rb|pps?|dt|cd)(-tl|-hl|\$)?(\s|$)/g) ?? [];
    expect(leftoverTags).toEqual([]);
    expect(text.includes('``')).toBe(false);
    expect(text.includes(';;') || text.includes('??')).toBe(false);
    // Four Brown sentences begin with a comma (zing! , Inc.); many more would be a detokenizer bug.
    expect(text.match(/ ,/g)?.length ?? 0).toBeLessThanOrEqual(4);
    // 1.16M tokens in Brown; detokenized text is about 6M characters.
    expect(text.length).toBeGreaterThan(5_500_000);
    expect(text.length).toBeLessThan(6_500_000);
  });
});
