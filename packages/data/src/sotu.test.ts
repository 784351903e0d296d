import { describe, expect, it } from 'vitest';
import { loadSotu } from './sotu.js';

describe('sotu corpus', () => {
  it('has 233 addresses with unique ids, party labels and split sentences', () => {
    const docs = loadSotu();
    expect(docs).toHaveLength(233);
    expect(new Set(docs.map((d) => d.id)).size).toBe(233);
    expect(docs[0]).toMatchObject({
      id: '1790_george_washington',
      title: 'George Washington, 1790',
      label: 'none',
    });
    expect(docs.at(-1)!.id).toBe('2021_joseph_r_biden');
    // The texts have no line breaks: one paragraph per address, many sentences.
    expect(docs.every((d) => d.paragraphs.length === 1 && d.paragraphs[0].length > 20)).toBe(true);
    expect(docs[0].paragraphs[0][1]).toBe(
      'The abundant fruits of another year have blessed our country with plenty and with the means of a flourishing commerce.',
    );
  });
});
