import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clearCorpusCache, listCorpora, loadCorpus, registerCorpus } from './corpora.js';
import { CorpusError } from './errors.js';

describe('corpus registry', () => {
  it('lists the built-ins and the files: form', () => {
    expect(listCorpora().map((c) => c.name)).toEqual([
      'brown',
      'sotu',
      'moby-dick',
      'files:<paths or globs>',
    ]);
    expect(listCorpora().every((c) => c.description.length > 10)).toBe(true);
  });

  it('rejects an unknown name, listing the valid ones', () => {
    expect(() => loadCorpus('wikitext')).toThrow(CorpusError);
    expect(() => loadCorpus('wikitext')).toThrow(
      "unknown corpus 'wikitext'; valid: brown, sotu, moby-dick, files:<paths or globs>",
    );
  });

  it('caches per process and freezes the shared result', () => {
    let loads = 0;
    registerCorpus('test-tiny', 'two documents', () => {
      loads++;
      return [
        { id: 'a', paragraphs: [['A.']] },
        { id: 'b', paragraphs: [['B.']] },
      ];
    });
    const first = loadCorpus('test-tiny');
    expect(loadCorpus('test-tiny')).toBe(first);
    expect(loads).toBe(1);
    expect(Object.isFrozen(first) && Object.isFrozen(first[0])).toBe(true);
    clearCorpusCache();
    loadCorpus('test-tiny');
    expect(loads).toBe(2);
    expect(() => registerCorpus('test-tiny', '', () => [])).toThrow(/already registered/);
  });

  it('rejects duplicate ids', () => {
    registerCorpus('test-dup', 'duplicate ids', () => [
      { id: 'a', paragraphs: [] },
      { id: 'a', paragraphs: [] },
    ]);
    expect(() => loadCorpus('test-dup')).toThrow(/two documents with id 'a'/);
  });

  it('loads files: corpora', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pretrain-lab-corpora-'));
    try {
      writeFileSync(join(dir, 'x.txt'), 'Hello there. General Kenobi.');
      const docs = loadCorpus(`files:${join(dir, '*.txt')}`);
      expect(docs).toHaveLength(1);
      expect(docs[0].paragraphs).toEqual([['Hello there.', 'General Kenobi.']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
