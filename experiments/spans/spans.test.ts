/** The span-corruption study end to end through the CLI on the smoke preset. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { defaults, settings } from './config.js';
import { presets } from './presets.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'packages', 'cli', 'src', 'bin.ts');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spans-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('spans settings', () => {
  it('the default study is T5 Tables 6-7: spans 1, 2, 3, 5, 10 at 15% and rates 10-50% at span 3, each once', () => {
    const s = settings(defaults);
    expect(s.map((x) => x.name)).toEqual([
      'span 1 (i.i.d.), 15%',
      'span 2, 15%',
      'span 3, 15%',
      'span 5, 15%',
      'span 10, 15%',
      'span 3, 10%',
      'span 3, 25%',
      'span 3, 50%',
    ]);
    expect(s.find((x) => x.name === 'span 3, 15%')?.group).toBe('both');
    expect(presets.default.overrides).toEqual({});
  });
});

describe('pnpm exp spans --preset smoke', () => {
  it('pretrains each setting, fine-tunes text to text, and writes the table', () => {
    const out = path.join(tmp, 'smoke');
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', bin, 'exp', 'spans', '--preset', 'smoke', '--out', out, '--quiet'],
      {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, PRETRAIN_LAB_BACKEND: 'wasm' },
      },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.table.map((x: any) => x.setting)).toEqual([
      'span 1 (i.i.d.), 15%',
      'span 3, 15%',
      'span 3, 50%',
    ]);
    // Longer spans at the same rate give shorter targets; a higher rate gives longer ones.
    const target = (name: string) => summary.table.find((x: any) => x.setting === name).targetLength.mean;
    expect(target('span 3, 15%')).toBeLessThan(target('span 1 (i.i.d.), 15%'));
    expect(target('span 3, 50%')).toBeGreaterThan(target('span 3, 15%'));
    expect(summary.baseline.setting).toBe('no pretraining');
    for (const row of [...summary.table, summary.baseline]) {
      expect(row.tasks.spam.metric).toBe('accuracy');
      expect(row.tasks['spam-subject'].metric).toBe('rouge');
      expect(row.tasks['spam-subject'].rougeL.mean).toBeGreaterThanOrEqual(0);
    }
    expect(JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8')).status).toBe('completed');
  });
});
