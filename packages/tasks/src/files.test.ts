import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadJsonlTask, loadTextToTextFile, loadTsvTask } from './files.js';

const dir = mkdtempSync(join(tmpdir(), 'tasks-files-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('task files', () => {
  it('SST-2-style TSV, one file per split', () => {
    const train = file('train.tsv', 'sentence\tlabel\r\nit is good\t1\n"quoted" bad\t0\n\n');
    const dev = file('dev.tsv', 'sentence\tlabel\nfine\t1\n');
    const task = loadTsvTask(
      { train, validation: dev },
      { textColumn: 'sentence', labelColumn: 'label', name: 'sst2' },
    );
    expect(task).toMatchObject({ name: 'sst2', kind: 'single', labels: ['0', '1'] });
    expect(task.train.map((e) => e.text)).toEqual(['it is good', '"quoted" bad']);
    expect(task.validation[0]).toEqual({
      id: 'validation/2',
      text: 'fine',
      label: '1',
      group: 'validation/2',
    });
    expect(task.test).toEqual([]);
  });
  it('MNLI-style pairs from one file, split by a group column', () => {
    const rows = Array.from(
      { length: 30 },
      (_, i) =>
        `${i}\tdoc${i % 10}\tpremise ${i}\thypothesis ${i}\t${['entailment', 'neutral', 'contradiction'][i % 3]}`,
    );
    const p = file('mnli.tsv', ['index\tgenre\tsentence1\tsentence2\tgold_label', ...rows].join('\n'));
    const task = loadTsvTask(p, {
      textColumn: 'sentence1',
      textPairColumn: 'sentence2',
      labelColumn: 'gold_label',
      groupColumn: 'genre',
      seed: 1,
    });
    expect(task.kind).toBe('pair');
    expect(task.train.length + task.validation.length + task.test.length).toBe(30);
    const trainGroups = new Set(task.train.map((e) => e.group));
    for (const e of [...task.validation, ...task.test]) expect(trainGroups.has(e.group)).toBe(false);
  });
  it('one-line errors naming file and line', () => {
    const opts = { textColumn: 'sentence', labelColumn: 'label' };
    expect(() => loadTsvTask(file('e1.tsv', ''), opts)).toThrow(/e1\.tsv: empty file/);
    expect(() => loadTsvTask(file('e2.tsv', 'text\tlabel\na\t1\n'), opts)).toThrow(
      /e2\.tsv:1: header has no column 'sentence'/,
    );
    expect(() => loadTsvTask(file('e3.tsv', 'sentence\tlabel\na\t1\nb\t1\textra\n'), opts)).toThrow(
      /e3\.tsv:3: 3 fields, but the header has 2/,
    );
    expect(() =>
      loadTsvTask(file('e4.tsv', 'sentence\tlabel\na\t2\n'), { ...opts, labels: ['0', '1'] }),
    ).toThrow(/e4\.tsv:2: unknown label '2'/);
    expect(() =>
      loadJsonlTask(file('e5.jsonl', '{"sentence":"a","label":1}\n{"sentence": oops}\n'), opts),
    ).toThrow(/e5\.jsonl:2: invalid JSON/);
    expect(() => loadJsonlTask(file('e6.jsonl', '{"sentence":"a"}\n'), opts)).toThrow(
      /e6\.jsonl:1: missing field 'label'/,
    );
    expect(() => loadJsonlTask(file('e7.jsonl', '\n\n'), opts)).toThrow(/e7\.jsonl: empty file/);
    expect(() => loadTsvTask(join(dir, 'nope.tsv'), opts)).toThrow(
      /nope\.tsv: cannot read task file \(ENOENT\)/,
    );
    try {
      loadTsvTask(file('e1.tsv', ''), opts);
    } catch (e) {
      expect((e as Error).name).toBe('TaskFileError');
      expect((e as Error).message).not.toContain('\n');
    }
  });
  it('JSONL labels become strings; text-to-text files', () => {
    const p = file('t.jsonl', '{"sentence":"a","label":1}\n\n{"sentence":"b","label":0}\n');
    const task = loadJsonlTask({ train: p }, { textColumn: 'sentence', labelColumn: 'label' });
    expect(task.train.map((e) => e.label)).toEqual(['1', '0']);
    const tt = loadTextToTextFile({ train: file('s.tsv', 'input\ttarget\nlong text\tsummary\n') });
    expect(tt.kind).toBe('generation');
    expect(tt.labels).toEqual([]);
    expect(tt.train[0]).toMatchObject({ text: 'long text', label: 'summary' });
    const tj = loadTextToTextFile({ train: file('s.jsonl', '{"input":"x","target":"y"}\n') });
    expect(tj.train[0]).toMatchObject({ text: 'x', label: 'y' });
  });
});
