import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listTasks, loadTask } from './registry.js';
import { textToText } from './task.js';

describe('registry', () => {
  it('lists tasks and rejects unknown names with the valid ones', () => {
    expect(listTasks().map((t) => t.name)).toEqual([
      'brown-genre',
      'brown-restore',
      'brown-cloze',
      'brown-fill',
      'spam',
      'spam-subject',
      'kjv-web-paraphrase',
    ]);
    expect(() => loadTask('sst2', { seed: 0 })).toThrow(
      "unknown task 'sst2'; valid: brown-genre, brown-restore, brown-cloze, brown-fill, spam, spam-subject, kjv-web-paraphrase",
    );
  });
  it('loads brown-genre and its text-to-text view', () => {
    const task = loadTask('brown-genre', { seed: 1 });
    const tt = textToText(task, 'classify genre');
    expect(tt.validation[0].input.startsWith('classify genre: ')).toBe(true);
    expect(task.labels).toContain(tt.validation[0].target);
  });
});

describe('user task specs (tsv:PATH, jsonl:PATH)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'task-spec-'));
  const sst = path.join(dir, 'sst2.tsv');
  fs.writeFileSync(
    sst,
    `sentence\tlabel\n${Array.from({ length: 30 }, (_, i) => `text number ${i}\t${i % 2}`).join('\n')}\n`,
  );
  const glue = path.join(dir, 'MNLI');
  fs.mkdirSync(glue);
  const pairs = (n: number) =>
    `sentence1\tsentence2\tlabel\n${Array.from({ length: n }, (_, i) => `a ${i}\tb ${i}\t${['entailment', 'neutral', 'contradiction'][i % 3]}`).join('\n')}\n`;
  fs.writeFileSync(path.join(glue, 'train.tsv'), pairs(12));
  fs.writeFileSync(path.join(glue, 'dev.tsv'), pairs(6));

  it('loads a GLUE-style single-sentence TSV with default columns', () => {
    const t = loadTask(`tsv:${sst}`, { seed: 1 });
    expect(t.kind).toBe('single');
    expect(t.labels).toEqual(['0', '1']);
    expect(t.train.length + t.validation.length + t.test.length).toBe(30);
  });

  it('loads a GLUE folder of sentence pairs, dev as the test split', () => {
    const t = loadTask(`tsv:${glue}?pair`, { seed: 1 });
    expect(t.kind).toBe('pair');
    expect(t.test).toHaveLength(6);
    expect(t.train[0].textPair).toMatch(/^b /);
  });

  it('names the file and line of a malformed row, and rejects bad specs in one line', () => {
    const bad = path.join(dir, 'bad.tsv');
    fs.writeFileSync(bad, 'sentence\tlabel\nfine\t1\nmissing a field\n');
    expect(() => loadTask(`tsv:${bad}`, { seed: 1 })).toThrow(
      new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3`),
    );
    expect(() => loadTask(`tsv:${sst}?txt=sentence`, { seed: 1 })).toThrow(/unknown parameter 'txt'/);
    expect(() => loadTask(`tsv:${sst}?label=gold`, { seed: 1 })).toThrow(/gold/);
    const empty = path.join(dir, 'empty.jsonl');
    fs.writeFileSync(empty, '');
    expect(() => loadTask(`jsonl:${empty}`, { seed: 1 })).toThrow(/empty/);
  });
});
