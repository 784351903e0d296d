/**
 * The scaling experiment end to end through the real CLI: the smoke preset, figures that are
 * byte-identical on a second run, kill -9 and --resume ending with the same metrics as an
 * uninterrupted run, and the one-line errors for bad input.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'packages', 'cli', 'src', 'bin.ts');
// node itself with tsx's loader (not the tsx wrapper), so that kill -9 hits the process doing the work.
const node = [process.execPath, '--import', 'tsx', bin];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scaling-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function lab(args: string[]) {
  const r = spawnSync(node[0], [...node.slice(1), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, PRETRAIN_LAB_BACKEND: 'wasm' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

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

describe('pnpm exp scaling --preset smoke', () => {
  const out = path.join(tmp, 'results', 'scaling', 'smoke-run');

  it('runs and writes config, run record, metrics and summary', () => {
    const r = lab(['exp', 'scaling', '--preset', 'smoke', '--out', out, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const run = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
    expect(run.status).toBe('completed');
    expect(run.backend.name).toBe('wasm');
    expect(run.git).toHaveProperty('commit');
    expect(run.finishedAt).not.toBeNull();
    const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ experiment: 'scaling', preset: 'smoke' });
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.models).toHaveLength(3);
    for (const m of summary.models) expect(Number.isFinite(m.finalValLoss)).toBe(true);
    expect(summary.fits.params.a).toEqual(expect.any(Number));
    const rows = readRows(out);
    expect(new Set(rows.map((r) => r.model))).toEqual(new Set(['L1-D8', 'L1-D16', 'L2-D16']));
    expect(rows.filter((r) => r.split === 'val').length).toBe(3 * 3); // steps 0, 6, 12
  });

  it('pnpm figures writes SVG and PNG, and a second run changes no byte', () => {
    const docs = path.join(tmp, 'docs');
    const results = path.join(tmp, 'results');
    const first = lab(['figures', '--results', results, '--docs', docs]);
    expect(first.code).toBe(0);
    const files = [
      'figures/scaling-loss-vs-compute',
      'figures/scaling-loss-vs-params',
      'figures/scaling-loss-vs-tokens',
    ]
      .flatMap((f) => [`${f}.svg`, `${f}.png`])
      .concat('experiments/scaling.md');
    const bytes = files.map((f) => fs.readFileSync(path.join(docs, f)));
    expect(lab(['figures', '--results', results, '--docs', docs]).code).toBe(0);
    files.forEach((f, i) => {
      expect(fs.readFileSync(path.join(docs, f)).equals(bytes[i]), f).toBe(true);
    });
    expect(fs.readFileSync(path.join(docs, 'experiments/scaling.md'), 'utf8')).toContain('0.076');
  });
});

describe('kill -9 and --resume', () => {
  const longer = [
    '--train.steps=40',
    '--train.checkpointEvery=5',
    '--train.evalEvery=10',
    '--train.logEvery=5',
  ];

  it('ends with exactly the metrics of an uninterrupted run', async () => {
    const straight = path.join(tmp, 'straight');
    expect(lab(['exp', 'scaling', '--preset', 'smoke', '--out', straight, '--quiet', ...longer]).code).toBe(
      0,
    );

    const killed = path.join(tmp, 'killed');
    const child: ChildProcess = spawn(
      node[0],
      [...node.slice(1), 'exp', 'scaling', '--preset', 'smoke', '--out', killed, '--quiet', ...longer],
      {
        cwd: root,
        env: { ...process.env, PRETRAIN_LAB_BACKEND: 'wasm' },
        stdio: 'ignore',
      },
    );
    // Kill while the second model is mid-way: its first checkpoint exists, it has not finished.
    const marker = path.join(killed, 'checkpoints', 'L1-D16', 'state.json');
    const deadline = Date.now() + 90_000;
    while (!fs.existsSync(marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(fs.existsSync(marker)).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const interrupted = JSON.parse(fs.readFileSync(path.join(killed, 'run.json'), 'utf8'));
    expect(interrupted.status).toBe('running'); // kill -9 leaves no chance to record anything
    expect(fs.existsSync(path.join(killed, 'summary.json'))).toBe(false); // no half-written summary

    const resumed = lab(['exp', 'scaling', '--resume', killed, '--quiet']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(readRows(killed).map(deterministic)).toEqual(readRows(straight).map(deterministic));
    const sa = JSON.parse(fs.readFileSync(path.join(straight, 'summary.json'), 'utf8'));
    const sb = JSON.parse(fs.readFileSync(path.join(killed, 'summary.json'), 'utf8'));
    const strip = (s: any) => s.models.map(({ tokensPerSec: _t, ...m }: any) => m);
    expect(strip(sb)).toEqual(strip(sa));
    expect(sb.fits).toEqual(sa.fits);
    const record = JSON.parse(fs.readFileSync(path.join(killed, 'run.json'), 'utf8'));
    expect(record.status).toBe('completed');
    expect(record.resumedAt).toHaveLength(1);
  });
});

describe('bad input: one line, exit code 2, no stack trace', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown experiment', ['exp', 'scalingg'], /^error: unknown experiment 'scalingg'; valid: .*scaling/],
    [
      'unknown preset',
      ['exp', 'scaling', '--preset', 'huge'],
      /^error: unknown preset 'huge' for experiment 'scaling'; valid: smoke, default, full/,
    ],
    [
      'unknown config key',
      ['exp', 'scaling', '--train.lrr=1'],
      /^error: unknown config key 'train.lrr'; valid keys: train\.steps, train\.lr/,
    ],
    [
      'value of the wrong type',
      ['exp', 'scaling', '--train.lr=fast'],
      /^error: --train.lr: expected a number, got 'fast'/,
    ],
    [
      'value out of range',
      ['exp', 'scaling', '--preset', 'smoke', '--train.steps=-3'],
      /^error: train.steps must be a positive integer, got -3/,
    ],
    [
      'unknown corpus',
      ['exp', 'scaling', '--preset', 'smoke', '--corpus=nocorpus', '--out', path.join(tmp, 'nc')],
      /^error: .*nocorpus.*brown/,
    ],
    ['unknown backend', ['exp', 'scaling', '--backend', 'tpu'], /^error: unknown backend 'tpu'; valid: auto/],
    ['unknown command', ['frobnicate'], /^error: .*frobnicate.*valid commands: exp/],
    [
      'resume of a non-run',
      ['exp', 'scaling', '--resume', os.tmpdir()],
      /^error: --resume .*: not a run directory/,
    ],
  ];
  for (const [what, args, pattern] of cases) {
    it(what, () => {
      const r = lab(args);
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines.filter((l) => l.startsWith('error:'))).toHaveLength(1);
      expect(lines[lines.length - 1]).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });
  }

  it('refuses to overwrite an existing run directory', () => {
    const dir = path.join(tmp, 'existing');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'run.json'), '{}');
    const r = lab(['exp', 'scaling', '--preset', 'smoke', '--out', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/already holds a run; pass --resume/);
    expect(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')).toBe('{}');
  });
});
