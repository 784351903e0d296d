/**
 * The scaling grid on a real Slurm: a single-node cluster on this machine (slurmctld and slurmd
 * on localhost, packages/experiment/src/testing/local-slurm.sh), the smoke grid (three budgets,
 * so a unit lasts long enough to be caught mid-way) submitted with the generated scripts as job
 * arrays, one array task requeued while its unit is mid-way (Slurm kills it and runs it again),
 * and the merged run checked against a single-process run of the same config.
 *
 * Needs root and Debian's slurm-wlm and munge (.ci/run installs them); skipped elsewhere, with
 * the reason printed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'packages', 'cli', 'src', 'bin.ts');
const clusterScript = path.join(root, 'packages', 'experiment', 'src', 'testing', 'local-slurm.sh');
const grid = [
  '--preset',
  'smoke',
  '--grid.budgets=[1e8,2.2e8,4.6e8]',
  '--grid.sizesPerBudget=3',
  '--train.checkpointPoints=6',
  '--fit.bootstrap=12',
];

function unavailable(): string | null {
  if (process.env.PRETRAIN_LAB_SKIP_SLURM) return 'PRETRAIN_LAB_SKIP_SLURM is set';
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root (slurmd must start jobs as their user)';
  for (const b of ['slurmctld', 'slurmd', 'sbatch', 'scontrol', 'squeue', 'sinfo', 'munged'])
    if (spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0)
      return `${b} not found (apt-get install slurm-wlm munge)`;
  return null;
}
const reason = unavailable();
if (reason) console.log(`slurm.test.ts skipped: ${reason}`);

let tmp = '';
let cluster = '';
let env: NodeJS.ProcessEnv = {};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const slurm = (cmd: string, args: string[]) => execFileSync(cmd, args, { env, encoding: 'utf8' });

function lab(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', bin, ...args], {
    cwd: root,
    encoding: 'utf8',
    env,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const readJSON = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const rows = (dir: string) =>
  fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { tokensPerSec: _t, elapsedSec: _e, ...rest } = JSON.parse(l);
      return rest;
    });

describe.skipIf(reason !== null)('the smoke scaling grid as Slurm job arrays', () => {
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scaling-slurm-'));
    cluster = path.join(tmp, 'cluster');
    // Ports of this run's own, so two test runs on one machine do not meet.
    const port = String(20000 + (process.pid % 4000) * 2);
    const out = execFileSync('bash', [clusterScript, 'start', cluster], {
      encoding: 'utf8',
      env: { ...process.env, LOCAL_SLURM_PORT: port },
    });
    const conf = /^SLURM_CONF=(.*)$/m.exec(out)?.[1];
    if (!conf) throw new Error(`local-slurm.sh printed no SLURM_CONF: ${out}`);
    env = { ...process.env, SLURM_CONF: conf, PRETRAIN_LAB_BACKEND: 'wasm' };
  });
  afterAll(() => {
    spawnSync('bash', [clusterScript, 'stop', cluster]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('survives a requeued task mid-unit and merges to the single-process metrics and summary', async () => {
    const ref = path.join(tmp, 'ref');
    const r = lab(['exp', 'scaling', ...grid, '--out', ref, '--quiet']);
    expect(r.code, r.stderr).toBe(0);

    const shared = path.join(tmp, 'shared');
    const gen = lab(['exp', 'scaling', ...grid, '--out', shared, '--slurm', '--tasks', '3']);
    expect(gen.code, gen.stderr).toBe(0);
    const plan = JSON.parse(lab(['exp', 'scaling', ...grid, '--out', shared, '--plan', '--json']).stdout);
    const submitted = execFileSync('bash', [path.join(shared, 'slurm', 'submit.sh')], {
      env,
      encoding: 'utf8',
    });
    const jobs = Object.fromEntries(
      [...submitted.matchAll(/^([\w-]+): job (\d+)$/gm)].map((m) => [m[1], m[2]]),
    );
    expect(Object.keys(jobs)).toEqual(['stage-0', 'stage-1', 'merge']);

    // Catch a training unit mid-way (a checkpoint at most half-way, 100 steps or more to go) and requeue
    // the array task running it: Slurm sends it SIGTERM, then runs the task again.
    const stepsOf = new Map<string, number>(
      readJSON(path.join(ref, 'summary.json')).runs.map((x: any) => [x.unit, x.steps]),
    );
    const trainUnits = plan.units.filter((u: any) => u.kind === 'train');
    let victim: { unit: any; task: string; step: number } | null = null;
    const deadline = Date.now() + 180_000;
    while (!victim && Date.now() < deadline) {
      for (const u of trainUnits) {
        const dir = path.join(shared, 'units', u.id);
        const state = path.join(dir, 'checkpoints', 'state.json');
        if (!fs.existsSync(state) || fs.existsSync(path.join(dir, 'done.json'))) continue;
        let step: number;
        let task: string | undefined;
        try {
          step = readJSON(state).step;
          const attempts = readJSON(path.join(dir, 'unit.json')).attempts;
          task = /^slurm (\d+_\d+) \(restart 0\)$/.exec(attempts[attempts.length - 1].task ?? '')?.[1];
        } catch {
          continue; // being written
        }
        // Far enough from the end that the unit is still running when the signal arrives.
        const steps = stepsOf.get(u.name)!;
        if (task && step > 0 && step <= steps / 2 && steps - step >= 100) {
          victim = { unit: u, task, step };
          break;
        }
      }
      if (!victim) await sleep(10);
    }
    expect(victim, 'no training unit was seen mid-way').not.toBeNull();
    const { unit, task, step } = victim!;
    slurm('scontrol', ['requeue', task]);

    // Wait for the merge job's work: run.json completed.
    const runJson = path.join(shared, 'run.json');
    while (Date.now() < deadline + 120_000) {
      if (fs.existsSync(runJson) && readJSON(runJson).status === 'completed') break;
      if (slurm('squeue', ['-h', '-o', '%i']).trim() === '') break; // nothing left to run
      await sleep(500);
    }
    const logs = fs
      .readdirSync(path.join(shared, 'slurm', 'logs'))
      .map((f) => path.join(shared, 'slurm', 'logs', f));
    const logText = logs.map((f) => `== ${path.basename(f)}\n${fs.readFileSync(f, 'utf8')}`).join('\n');
    expect(readJSON(runJson).status, logText).toBe('completed');

    // Slurm ran the task twice; the unit was interrupted once, then resumed from its checkpoint.
    expect(slurm('scontrol', ['show', 'job', task])).toMatch(/Restarts=1\b/);
    const attempts = readJSON(path.join(shared, 'units', unit.id, 'unit.json')).attempts;
    expect(attempts.map((a: any) => [a.status, a.task])).toEqual([
      ['interrupted', `slurm ${task} (restart 0)`],
      ['completed', `slurm ${task} (restart 1)`],
    ]);
    expect(attempts[0].error).toBe('stopped by SIGTERM');
    const taskLog = fs.readFileSync(logs.find((f) => f.endsWith(`_${task}.out`))!, 'utf8');
    const resumedAt = Number(new RegExp(`${unit.name}: .*resuming at step (\\d+)`).exec(taskLog)?.[1]);
    expect(resumedAt, taskLog).toBeGreaterThanOrEqual(step); // at the checkpoint seen, or a later one
    // Every other unit ran exactly once.
    for (const u of plan.units.filter((p: any) => p.id !== unit.id)) {
      const a = readJSON(path.join(shared, 'units', u.id, 'unit.json')).attempts;
      expect(
        a.map((x: any) => x.status),
        u.name,
      ).toEqual(['completed']);
    }

    // The merged run equals the single-process one, timing fields aside.
    expect(rows(shared)).toEqual(rows(ref));
    const a = readJSON(path.join(ref, 'summary.json'));
    const b = readJSON(path.join(shared, 'summary.json'));
    const strip = (s: any) => s.runs.map(({ tokensPerSec: _t, ...m }: any) => m);
    expect(strip(b)).toEqual(strip(a));
    expect(b.fits).toEqual(a.fits);
    expect(b.grid).toEqual(a.grid);
    console.log(
      `slurm: jobs ${jobs['stage-0']} (prepare), ${jobs['stage-1']} (${trainUnits.length} units in 3 array tasks), ${jobs.merge} (merge); ` +
        `requeued ${task} with ${unit.name} past its step-${step} checkpoint; restart 1 resumed it at step ${resumedAt}; ` +
        `merged ${rows(shared).length} metric rows and ${b.runs.length} run rows equal to the single-process run's`,
    );
  }, 420_000);
});
