import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorpusError } from './errors.js';
import { expandPattern, expandPatterns, loadFiles } from './files.js';

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pretrain-lab-files-'));
  mkdirSync(join(root, 'a', 'b'), { recursive: true });
  mkdirSync(join(root, '.hidden'));
  writeFileSync(join(root, 'one.txt'), '\uFEFFFirst doc. Two sentences.\n\nSecond paragraph.\n');
  writeFileSync(join(root, 'two.md'), 'Markdown file.');
  writeFileSync(join(root, 'a', 'three.txt'), 'Nested.');
  writeFileSync(join(root, 'a', 'b', 'four.txt'), 'Deeper.\r\n\r\nStill.');
  writeFileSync(join(root, '.hidden', 'x.txt'), 'hidden');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const rel = (files: string[]) =>
  files.map((f) =>
    f
      .slice(root.length + 1)
      .split('\\')
      .join('/'),
  );

describe('expandPattern', () => {
  it('matches * within a directory and ** across directories, sorted', () => {
    expect(rel(expandPattern('*.txt', root))).toEqual(['one.txt']);
    expect(rel(expandPattern('**/*.txt', root))).toEqual(['a/b/four.txt', 'a/three.txt', 'one.txt']);
    expect(rel(expandPattern('a/**/f?ur.txt', root))).toEqual(['a/b/four.txt']);
  });
  it('takes plain paths and directories', () => {
    expect(rel(expandPattern('two.md', root))).toEqual(['two.md']);
    expect(rel(expandPattern('a', root))).toEqual(['a/b/four.txt', 'a/three.txt']);
  });
  it('says what is missing', () => {
    expect(() => expandPattern('nope.txt', root)).toThrow(CorpusError);
    expect(() => expandPattern('*.csv', root)).toThrow(/matches no files/);
  });
  it('deduplicates a comma-separated list', () => {
    expect(rel(expandPatterns('one.txt, *.txt,two.md', root))).toEqual(['one.txt', 'two.md']);
  });
});

describe('loadFiles', () => {
  it('makes one document per file with paragraphs at blank lines', () => {
    const docs = loadFiles('**/*.txt', root);
    expect(docs.map((d) => d.id)).toEqual(['a/b/four.txt', 'a/three.txt', 'one.txt']);
    expect(docs[2].paragraphs).toEqual([['First doc.', 'Two sentences.'], ['Second paragraph.']]);
    expect(docs[0].paragraphs).toEqual([['Deeper.'], ['Still.']]);
  });
});
