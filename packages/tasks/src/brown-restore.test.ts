import { loadCorpus, splitDocuments } from '@pretrain-lab/data';
import { Rng } from '@pretrain-lab/runtime/rng';
import { describe, expect, it } from 'vitest';
import {
  BROWN_RESTORE_DEFAULTS,
  clozePair,
  FILL_BLANK,
  fillPair,
  loadBrownRestore,
  restorePair,
  stripCaseAndPunctuation,
  truncateWords,
} from './brown-restore.js';
import { loadTask } from './registry.js';
import { summarizeTask, TASK_SPLITS, textToText } from './task.js';

describe('brown-restore pieces', () => {
  it('strips case and punctuation, leaving a word break where punctuation was inside a word', () => {
    expect(stripCaseAndPunctuation('"Atlanta\'s hard-fought primary", 20,000 votes -- U.S.!')).toBe(
      'atlanta s hard fought primary 20 000 votes u s',
    );
    expect(stripCaseAndPunctuation(' -- ')).toBe('');
  });
  it('truncates at a word boundary to maxWords input words, without trailing word-less tokens', () => {
    expect(truncateWords('One two, three four.', 10)).toEqual({
      text: 'One two, three four.',
      truncated: false,
    });
    expect(truncateWords('One two, three -- four.', 3)).toEqual({ text: 'One two, three', truncated: true });
    // "hard-fought" is two input words: it does not fit after two others under a cap of 3.
    expect(truncateWords('A very hard-fought race', 3)).toEqual({ text: 'A very', truncated: true });
    expect(truncateWords('well-known-and-loved thing', 2)).toEqual({
      text: 'well-known-and-loved',
      truncated: true,
    });
  });
  it('drops sentences under minWords and pairs the rest', () => {
    const limits = { minWords: 5, maxWords: 6, long: 'skip' } as const;
    expect(restorePair('He said so.', limits)).toBeNull();
    expect(restorePair('"No," he said, "not Atlanta."', limits)).toEqual({
      input: 'no he said not atlanta',
      target: '"No," he said, "not Atlanta."',
      truncated: false,
    });
    const long = 'One, two, three, four, five, six, seven.';
    expect(restorePair(long, limits)).toBeNull();
    expect(restorePair(long, { ...limits, long: 'truncate' })).toEqual({
      input: 'one two three four five six',
      target: 'One, two, three, four, five, six,',
      truncated: true,
    });
  });
});

describe('brown-restore', () => {
  const task = loadBrownRestore({ seed: 1 });

  it('keeps the pretraining document split, so held-out documents stay out of pretraining', () => {
    const docSplits = splitDocuments(loadCorpus('brown'), { seed: 1 });
    for (const s of TASK_SPLITS) {
      const ids = new Set(docSplits[s].map((d) => d.id));
      for (const e of task[s]) expect(ids.has(e.group)).toBe(true);
    }
    const pretrainDocs = new Set(docSplits.train.map((d) => d.id));
    const trainGroups = new Set(task.train.map((e) => e.group));
    for (const e of [...task.validation, ...task.test]) {
      expect(pretrainDocs.has(e.group)).toBe(false);
      expect(trainGroups.has(e.group)).toBe(false);
    }
  });

  it('inputs are lowercase words only, and stripping a target gives its input', () => {
    for (const s of TASK_SPLITS) {
      for (const e of task[s]) {
        expect(e.text).toMatch(/^[a-z0-9]+( [a-z0-9]+)*$/); // Brown is ASCII
        expect(stripCaseAndPunctuation(e.label)).toBe(e.text);
        const words = e.text.split(' ').length;
        expect(words).toBeGreaterThanOrEqual(BROWN_RESTORE_DEFAULTS.minWords);
        expect(words).toBeLessThanOrEqual(BROWN_RESTORE_DEFAULTS.maxWords);
      }
    }
  });

  it('targets are the corpus sentences as written (whole, or a word-boundary prefix with truncate)', () => {
    const sentences = new Map<string, string>();
    for (const doc of loadCorpus('brown'))
      doc.paragraphs.forEach((ss, p) => {
        ss.forEach((sentence, i) => {
          sentences.set(`${doc.id}/p${p}s${i}`, sentence);
        });
      });
    for (const e of task.test) expect(e.label).toBe(sentences.get(e.id));
    const truncating = loadBrownRestore({ seed: 1, long: 'truncate' });
    let whole = 0;
    for (const e of truncating.test) {
      const sentence = sentences.get(e.id)!;
      expect(stripCaseAndPunctuation(e.label)).toBe(e.text);
      expect(e.text.split(' ').length).toBeLessThanOrEqual(BROWN_RESTORE_DEFAULTS.maxWords);
      if (e.label === sentence) whole++;
      else expect(sentence.startsWith(`${e.label} `)).toBe(true);
    }
    expect(summarizeTask(truncating).examples).toEqual({ train: 18000, validation: 1000, test: 1000 });
    expect(whole / truncating.test.length).toBeGreaterThan(0.6);
    expect(whole).toBeLessThan(truncating.test.length);
  });

  it('caps examples per document, pins counts, and is deterministic for a seed', () => {
    const perDoc = new Map<string, number>();
    for (const e of task.train) perDoc.set(e.group, (perDoc.get(e.group) ?? 0) + 1);
    expect(Math.max(...perDoc.values())).toBe(BROWN_RESTORE_DEFAULTS.maxPerDocument);
    const s = summarizeTask(task);
    expect(s.kind).toBe('generation');
    expect(s.groups).toEqual({ train: 450, validation: 25, test: 25 });
    // Long sentences are skipped, so 38 training documents have fewer than 40 left.
    expect(s.examples).toEqual({ train: 17594, validation: 980, test: 977 });
    expect(new Set(task.train.map((e) => e.id)).size).toBe(task.train.length);
    expect(summarizeTask(loadBrownRestore({ seed: 1 })).sha256).toBe(s.sha256);
    expect(summarizeTask(loadTask('brown-restore', { seed: 1 })).sha256).toBe(s.sha256);
    expect(summarizeTask(loadBrownRestore({ seed: 2 })).sha256).not.toBe(s.sha256);
  });

  it('has a text-to-text view: "<prefix>: <input>" -> the text as written', () => {
    const tt = textToText(task, 'restore');
    expect(tt.test[0].input).toBe(`restore: ${task.test[0].text}`);
    expect(tt.test[0].target).toBe(task.test[0].label);
    expect(tt.targets).toEqual([]);
  });

  it('samples a capped document with its own seeded stream, in reading order', () => {
    const sentence = (d: number, i: number) => `Sentence number ${i} of document ${d}.`;
    const docs = Array.from({ length: 20 }, (_, d) => ({
      id: `d${d}`,
      paragraphs: [['Too short.'], Array.from({ length: 10 }, (_, i) => sentence(d, i))],
    }));
    const small = loadBrownRestore({ seed: 3, documents: docs, maxPerDocument: 4 });
    const all = [...small.train, ...small.validation, ...small.test];
    expect(all).toHaveLength(80);
    const picked = (t: typeof small, doc: string) =>
      [...t.train, ...t.validation, ...t.test].filter((e) => e.group === doc).map((e) => e.id);
    const d0 = picked(small, 'd0');
    expect(d0).toHaveLength(4);
    expect([...d0].sort((a, b) => Number(a.split('s')[1]) - Number(b.split('s')[1]))).toEqual(d0);
    // Another document's sample does not move when the corpus around it changes.
    const fewer = loadBrownRestore({ seed: 3, documents: docs.slice(0, 5), maxPerDocument: 4 });
    expect(picked(fewer, 'd0')).toEqual(d0);
    expect(small.notes.join('\n')).toMatch(
      /of 220 sentences: dropped 20 under 5 words, 0 over 26 words; dropped 120 over the cap of 4/,
    );
    expect(() => loadBrownRestore({ seed: 0, documents: docs, maxWords: 2 })).toThrow(/minWords <= maxWords/);
  });
});

describe('brown-cloze', () => {
  it('asks for the last word of a held-out sentence, given the words before it', () => {
    expect(clozePair('He said, "Go home now."', { minWords: 3, maxWords: 26, long: 'skip' })).toEqual({
      input: 'he said go home',
      target: 'now',
      truncated: false,
    });
    expect(clozePair('It cost 20,000.', { minWords: 2, maxWords: 26, long: 'skip' })).toBeNull();
    const task = loadTask('brown-cloze', { seed: 1 });
    expect(task.kind).toBe('generation');
    expect(task.train.length).toBeGreaterThan(5000);
    expect(task.test.length).toBeGreaterThan(300);
    for (const e of task.test.slice(0, 50)) {
      expect(e.label).toMatch(/^[a-z]+$/);
      expect(e.text).not.toMatch(/[A-Z.,;!?]/);
    }
    const trainDocs = new Set(task.train.map((e) => e.group));
    expect(task.test.some((e) => trainDocs.has(e.group))).toBe(false);
  });
});

describe('brown-fill', () => {
  const limits = { minWords: 3, maxWords: 26, long: 'skip' as const };
  it('blanks one letters-only word, chosen by the seed, and asks for it', () => {
    const e = fillPair('He paid 20,000 for it.', limits, new Rng(1))!;
    const words = e.input.split(' ');
    expect(words.filter((w) => w === FILL_BLANK)).toHaveLength(1);
    const at = words.indexOf(FILL_BLANK);
    const original = 'he paid 20 000 for it'.split(' ');
    expect(e.target).toBe(original[at]);
    expect(e.target).toMatch(/^[a-z]+$/);
    expect([...words.slice(0, at), e.target, ...words.slice(at + 1)]).toEqual(original);
    // Every letters-only word is chosen for some seed, and never a number.
    const chosen = new Set(
      Array.from({ length: 200 }, (_, s) => fillPair('He paid 20,000 for it.', limits, new Rng(s))!.target),
    );
    expect([...chosen].sort()).toEqual(['for', 'he', 'it', 'paid']);
    expect(fillPair('It is 20,000.', { ...limits, minWords: 5 }, new Rng(1))).toBeNull();
    expect(fillPair('20 000 300', limits, new Rng(1))).toBeNull();
  });

  it('is a held-out-document generation task, fixed by its seed', () => {
    const task = loadTask('brown-fill', { seed: 1 });
    expect(task.kind).toBe('generation');
    expect(task.train.length).toBeGreaterThan(5000);
    for (const e of task.test.slice(0, 50)) {
      expect(e.text.split(' ').filter((w) => w === FILL_BLANK)).toHaveLength(1);
      expect(e.label).toMatch(/^[a-z]+$/);
    }
    const trainDocs = new Set(task.train.map((e) => e.group));
    expect(task.test.some((e) => trainDocs.has(e.group))).toBe(false);
    const again = loadTask('brown-fill', { seed: 1 });
    expect(again.test.slice(0, 20)).toEqual(task.test.slice(0, 20));
    // "the" is the most frequent answer, well under a fifth of them: the no-context floor.
    const counts = new Map<string, number>();
    for (const e of task.test) counts.set(e.label, (counts.get(e.label) ?? 0) + 1);
    const top = [...counts].sort((a, b) => b[1] - a[1])[0];
    expect(top[0]).toBe('the');
    expect(top[1] / task.test.length).toBeLessThan(0.2);
  });
});
