import { describe, expect, it } from 'vitest';
import { documentText, splitCounts, splitDocuments, splitKey } from './split.js';
import { syntheticDocs } from './testing.js';

const ids = (docs: { id: string }[]) => docs.map((d) => d.id);

describe('splitCounts', () => {
  it('uses 0.9/0.05/0.05 by default with at least one document per split from 3 documents', () => {
    expect(splitCounts(1000)).toEqual({ train: 900, validation: 50, test: 50 });
    expect(splitCounts(500)).toEqual({ train: 450, validation: 25, test: 25 });
    expect(splitCounts(3)).toEqual({ train: 1, validation: 1, test: 1 });
    expect(splitCounts(10)).toEqual({ train: 8, validation: 1, test: 1 });
    expect(splitCounts(2)).toEqual({ train: 2, validation: 0, test: 0 });
  });
  it('respects a zero fraction and rejects bad fractions', () => {
    expect(splitCounts(10, { train: 0.8, validation: 0.2, test: 0 })).toEqual({
      train: 8,
      validation: 2,
      test: 0,
    });
    expect(() => splitCounts(10, { train: 0.5, validation: 0.2, test: 0.2 })).toThrow(/sum to 1/);
    expect(() => splitCounts(10, { train: 1.1, validation: -0.1, test: 0 })).toThrow(/non-negative/);
  });
});

describe('splitDocuments', () => {
  const docs = syntheticDocs(100);

  it('partitions the documents, keeping corpus order within a split', () => {
    const s = splitDocuments(docs, { seed: 1 });
    expect([s.train.length, s.validation.length, s.test.length]).toEqual([90, 5, 5]);
    expect(new Set([...ids(s.train), ...ids(s.validation), ...ids(s.test)]).size).toBe(100);
    expect(ids(s.train)).toEqual([...ids(s.train)].sort());
  });

  it('is deterministic for a seed and different across seeds', () => {
    expect(splitDocuments(docs, { seed: 7 })).toEqual(splitDocuments(docs, { seed: 7 }));
    expect(ids(splitDocuments(docs, { seed: 7 }).validation)).not.toEqual(
      ids(splitDocuments(docs, { seed: 8 }).validation),
    );
  });

  it('does not depend on the order of the input', () => {
    const a = splitDocuments(docs, { seed: 3 });
    const b = splitDocuments([...docs].reverse(), { seed: 3 });
    expect(new Set(ids(b.test))).toEqual(new Set(ids(a.test)));
    expect(new Set(ids(b.validation))).toEqual(new Set(ids(a.validation)));
  });

  it('moves few documents when one is added', () => {
    const before = splitDocuments(docs, { seed: 5 });
    const after = splitDocuments([...docs, { id: 'new', paragraphs: [['New.']] }], { seed: 5 });
    const where = (s: typeof before) =>
      new Map(Object.entries(s).flatMap(([name, ds]) => ds.map((d) => [d.id, name] as const)));
    const w0 = where(before);
    const w1 = where(after);
    const moved = [...w0].filter(([id, split]) => w1.get(id) !== split);
    expect(moved.length).toBeLessThanOrEqual(2);
  });

  it('pins the keys so a change of hash is noticed', () => {
    expect(splitKey(0, 'doc000')).toBe(splitKey(0, 'doc000'));
    expect(splitKey(0, 'doc000')).not.toBe(splitKey(1, 'doc000'));
    expect(ids(splitDocuments(syntheticDocs(20), { seed: 42 }).test)).toMatchInlineSnapshot(`
      [
        "doc009",
      ]
    `);
  });

  it('rejects duplicate ids', () => {
    expect(() => splitDocuments([docs[0], docs[0], docs[1]], { seed: 0 })).toThrow(/duplicate document id/);
  });

  it('re-exports documentText', () => {
    expect(documentText(docs[1])).toBe('Doc 1.\n\nSecond paragraph.');
  });
});
