/**
 * The scaling grid as units for many workers, through the real CLI on this machine: the plan
 * (stable ids, stages, dependencies, cost), two workers sharing one run directory and the merge
 * ending with the metrics, summary and figures of a single-process run, and the job files of
 * `--k8s` and `--slurm`. slurm.test.ts runs the same grid on a real (single-node) Slurm.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toYAML } from '@pretrain-lab/experiment';
import { jobErrors } from '@pretrain-lab/experiment/testing/k8s-schema';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'packages', 'cli', 'src', 'bin.ts');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scaling-dist-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const env = { ...process.env, PRETRAIN_LAB_BACKEND: 'wasm' };

function lab(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', bin, ...args], {
    cwd: root,
    encoding: 'utf8',
    env,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function labAsync(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', bin, ...args], { cwd: root, env });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}
const readRows = (dir: string) =>
  fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { tokensPerSec: _t, elapsedSec: _e, ...rest } = JSON.parse(l);
      return rest;
    });
const readJSON = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const stripTiming = (s: any) => s.runs.map(({ tokensPerSec: _t, ...m }: any) => m);

describe('pnpm exp scaling --plan', () => {
  it('lists prepare, then every grid unit waiting for it, with stable ids and costs', () => {
    const a = lab(['exp', 'scaling', '--preset', 'smoke', '--plan', '--json']);
    expect(a.code).toBe(0);
    const plan = JSON.parse(a.stdout);
    expect(plan).toMatchObject({
      experiment: 'scaling',
      preset: 'smoke',
      speed: expect.stringContaining('backend wasm'),
    });
    expect(plan.units).toHaveLength(21);
    expect(plan.units[0]).toMatchObject({ name: 'prepare', kind: 'prepare', stage: 0, deps: [] });
    expect(plan.stages.map((s: string[]) => s.length)).toEqual([1, 20]);
    for (const u of plan.units.slice(1)) {
      expect(u).toMatchObject({ kind: 'train', stage: 1, deps: [plan.units[0].id] });
      expect(u.id).toMatch(/^train-[0-9a-f]{12}$/);
      expect(u.name).toMatch(/^C[\d.e]+-L\d-D\d+$/);
      expect(u.flops).toBeGreaterThan(0);
      expect(u.seconds).toBeGreaterThan(0);
    }
    // The same ids in another process; another config, other ids.
    expect(JSON.parse(lab(['exp', 'scaling', '--preset', 'smoke', '--plan', '--json']).stdout).units).toEqual(
      plan.units,
    );
    const other = JSON.parse(
      lab(['exp', 'scaling', '--preset', 'smoke', '--plan', '--json', '--train.lr=0.01']).stdout,
    );
    expect(other.units[0].id).toBe(plan.units[0].id); // the data does not depend on lr
    expect(other.units[1].id).not.toBe(plan.units[1].id);
    const text = lab(['exp', 'scaling', '--preset', 'smoke', '--plan', '--stage', '1', '--shard', '1/4']);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/21 units in 2 stages; 5 selected$/);
    expect(lines).toHaveLength(2 + 5 + 1); // header, 5 units, total
  });
});

describe('two workers and the merge', () => {
  const single = path.join(tmp, 'single');
  const shared = path.join(tmp, 'shared');

  it('end with the metrics, summary and figures of a single-process run', async () => {
    expect(lab(['exp', 'scaling', '--preset', 'smoke', '--out', single, '--quiet']).code).toBe(0);
    // Both workers start at once; shard 1 waits for the prepare unit that shard 0 runs first.
    const worker = (i: number) =>
      labAsync([
        'exp',
        'scaling',
        '--preset',
        'smoke',
        '--out',
        shared,
        '--shard',
        `${i}/2`,
        '--wait-deps',
        '120',
      ]);
    const [w0, w1] = await Promise.all([worker(0), worker(1)]);
    expect(w0.code, w0.stderr).toBe(0);
    expect(w1.code, w1.stderr).toBe(0);
    const early = lab(['exp', 'scaling', '--out', shared, '--unit', 'C1e7-L1-D4']);
    expect(early.stderr).toContain('C1e7-L1-D4 (train-');
    expect(early.stderr).toContain('complete, skipped');

    const merged = lab(['exp', 'scaling', '--out', shared, '--merge']);
    expect(merged.code, merged.stderr).toBe(0);
    expect(readRows(shared)).toEqual(readRows(single));
    const a = readJSON(path.join(single, 'summary.json'));
    const b = readJSON(path.join(shared, 'summary.json'));
    expect(stripTiming(b)).toEqual(stripTiming(a));
    expect(b.fits).toEqual(a.fits);
    expect(b.grid).toEqual(a.grid);
    expect(fs.readFileSync(path.join(shared, 'tokenizer.json'), 'utf8')).toBe(
      fs.readFileSync(path.join(single, 'tokenizer.json'), 'utf8'),
    );
    const run = readJSON(path.join(shared, 'run.json'));
    expect(run).toMatchObject({
      status: 'completed',
      backend: { name: 'wasm' },
      distributed: { units: 21, attempts: 21 },
    });

    // pnpm figures reads the merged directory like any run: the same figures, byte for byte.
    const figs = (results: string, docs: string) => {
      fs.mkdirSync(path.join(results, 'scaling'), { recursive: true });
      return lab(['figures', '--results', results, '--docs', docs]);
    };
    fs.cpSync(single, path.join(tmp, 'ra', 'scaling', 'run'), { recursive: true });
    fs.cpSync(shared, path.join(tmp, 'rb', 'scaling', 'run'), { recursive: true });
    expect(figs(path.join(tmp, 'ra'), path.join(tmp, 'da')).code).toBe(0);
    expect(figs(path.join(tmp, 'rb'), path.join(tmp, 'db')).code).toBe(0);
    const svgs = fs.readdirSync(path.join(tmp, 'da', 'figures')).filter((f) => f.startsWith('scaling-'));
    expect(svgs.length).toBeGreaterThanOrEqual(12);
    for (const f of svgs)
      expect(
        fs
          .readFileSync(path.join(tmp, 'db', 'figures', f))
          .equals(fs.readFileSync(path.join(tmp, 'da', 'figures', f))),
        f,
      ).toBe(true);
  }, 300_000);

  it('refuses a worker of another config in the same directory, and --resume of it', () => {
    const r = lab([
      'exp',
      'scaling',
      '--preset',
      'smoke',
      '--out',
      shared,
      '--shard',
      '0/2',
      '--train.lr=0.01',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^error: .*holds a scaling run of another config \(preset smoke\)/m);
    const s = lab(['exp', 'scaling', '--resume', shared]);
    expect(s.code).toBe(2);
    expect(s.stderr.trim()).toMatch(/is a run of many workers; continue it with --out/);
    const m = lab(['exp', 'scaling', '--preset', 'smoke', '--out', path.join(tmp, 'empty'), '--merge']);
    expect(m.code).toBe(2);
    expect(m.stderr.trim()).toMatch(
      /^error: 21 of 21 units are not complete in .*; run them with pnpm exp scaling --out .* --unit prepare-/m,
    );
  });
});

describe('job files', () => {
  it('--k8s: Indexed Jobs valid against the Job schema, written as YAML', () => {
    const dir = path.join(tmp, 'k8s-run');
    const r = lab([
      'exp',
      'scaling',
      '--preset',
      'smoke',
      '--out',
      dir,
      '--k8s',
      '--json',
      '--tasks',
      '4',
      '--image',
      'lab:1',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const jobs = JSON.parse(r.stdout);
    expect(
      jobs.map((j: any) => [j.metadata.name, j.spec.completionMode ?? null, j.spec.completions]),
    ).toEqual([
      ['scaling-k8s-run-s0', 'Indexed', 1],
      ['scaling-k8s-run-s1', 'Indexed', 4],
      ['scaling-k8s-run-merge', null, 1],
    ]);
    for (const j of jobs) expect(jobErrors(j)).toEqual([]);
    expect(jobs[1].spec.template.spec.containers[0].command).toEqual(
      expect.arrayContaining([
        '--out',
        '/runs/k8s-run',
        '--preset',
        'smoke',
        '--stage',
        '1',
        '--shard',
        '$(JOB_COMPLETION_INDEX)/4',
      ]),
    );
    expect(fs.readFileSync(path.join(dir, 'k8s', 'jobs.yaml'), 'utf8')).toBe(toYAML(jobs));
    expect(readJSON(path.join(dir, 'config.json'))).toMatchObject({ experiment: 'scaling', preset: 'smoke' });
  });

  it('--slurm: a job array per stage, chained with afterok', () => {
    const dir = path.join(tmp, 'slurm-run');
    const r = lab([
      'exp',
      'scaling',
      '--preset',
      'smoke',
      '--out',
      dir,
      '--slurm',
      '--tasks',
      '4',
      '--grid.minSteps=5',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((f) => path.basename(f)),
    ).toEqual(['stage-0.sbatch', 'stage-1.sbatch', 'merge.sbatch', 'submit.sh']);
    const s1 = fs.readFileSync(path.join(dir, 'slurm', 'stage-1.sbatch'), 'utf8');
    expect(s1).toContain('#SBATCH --array=0-3');
    expect(s1).toContain(
      `exec node --import tsx packages/cli/src/bin.ts exp scaling --out ${dir} --preset smoke --grid.minSteps=5 --stage 1 --shard "\${SLURM_ARRAY_TASK_ID}/4"`,
    );
    expect(fs.statSync(path.join(dir, 'slurm', 'submit.sh')).mode & 0o111).not.toBe(0);
  });
});
