import { describe, expect, it } from 'vitest';
import { documentText } from './document.js';
import { loadMobyDick } from './mobyDick.js';

describe('moby-dick corpus', () => {
  it('has the 135 chapters and the epilogue, with paragraphs', () => {
    const docs = loadMobyDick();
    expect(docs).toHaveLength(136);
    expect(docs[0]).toMatchObject({ id: 'chapter_001', title: 'Loomings.' });
    expect(docs[0].paragraphs[0][0]).toBe('Call me Ishmael.');
    expect(docs[0].paragraphs.length).toBeGreaterThan(10);
    expect(docs.at(-1)!.id).toBe('epilogue');
    expect(documentText(docs[134])).toContain('Ahab');
  });
});
