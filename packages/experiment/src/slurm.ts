/**
 * Slurm job arrays for a grid: one array per stage (plan.ts), task i of stage k running
 * `--stage k --shard i/n` (shard.ts), each stage waiting for the one before with
 * `--dependency=afterok`, then one merge job. Text only: sbatch does the scheduling.
 *
 *   <run>/slurm/stage-0.sbatch ... stage-K.sbatch, merge.sbatch, submit.sh, logs/
 *
 * `--requeue` is safe: a requeued task runs its units again, and the worker skips the complete
 * ones and resumes the interrupted one from its checkpoint. Stop a running task with
 * `scontrol requeue JOB_TASK` rather than `scancel`: a cancelled task fails the `afterok` of
 * the stages after it for good.
 */
import { type GridPlan, planStages } from './plan.js';
import { shardUnits, tasksFor } from './shard.js';

export interface WorkerCommand {
  /** One worker's argv up to the unit selection, e.g. [node, --import, tsx, bin.ts, exp, scaling, --out, DIR]. */
  argv: string[];
  /** Where it runs: the repository on the compute nodes. */
  workdir: string;
}

export interface SlurmOptions extends WorkerCommand {
  jobName: string;
  /** Logs go to <logDir>/<job>_<array job>_<task>.out, appended across requeues. */
  logDir: string;
  /** Array tasks per stage at most (one unit per task below that). */
  maxTasks: number;
  cpusPerTask?: number;
  partition?: string;
  /** Extra `#SBATCH` options, e.g. --account=lab. */
  sbatch?: string[];
}

/** Quote for bash unless plainly safe. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

const minutes = (sec: number) => Math.ceil((sec * 3 + 600) / 60); // 3x the estimate, plus 10 minutes

function header(opts: SlurmOptions, name: string, log: string, lines: string[]): string[] {
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=${name}`,
    ...lines,
    `#SBATCH --output=${opts.logDir}/${log}`,
    '#SBATCH --open-mode=append',
    ...(opts.cpusPerTask ? [`#SBATCH --cpus-per-task=${opts.cpusPerTask}`] : []),
    ...(opts.partition ? [`#SBATCH --partition=${opts.partition}`] : []),
    ...(opts.sbatch ?? []).map((o) => `#SBATCH ${o}`),
    'set -euo pipefail',
    `cd ${shellQuote(opts.workdir)}`,
  ];
}

/** The files of a submission, by name: stage-<k>.sbatch, merge.sbatch, submit.sh. */
export function slurmScripts(plan: GridPlan, opts: SlurmOptions): Record<string, string> {
  const files: Record<string, string> = {};
  const stages = planStages(plan.units);
  const cmd = opts.argv.map(shellQuote).join(' ');
  stages.forEach((units, k) => {
    const tasks = tasksFor(units.length, opts.maxTasks);
    const longest = Math.max(
      ...Array.from({ length: tasks }, (_, i) =>
        shardUnits(units, { index: i, count: tasks }).reduce((s, u) => s + u.seconds, 0),
      ),
    );
    files[`stage-${k}.sbatch`] = [
      ...header(opts, `${opts.jobName}-s${k}`, '%x_%A_%a.out', [
        `# ${plan.experiment} (preset ${plan.preset}), stage ${k} of stages 0-${stages.length - 1}: ${units.length} units in ${tasks} array tasks;`,
        `# \`--plan\` lists them. A requeued task skips its complete units and resumes the interrupted one.`,
        `#SBATCH --array=0-${tasks - 1}`,
        '#SBATCH --requeue',
        `#SBATCH --time=${minutes(longest)}`,
      ]),
      `exec ${cmd} --stage ${k} --shard "\${SLURM_ARRAY_TASK_ID}/${tasks}"`,
      '',
    ].join('\n');
  });
  files['merge.sbatch'] = [
    ...header(opts, `${opts.jobName}-merge`, '%x_%j.out', [
      `# ${plan.experiment}: metrics.jsonl, summary.json and run.json from the complete units.`,
      '#SBATCH --requeue',
      '#SBATCH --time=30',
    ]),
    `exec ${cmd} --merge`,
    '',
  ].join('\n');
  const submit = [
    '#!/bin/bash',
    `# Submit the ${stages.length} stage(s) of the ${plan.experiment} grid as job arrays, each after the one`,
    '# before has succeeded (afterok), then the merge. Running it again is harmless: complete units are skipped.',
    'set -euo pipefail',
    'here=$(cd "$(dirname "$0")" && pwd)',
    `mkdir -p ${shellQuote(opts.logDir)}`,
    'dep=""',
  ];
  for (const name of [...stages.map((_, k) => `stage-${k}`), 'merge']) {
    submit.push(
      `job=$(sbatch --parsable \${dep:+--dependency=afterok:$dep} "$here/${name}.sbatch")`,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's ${var%%pattern}, not a template
      'job=${job%%;*}', // --parsable prints "id;cluster" on multi-cluster setups
      `echo "${name}: job $job"`,
      'dep=$job',
    );
  }
  files['submit.sh'] = `${submit.join('\n')}\n`;
  return files;
}
