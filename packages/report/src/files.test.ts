import { mkdtempSync, readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomicIfChanged } from './files.js';

describe('writeFileAtomicIfChanged', () => {
  it('writes new files (creating folders), skips identical ones, leaves no temp files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'files-'));
    const path = join(dir, 'a', 'b.txt');
    expect(writeFileAtomicIfChanged(path, 'hello')).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('hello');
    const old = new Date('2020-01-01T00:00:00Z');
    utimesSync(path, old, old);
    expect(writeFileAtomicIfChanged(path, 'hello')).toBe(false);
    expect(statSync(path).mtime.getTime()).toBe(old.getTime());
    expect(writeFileAtomicIfChanged(path, new Uint8Array([104, 105]))).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('hi');
    expect(readdirSync(join(dir, 'a'))).toEqual(['b.txt']);
  });
});
