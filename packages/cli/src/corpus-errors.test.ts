/**
 * `--corpus files:...` that cannot make a corpus: one line, exit code 2, no stack trace, before
 * any training, saying what was found and what to do. Run through the real CLI on the smoke
 * presets of nsp (which needs two training documents) and spans (which needs a batch of chunks).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const bin = path.join(root, 'packages', 'cli', 'src', 'bin.ts');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corpus-errors-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const file = (name: string, content: string | Buffer) => {
  fs.mkdirSync(path.dirname(path.join(tmp, name)), { recursive: true });
  fs.writeFileSync(path.join(tmp, name), content);
  return path.join(tmp, name);
};
const empty = file('empty.txt', '\n  \n');
const binary = file('binary.dat', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0x10]));
const latin1 = file('latin1.txt', Buffer.from('Caf\xe9 cr\xe8me. Another sentence.\n', 'latin1'));
const tiny = file('tiny.txt', 'Just a few words here.\n');
for (const n of ['a', 'b', 'c']) file(`few/${n}.txt`, `Document ${n} has one short sentence.\n`);

/** Runs `pnpm exp <name> --preset smoke --corpus=<corpus>`; async, so the cases run side by side. */
function exp(name: string, corpus: string): Promise<{ code: number | null; stderr: string }> {
  const out = path.join(tmp, 'runs', `${name}-${Math.random().toString(36).slice(2)}`);
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      bin,
      'exp',
      name,
      '--preset',
      'smoke',
      `--corpus=${corpus}`,
      // Only the corpus under test: no self-pretraining inputs added to it.
      ...(name === 'spans' ? ['--pretrain.selfPretrain.tasks=[]'] : []),
      '--quiet',
      '--out',
      out,
    ],
    { cwd: root, env: { ...process.env, PRETRAIN_LAB_BACKEND: 'wasm' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

describe('--corpus files: problems are one-line errors before training', () => {
  const cases: [string, string, string, RegExp][] = [
    [
      'an empty file',
      'nsp',
      `files:${empty}`,
      /the file matched is empty \(.*empty\.txt\); point it at files with text/,
    ],
    [
      'a binary file',
      'nsp',
      `files:${binary}`,
      /'.*binary\.dat' looks binary \(a NUL byte at offset 6\), not text; leave it out/,
    ],
    [
      'a glob matching nothing',
      'nsp',
      `files:${tmp}/*.nothing`,
      /pattern '.*\*\.nothing' matches no files \(searched under /,
    ],
    [
      'text that is not UTF-8',
      'nsp',
      `files:${latin1}`,
      /'.*latin1\.txt' is not UTF-8 text \(invalid bytes near offset 4\); convert it, e\.g\. iconv/,
    ],
    [
      'too few documents to split',
      'nsp',
      `files:${tiny}`,
      /the train split has 1 documents with text, it needs at least 2 \(NSP draws/,
    ],
    [
      'fewer tokens than one batch',
      'spans',
      `files:${tmp}/few/*.txt`,
      /only 1 chunks of \d+ training tokens \(corpus '.*', \d+ tokens\) for batch size 4; use more data or a smaller batch/,
    ],
  ];
  for (const [what, experiment, corpus, pattern] of cases) {
    it.concurrent(what, async () => {
      const r = await exp(experiment, corpus);
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: /);
      expect(lines[0]).toMatch(pattern);
    });
  }
});
