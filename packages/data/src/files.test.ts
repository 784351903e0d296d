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

describe('loadFiles: files that are not a corpus', () => {
  let bad: string;
  beforeAll(() => {
    bad = mkdtempSync(join(tmpdir(), 'pretrain-lab-bad-files-'));
    writeFileSync(join(bad, 'empty.txt'), '');
    writeFileSync(join(bad, 'blank.txt'), ' \n\n\t\n');
    writeFileSync(join(bad, 'text.txt'), 'Some text. More of it.');
    writeFileSync(join(bad, 'image.bin'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x1a]));
    writeFileSync(join(bad, 'latin1.txt'), Buffer.from('na\xefve r\xe9sum\xe9', 'latin1'));
  });
  afterAll(() => rmSync(bad, { recursive: true, force: true }));

  it('leaves out files with no text, and says so when nothing is left', () => {
    expect(() => loadFiles('empty.txt,blank.txt', bad)).toThrow(
      /^files corpus 'empty.txt,blank.txt': all 2 files matched are empty \(blank\.txt, empty\.txt\); point it at files with text$/,
    );
  });
  it('refuses a binary file, naming it and the NUL byte', () => {
    expect(() => loadFiles('image.bin', bad)).toThrow(CorpusError);
    expect(() => loadFiles('image.bin', bad)).toThrow(/'image\.bin' looks binary \(a NUL byte at offset 4\)/);
  });
  it('refuses text that is not UTF-8, saying where and how to convert it', () => {
    expect(() => loadFiles('latin1.txt', bad)).toThrow(
      /'latin1\.txt' is not UTF-8 text \(invalid bytes near offset 3\); convert it, e\.g\. iconv -f latin1 -t utf-8/,
    );
  });
  it('still reads the good files', () => {
    expect(loadFiles('text.txt,empty.txt', bad).map((d) => d.id)).toEqual(['text.txt']);
  });
});
