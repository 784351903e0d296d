/**
 * The NSP ablation end to end through the CLI on the smoke preset: the ablation schema it
 * writes, stable unit ids, kill -9 and --resume, divergence, and its input errors.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
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

const node = [process.execPath, '--import', 'tsx', bin];
const readRows = (dir: string) =>
  fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
/** Wall-clock columns differ between any two runs; everything else must be identical. */
const deterministic = (row: Record<string, unknown>) => {
  const { tokensPerSec: _t, elapsedSec: _e, ...rest } = row;
  return rest;
};
const summaryOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
const withoutTiming = (s: any) => ({
  ...s,
  pretrain: s.pretrain.map(({ tokensPerSec: _t, ...p }: any) => p),
});

describe('pnpm exp nsp --preset smoke', () => {
  it('pretrains each variant, evaluates it and the no-pretraining row, and writes the ablation schema', () => {
    const out = path.join(tmp, 'smoke');
    const r = lab(['exp', 'nsp', '--preset', 'smoke', '--out', out, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = summaryOf(out);
    expect(summary.experiment).toBe('nsp');
    expect(summary.variants.map((v: any) => [v.name, v.pretrained, v.fields.pair ?? null])).toEqual([
      ['no pretraining', false, null],
      ['SEGMENT-PAIR + NSP', true, 'nsp'],
      ['DOC-SENTENCES, static masking', true, null],
    ]);
    expect(summary.pretrain.map((p: any) => Object.keys(p.finalLoss).sort())).toEqual([
      ['mlm', 'pair'],
      ['mlm'],
    ]);
    // One row per (variant, seed, task, evaluation), each with a score per test example.
    expect(summary.results).toHaveLength(3 * 2);
    for (const row of summary.results) {
      expect(row.perExample).toHaveLength(summary.tasks[0].testExamples);
      const mean = row.perExample.reduce((a: number, x: number) => a + x, 0) / row.perExample.length;
      expect(row.score).toBeCloseTo(mean, 12);
      expect(row.id).toMatch(/^eval-[0-9a-f]{12}$/);
    }
    // Unit ids are stable: the same config gives the same ids in another run directory.
    const again = path.join(tmp, 'smoke-again');
    expect(lab(['exp', 'nsp', '--preset', 'smoke', '--out', again, '--quiet']).code).toBe(0);
    expect(summaryOf(again).results.map((x: any) => x.id)).toEqual(summary.results.map((x: any) => x.id));
    const rows = readRows(out);
    expect(rows.some((x) => x.phase === 'pretrain' && x.split === 'val' && typeof x.mlm === 'number')).toBe(
      true,
    );
    expect(rows.some((x) => x.phase === 'pretrain' && x.split === 'val' && typeof x.pair === 'number')).toBe(
      true,
    );
    expect(JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8')).status).toBe('completed');
  });

  it('after kill -9 mid-pretraining, --resume ends with exactly the rows of an uninterrupted run', async () => {
    const longer = ['--pretrain.tokens=12000', '--pretrain.checkpointEvery=10'];
    const straight = path.join(tmp, 'straight');
    expect(lab(['exp', 'nsp', '--preset', 'smoke', '--out', straight, '--quiet', ...longer]).code).toBe(0);
    const killed = path.join(tmp, 'killed');
    const child: ChildProcess = spawn(
      node[0],
      [...node.slice(1), 'exp', 'nsp', '--preset', 'smoke', '--out', killed, '--quiet', ...longer],
      { cwd: root, env: { ...process.env, PRETRAIN_LAB_BACKEND: 'wasm' }, stdio: 'ignore' },
    );
    // Kill while the second variant's pretraining is mid-way: its first checkpoint exists.
    const marker = path.join(killed, 'checkpoints', 'pretrain-doc-sentences-static-masking-s1', 'state.json');
    const deadline = Date.now() + 90_000;
    while (!fs.existsSync(marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(fs.existsSync(marker)).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(fs.existsSync(path.join(killed, 'summary.json'))).toBe(false);
    const resumed = lab(['exp', 'nsp', '--resume', killed, '--quiet']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(readRows(killed).map(deterministic)).toEqual(readRows(straight).map(deterministic));
    expect(withoutTiming(summaryOf(killed))).toEqual(withoutTiming(summaryOf(straight)));
  });

  it('marks a diverged pretraining in the summary and goes on with the other units', () => {
    const out = path.join(tmp, 'diverged');
    const r = lab(['exp', 'nsp', '--preset', 'smoke', '--out', out, '--pretrain.lr=100']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/SEGMENT-PAIR \+ NSP \| seed 1: diverged \(.*\); kept its last good checkpoint/);
    const summary = summaryOf(out);
    expect(summary.pretrain.map((p: any) => p.status)).toEqual(['diverged', 'diverged']);
    // Every evaluation still ran, the baseline's and those of the diverged encoders' last good weights.
    expect(summary.results.map((f: any) => [f.variant, f.method, f.status])).toEqual([
      ['no pretraining', 'probe', 'completed'],
      ['no pretraining', 'finetune', 'completed'],
      ['SEGMENT-PAIR + NSP', 'probe', 'completed'],
      ['SEGMENT-PAIR + NSP', 'finetune', 'completed'],
      ['DOC-SENTENCES, static masking', 'probe', 'completed'],
      ['DOC-SENTENCES, static masking', 'finetune', 'completed'],
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
      /^error: variant 'x': format must be one of segment-pair, sentence-pair, full-sentences, doc-sentences, segment-pair-sop/,
    );
  });
});
