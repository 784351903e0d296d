import { loadCorpus, splitDocuments } from '@pretrain-lab/data';
import { describe, expect, it } from 'vitest';
import { loadBrownGenre } from './brown.js';
import { summarizeTask } from './task.js';

describe('brown-genre', () => {
  it('keeps the pretraining document split, filters short paragraphs, caps per document', () => {
    const task = loadBrownGenre({ seed: 1 });
    expect(task.labels).toHaveLength(15);
    const docSplits = splitDocuments(loadCorpus('brown'), { seed: 1 });
    for (const s of ['train', 'validation', 'test'] as const) {
      const ids = new Set(docSplits[s].map((d) => d.id));
      for (const e of task[s]) expect(ids.has(e.group)).toBe(true);
    }
    const perDoc = new Map<string, number>();
    for (const e of task.train) perDoc.set(e.group, (perDoc.get(e.group) ?? 0) + 1);
    expect(Math.max(...perDoc.values())).toBeLessThanOrEqual(20);
    expect(task.train.every((e) => e.text.split(/\s+/).length >= 20)).toBe(true);
    const s = summarizeTask(task);
    expect(s.groups).toEqual({ train: 450, validation: 25, test: 25 });
    expect(s.examples).toEqual({ train: 8019, validation: 445, test: 440 });
    expect(summarizeTask(loadBrownGenre({ seed: 1 })).sha256).toBe(s.sha256);
  });
  it('works on a small fake corpus', () => {
    const docs = Array.from({ length: 10 }, (_, i) => ({
      id: `d${i}`,
      label: i % 2 ? 'odd' : 'even',
      paragraphs: [['short one.'], [Array.from({ length: 25 }, (_, j) => `w${j}`).join(' ')]],
    }));
    const task = loadBrownGenre({ seed: 0, documents: docs, maxPerDocument: 1 });
    expect(task.labels).toEqual(['even', 'odd']);
    expect(task.train.length + task.validation.length + task.test.length).toBe(10);
    expect(task.notes.join('\n')).toMatch(/dropped 10 paragraphs under 20 words/);
  });
});
