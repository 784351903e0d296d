import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildManifest, splitManifest } from './manifest.js';
import { splitDocuments } from './split.js';
import { charTokenizer, syntheticDocs } from './testing.js';

describe('splitManifest', () => {
  const tok = charTokenizer();

  it('counts documents, characters and tokens and hashes ids and texts in order', () => {
    const docs = [
      { id: 'a', paragraphs: [['Hi.', 'Yo.']] },
      { id: 'b', paragraphs: [['X.'], ['Y.']] },
    ];
    const m = splitManifest(docs, tok);
    const expected = createHash('sha256').update('["a","Hi. Yo."]\n["b","X.\\n\\nY."]\n').digest('hex');
    expect(m).toEqual({ documents: 2, characters: 7 + 6, tokens: 13, sha256: expected });
  });

  it('changes its hash when an id, a text or the order changes', () => {
    const docs = syntheticDocs(3);
    const h = splitManifest(docs, tok).sha256;
    expect(splitManifest([...docs].reverse(), tok).sha256).not.toBe(h);
    expect(splitManifest([{ ...docs[0], id: 'other' }, docs[1], docs[2]], tok).sha256).not.toBe(h);
    expect(
      splitManifest([{ ...docs[0], paragraphs: [['Changed.']] }, docs[1], docs[2]], tok).sha256,
    ).not.toBe(h);
  });

  it('uses given token counts instead of tokenizing', () => {
    expect(splitManifest(syntheticDocs(2), tok, [5, 6]).tokens).toBe(11);
    expect(() => splitManifest(syntheticDocs(2), tok, [5])).toThrow(/1 token counts for 2/);
  });
});

describe('buildManifest', () => {
  it('is plain JSON with every split', () => {
    const splits = splitDocuments(syntheticDocs(30), { seed: 1 });
    const m = buildManifest(splits, charTokenizer(), { corpus: 'synthetic', seed: 1 });
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
    expect(Object.keys(m.splits)).toEqual(['train', 'validation', 'test']);
    expect(m.splits.train.documents + m.splits.validation.documents + m.splits.test.documents).toBe(30);
    expect(m).toMatchObject({ corpus: 'synthetic', seed: 1, tokenizer: { kind: 'char', vocabSize: 65537 } });
  });
});
