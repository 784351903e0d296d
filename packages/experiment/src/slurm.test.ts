import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { selectUnits } from './shard.js';
import { shellQuote, slurmScripts } from './slurm.js';
import { fixturePlan } from './testing/grid-fixture.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slurm-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const opts = {
  argv: ['node', '--import', 'tsx', 'packages/cli/src/bin.ts', 'exp', 'toy', '--out', '/runs/my run'],
  workdir: '/home/me/pretrain-lab',
  jobName: 'toy-smoke',
  logDir: '/runs/my run/slurm/logs',
  maxTasks: 4,
  partition: 'cpu',
  sbatch: ['--account=lab'],
};

describe('slurmScripts', () => {
  const files = slurmScripts(fixturePlan(), opts);

  it('writes one job array per stage, a merge job and submit.sh', () => {
    expect(Object.keys(files)).toEqual([
      'stage-0.sbatch',
      'stage-1.sbatch',
      'stage-2.sbatch',
      'merge.sbatch',
      'submit.sh',
    ]);
  });

  it('sizes each array to its stage (at most --tasks) and maps SLURM_ARRAY_TASK_ID to a shard', () => {
    const s = (name: string) => files[name].split('\n');
    expect(s('stage-0.sbatch')).toContain('#SBATCH --array=0-0');
    expect(s('stage-1.sbatch')).toContain('#SBATCH --array=0-2'); // 3 pretrainings, one per task
    expect(s('stage-2.sbatch')).toContain('#SBATCH --array=0-3'); // 6 fine-tunings in 4 tasks
    for (const name of ['stage-0.sbatch', 'stage-1.sbatch', 'stage-2.sbatch']) {
      expect(s(name)).toEqual(
        expect.arrayContaining([
          '#SBATCH --requeue',
          '#SBATCH --open-mode=append',
          '#SBATCH --partition=cpu',
          '#SBATCH --account=lab',
        ]),
      );
    }
    expect(files['stage-2.sbatch']).toContain(
      `cd /home/me/pretrain-lab\nexec node --import tsx packages/cli/src/bin.ts exp toy --out '/runs/my run' --stage 2 --shard "\${SLURM_ARRAY_TASK_ID}/4"\n`,
    );
    expect(files['stage-2.sbatch']).toContain('#SBATCH --output=/runs/my run/slurm/logs/%x_%A_%a.out');
    expect(files['merge.sbatch']).toMatch(/exec node .* --out '\/runs\/my run' --merge\n$/);
    // The time limit covers the slowest task's units (3x the estimate, plus 10 minutes).
    expect(s('stage-1.sbatch')).toContain(`#SBATCH --time=${Math.ceil((180 * 3 + 600) / 60)}`);
  });

  it('chains the stages with afterok in submit.sh', () => {
    expect(
      files['submit.sh'].match(
        /sbatch --parsable \$\{dep:\+--dependency=afterok:\$dep\} "\$here\/([\w-]+)\.sbatch"/g,
      ),
    ).toHaveLength(4);
    // Run submit.sh with a fake sbatch that records its arguments and answers job ids 101, 102, ...
    const dir = path.join(tmp, 'submit');
    fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
    fs.writeFileSync(
      path.join(dir, 'bin', 'sbatch'),
      `#!/bin/bash\nn=$(($(cat "${dir}/n" 2>/dev/null || echo 100) + 1)); echo $n > "${dir}/n"\necho "$*" >> "${dir}/calls"\necho "$n;cluster"\n`,
      { mode: 0o755 },
    );
    const r = spawnSync('bash', [path.join(dir, 'submit.sh')], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH}` },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('stage-0: job 101\nstage-1: job 102\nstage-2: job 103\nmerge: job 104\n');
    expect(fs.readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n')).toEqual([
      `--parsable ${dir}/stage-0.sbatch`,
      `--parsable --dependency=afterok:101 ${dir}/stage-1.sbatch`,
      `--parsable --dependency=afterok:102 ${dir}/stage-2.sbatch`,
      `--parsable --dependency=afterok:103 ${dir}/merge.sbatch`,
    ]);
  });

  it('writes scripts bash accepts, and tasks that cover each stage exactly once', () => {
    for (const [f, text] of Object.entries(files)) {
      const file = path.join(tmp, f);
      fs.writeFileSync(file, text);
      expect(spawnSync('bash', ['-n', file]).status, f).toBe(0);
    }
    const plan = fixturePlan();
    const covered = [0, 1, 2, 3].flatMap((i) =>
      selectUnits(plan, { stage: 2, shard: { index: i, count: 4 } }).map((u) => u.id),
    );
    expect(covered.sort()).toEqual(
      plan.units
        .filter((u) => u.kind === 'eval')
        .map((u) => u.id)
        .sort(),
    );
  });

  it('quotes for bash only what needs it', () => {
    expect(shellQuote('--grid.budgets=[1e8,2e8]')).toBe("'--grid.budgets=[1e8,2e8]'");
    expect(shellQuote('/a/b-c_d.e')).toBe('/a/b-c_d.e');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
