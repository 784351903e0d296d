/** The NSP ablation end to end through the CLI on the smoke preset, and its input errors. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'packages', 'cli', 'src', 'bin.ts');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsp-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function lab(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', bin, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, PRETRAIN_LAB_BACKEND: 'wasm' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('pnpm exp nsp --preset smoke', () => {
  it('pretrains each variant, fine-tunes it and the no-pretraining baseline, and summarises by seed', () => {
    const out = path.join(tmp, 'smoke');
    const r = lab(['exp', 'nsp', '--preset', 'smoke', '--out', out, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.table.map((row: any) => row.variant)).toEqual([
      'no pretraining',
      'SEGMENT-PAIR + NSP',
      'DOC-SENTENCES, static masking',
    ]);
    const nspRow = summary.table[1];
    expect(nspRow.nsp).toBe(true);
    expect(nspRow.pretrainNspLoss.mean).toBeGreaterThan(0);
    expect(summary.table[2].pretrainNspLoss).toBeNull(); // no NSP head without NSP
    for (const row of summary.table) {
      const cell = row.tasks.spam;
      expect(cell.n).toBe(1);
      expect(cell.accuracy.mean).toBeGreaterThanOrEqual(0);
      expect(cell.accuracy.mean).toBeLessThanOrEqual(1);
    }
    const rows = fs
      .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.some((x) => x.phase === 'pretrain' && x.split === 'val' && typeof x.mlm === 'number')).toBe(
      true,
    );
    expect(rows.some((x) => x.phase === 'pretrain' && x.split === 'val' && typeof x.nsp === 'number')).toBe(
      true,
    );
    expect(rows.filter((x) => x.phase === 'finetune' && x.split === 'test')).toHaveLength(3);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8')).status).toBe('completed');
  });

  it('marks a diverged pretraining in the summary and goes on with the other units', () => {
    const out = path.join(tmp, 'diverged');
    const r = lab(['exp', 'nsp', '--preset', 'smoke', '--out', out, '--pretrain.lr=100']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/SEGMENT-PAIR \+ NSP \| seed 1: diverged \(.*\); kept its last good checkpoint/);
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.pretrain.map((p: any) => p.status)).toEqual(['diverged', 'diverged']);
    // Every fine-tuning still ran, the baseline's and those of the diverged encoders' last good weights.
    expect(summary.finetune.map((f: any) => [f.variant, f.status])).toEqual([
      ['no pretraining', 'completed'],
      ['SEGMENT-PAIR + NSP', 'completed'],
      ['DOC-SENTENCES, static masking', 'completed'],
    ]);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8')).status).toBe('completed');
  });

  it('takes a user TSV task and names the file and line of a malformed row', () => {
    const bad = path.join(tmp, 'bad.tsv');
    fs.writeFileSync(bad, 'sentence\tlabel\ngood row\t1\nno label here\n');
    const r = lab([
      'exp',
      'nsp',
      '--preset',
      'smoke',
      '--out',
      path.join(tmp, 'bad'),
      '--quiet',
      `--finetune.tasks=["tsv:${bad}"]`,
    ]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^error: .*${path.basename(bad)}:3`));
  });

  it('rejects an unknown input format in one line', () => {
    const r = lab([
      'exp',
      'nsp',
      '--preset',
      'smoke',
      '--quiet',
      '--variants=[{"name":"x","format":"tri-pair","masking":"dynamic"}]',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(
      /^error: variant 'x': format must be one of segment-pair, sentence-pair, full-sentences, doc-sentences/,
    );
  });
});
