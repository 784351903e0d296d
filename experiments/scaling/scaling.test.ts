/**
 * The scaling experiment end to end through the real CLI: the smoke preset (a whole IsoFLOP
 * grid, every fit and figure), figures that are byte-identical on a second run, kill -9 and
 * --resume of the grid ending with the same metrics as an uninterrupted run, bad grid configs
 * failing before training, and the one-line errors for bad input.
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

describe('pnpm exp scaling --preset smoke (an IsoFLOP grid)', () => {
  const out = path.join(tmp, 'results', 'scaling', 'smoke-run');

  it('runs the whole grid and writes config, run record, metrics and summary with every fit', () => {
    const r = lab(['exp', 'scaling', '--preset', 'smoke', '--out', out, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const run = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
    expect(run.status).toBe('completed');
    expect(run.backend.name).toBe('wasm');
    expect(run.git).toHaveProperty('commit');
    expect(run.finishedAt).not.toBeNull();
    const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ experiment: 'scaling', preset: 'smoke', protocol: 'isoflop' });
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.schema).toBe('pretrain-lab/scaling-grid@1');
    expect(summary.runs).toHaveLength(4 * 5);
    expect(new Set(summary.runs.map((u: any) => u.budget))).toEqual(new Set([1e7, 2.2e7, 4.6e7, 1e8]));
    for (const u of summary.runs) {
      expect(u.status).toBe('completed');
      expect(Number.isFinite(u.finalValLoss)).toBe(true);
      // D = C / (6 N_total), rounded to whole steps.
      expect(u.steps).toBe(Math.round(u.budget / (6 * u.totalParams * 64)));
      expect(u.compute).toBe(6 * u.totalParams * u.tokens);
      expect(u.warmupSteps).toBe(Math.max(1, Math.round(0.05 * u.steps)));
    }
    for (const kind of ['total', 'nonEmbedding']) {
      const f = summary.fits[kind];
      expect(f.approach2.profiles.length).toBeGreaterThanOrEqual(2);
      expect(f.approach3.a).toEqual(expect.any(Number));
      expect(f.lossVsN.a).toEqual(expect.any(Number));
      expect(f.lossVsC.a).toEqual(expect.any(Number));
      expect(f.lossVsD.a).toEqual(expect.any(Number));
    }
    const rows = readRows(out);
    expect(new Set(rows.map((r) => r.model))).toEqual(new Set(summary.runs.map((u: any) => u.unit)));
    for (const row of rows) expect(row.compute).toBe(6 * row.totalParams * row.tokens);
  });

  it('pnpm figures writes SVG and PNG, and a second run changes no byte', () => {
    const docs = path.join(tmp, 'docs');
    const results = path.join(tmp, 'results');
    const first = lab(['figures', '--results', results, '--docs', docs]);
    expect(first.code).toBe(0);
    const files = [
      'figures/scaling-isoflop-total',
      'figures/scaling-isoflop-nonembedding',
      'figures/scaling-optimal-n-d',
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
    const md = fs.readFileSync(path.join(docs, 'experiments/scaling.md'), 'utf8');
    for (const v of ['0.076', '0.49', '0.74', '0.46']) expect(md).toContain(v);
  });
});

describe('kill -9 and --resume of the grid', () => {
  // Two budgets x 3 sizes, each unit with several checkpoints, so a kill lands inside a unit.
  const longer = [
    '--grid.budgets=[1e8,2.2e8]',
    '--grid.sizesPerBudget=3',
    '--train.checkpointPoints=6',
    '--fit.bootstrap=12',
  ];

  it('ends with exactly the metrics and fits of an uninterrupted run', async () => {
    const straight = path.join(tmp, 'straight');
    expect(lab(['exp', 'scaling', '--preset', 'smoke', '--out', straight, '--quiet', ...longer]).code).toBe(
      0,
    );
    const sa = JSON.parse(fs.readFileSync(path.join(straight, 'summary.json'), 'utf8'));
    const second = sa.runs[1].unit as string;

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
    // Kill while the second unit is mid-way: its first checkpoint exists, it has not finished.
    const marker = path.join(killed, 'checkpoints', second, 'state.json');
    const deadline = Date.now() + 90_000;
    while (!fs.existsSync(marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
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
    const sb = JSON.parse(fs.readFileSync(path.join(killed, 'summary.json'), 'utf8'));
    const strip = (s: any) => s.runs.map(({ tokensPerSec: _t, ...m }: any) => m);
    expect(strip(sb)).toEqual(strip(sa));
    expect(sb.fits).toEqual(sa.fits);
    const record = JSON.parse(fs.readFileSync(path.join(killed, 'run.json'), 'utf8'));
    expect(record.status).toBe('completed');
    expect(record.resumedAt).toHaveLength(1);
  });
});

describe('bad grid configs fail before training, in one line that says what to change', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'a budget too small for any size',
      ['exp', 'scaling', '--grid.budgets=[1e6,1e13]'],
      /^error: budget 1e6 FLOPs is too small for any size: even L1-D8 .* raise it to >= \S+$/,
    ],
    [
      'sizes that do not bracket N_opt',
      ['exp', 'scaling', '--grid.budgets=[3e11,1e15]'],
      /^error: budget 1e15: sizes .* do not bracket N_opt ~ .* add larger shapes to models, or move the budget down$/,
    ],
    [
      'a corpus too small for the tokens within 4 epochs',
      ['exp', 'scaling', '--corpus=moby-dick'],
      /^error: corpus 'moby-dick' is too small: C1e13-\S+ needs .* epochs of its .* training tokens \(grid.maxEpochs 4\); use a larger corpus/,
    ],
  ];
  for (const [what, args, pattern] of cases) {
    it(what, () => {
      const out = path.join(tmp, `bad-${what.replace(/\W+/g, '-')}`);
      const r = lab([...args, '--out', out]);
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines.filter((l) => l.startsWith('error:'))).toHaveLength(1);
      expect(lines[lines.length - 1]).toMatch(pattern);
      expect(fs.existsSync(path.join(out, 'metrics.jsonl'))).toBe(false); // nothing trained
    });
  }
});

describe('bad input: one line, exit code 2, no stack trace', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown experiment', ['exp', 'scalingg'], /^error: unknown experiment 'scalingg'; valid: .*scaling/],
    [
      'unknown preset',
      ['exp', 'scaling', '--preset', 'huge'],
      /^error: unknown preset 'huge' for experiment 'scaling'; valid: smoke, default, kaplan, full/,
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
