/**
 * `pnpm exp <name>` over many machines (docs/distributed.md):
 *
 *   --plan [--json]                 the units, their stages, dependencies and cost
 *   --out DIR --unit ID[,ID]        run those units into the shared run directory DIR
 *   --out DIR --shard i/n [--stage k]   run share i of n (of every stage, or of stage k)
 *   --out DIR --merge               metrics.jsonl, summary.json, run.json from the complete units
 *   --out DIR --slurm | --k8s       write job arrays (DIR/slurm/) or Indexed Jobs (DIR/k8s/jobs.yaml)
 *
 * The config comes from the preset and overrides, or from DIR/config.json when DIR already
 * holds a shared run; both given, they must agree.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  applyOverrides,
  type Experiment,
  formatPlan,
  type GridPlan,
  indexedJobs,
  type Json,
  loadExperiment,
  mergeRun,
  newRunId,
  openSharedRun,
  parseShard,
  planJSON,
  readSharedConfig,
  repoRoot,
  resolvePreset,
  runUnits,
  selectUnits,
  slurmScripts,
  toYAML,
  UnitStore,
  unitId,
  writeFileAtomic,
} from '@pretrain-lab/experiment';
import { initBackend, parseBackendName, UserError } from '@pretrain-lab/runtime';
import { ProgressBar } from '@pretrain-lab/train';

export interface GridOptions {
  preset?: string;
  out?: string;
  backend?: string;
  quiet?: boolean;
  plan?: boolean;
  json?: boolean;
  unit?: string[];
  shard?: string;
  stage?: string;
  merge?: boolean;
  slurm?: boolean;
  k8s?: boolean;
  tasks?: string;
  waitDeps?: string;
  partition?: string;
  cpusPerTask?: string;
  image?: string;
  pvc?: string;
  mount?: string;
  workdir?: string;
}

export const isGridCommand = (o: GridOptions): boolean =>
  Boolean(o.plan || o.unit?.length || o.shard || o.stage !== undefined || o.merge || o.slurm || o.k8s);

const int = (flag: string, v: string | undefined, dflt: number, min = 0): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new UserError(`${flag} must be an integer >= ${min}, got '${v}'`);
  return n;
};

/** The config: the preset and overrides, checked against DIR/config.json when DIR holds a run. */
function resolveConfig(
  exp: Experiment,
  opts: GridOptions,
  overrides: Record<string, string>,
  dir: string | null,
  log: (line: string) => void,
): { preset: string; config: Json } {
  const saved = dir ? readSharedConfig(dir) : null;
  if (saved && saved.experiment !== exp.name)
    throw new UserError(`${dir} holds a '${saved.experiment}' run, not '${exp.name}'`);
  if (saved && opts.preset === undefined && Object.keys(overrides).length === 0) return saved;
  const preset = opts.preset ?? saved?.preset ?? 'default';
  const resolved = applyOverrides(resolvePreset(exp, preset), overrides);
  for (const line of resolved.applied) log(`override: ${line}`);
  return { preset, config: resolved.config };
}

/** One worker's command line, as the job scripts run it from the repository root. */
function workerArgv(name: string, dir: string, preset: string, overrides: Record<string, string>): string[] {
  return [
    'node',
    '--import',
    'tsx',
    'packages/cli/src/bin.ts',
    'exp',
    name,
    '--out',
    dir,
    '--preset',
    preset,
    ...Object.entries(overrides).map(([k, v]) => `--${k}=${v}`),
  ];
}

export async function gridCommand(
  name: string,
  opts: GridOptions,
  overrides: Record<string, string>,
  argv: string[] = process.argv.slice(2),
): Promise<void> {
  const root = repoRoot();
  const exp = await loadExperiment(root, name);
  if (!exp.grid)
    throw new UserError(
      `experiment '${name}' has no unit grid for many workers; run it in one process: pnpm exp ${name}`,
    );
  const log = (line: string) => {
    if (!opts.quiet) process.stderr.write(`${line}\n`);
  };
  const generates = Boolean(opts.slurm || opts.k8s);
  const needsDir = !opts.plan;
  if (needsDir && !opts.out && !generates)
    throw new UserError('workers and --merge need --out DIR: the run directory they share');
  const dir =
    opts.out || generates
      ? path.resolve(opts.out ?? path.join(root, 'results', name, newRunId(opts.preset ?? 'default')))
      : null;
  const { preset, config } = resolveConfig(exp, opts, overrides, dir && fs.existsSync(dir) ? dir : null, log);
  exp.validate(config);

  // Costs are in minutes at the speed of the backend this process would train on.
  const backend = opts.merge
    ? null
    : await initBackend(parseBackendName(opts.backend ?? process.env.PRETRAIN_LAB_BACKEND));
  const planned = await exp.grid.plan(config, { runDir: dir, backend: backend?.name ?? 'none' });
  const plan: GridPlan = {
    experiment: name,
    preset,
    configId: unitId('config', { experiment: name, config }),
    ...planned,
  };
  const selection = {
    units: opts.unit?.flatMap((u) => u.split(',')).filter((u) => u !== ''),
    stage: opts.stage === undefined ? undefined : int('--stage', opts.stage, 0),
    shard: opts.shard ? parseShard(opts.shard) : undefined,
  };

  if (opts.plan) {
    // With --unit/--shard/--stage: the units that worker would run.
    const only = isGridCommand({ ...opts, plan: false, merge: false, slurm: false, k8s: false })
      ? selectUnits(plan, selection)
      : undefined;
    if (opts.json) process.stdout.write(`${JSON.stringify(planJSON(plan, only), null, 2)}\n`);
    else for (const line of formatPlan(plan, only)) process.stdout.write(`${line}\n`);
    return;
  }
  const runDir = dir!;
  openSharedRun(runDir, { experiment: name, preset, config }, argv);
  const store = new UnitStore(runDir);
  const waitDepsSec = int('--wait-deps', opts.waitDeps, 0);

  if (generates) {
    const maxTasks = int('--tasks', opts.tasks, 1000, 1);
    if (opts.slurm) {
      const logDir = path.join(runDir, 'slurm', 'logs');
      fs.mkdirSync(logDir, { recursive: true });
      const files = slurmScripts(plan, {
        argv: workerArgv(name, runDir, preset, overrides),
        workdir: opts.workdir ?? root,
        jobName: `${name}-${preset}`,
        logDir,
        maxTasks,
        partition: opts.partition,
        cpusPerTask: opts.cpusPerTask ? int('--cpus-per-task', opts.cpusPerTask, 1, 1) : undefined,
      });
      for (const [f, text] of Object.entries(files)) {
        writeFileAtomic(path.join(runDir, 'slurm', f), text);
        fs.chmodSync(path.join(runDir, 'slurm', f), 0o755);
      }
      process.stdout.write(
        `${Object.keys(files)
          .map((f) => path.join(runDir, 'slurm', f))
          .join('\n')}\n`,
      );
      log(`submit with: bash ${path.join(runDir, 'slurm', 'submit.sh')}`);
    }
    if (opts.k8s) {
      const mount = opts.mount ?? '/runs';
      const podDir = path.posix.join(mount, path.basename(runDir));
      const jobs = indexedJobs(plan, {
        argv: workerArgv(name, podDir, preset, overrides),
        workdir: opts.workdir ?? '/app',
        name: `${name}-${path.basename(runDir)}`,
        image: opts.image ?? 'pretrain-lab:latest',
        claimName: opts.pvc ?? 'pretrain-lab-runs',
        mountPath: mount,
        maxTasks,
        cpu: opts.cpusPerTask,
        waitDepsSec: waitDepsSec || 24 * 3600,
      });
      const file = path.join(runDir, 'k8s', 'jobs.yaml');
      writeFileAtomic(file, toYAML(jobs));
      process.stdout.write(opts.json ? `${JSON.stringify(jobs, null, 2)}\n` : `${file}\n`);
      log(
        `apply with: kubectl apply -f ${file}  (the run directory is ${podDir} on PVC ${opts.pvc ?? 'pretrain-lab-runs'})`,
      );
    }
    return;
  }

  if (opts.merge) {
    const deadline = Date.now() + waitDepsSec * 1000;
    while (store.missing(plan.units.map((u) => u.id)).length > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 2000));
    await mergeRun(exp.grid, config, plan, { store, log, argv });
    return;
  }

  const units = selectUnits(plan, selection);
  log(
    `${name} | preset ${preset} | ${units.length} of ${plan.units.length} units | backend ${backend!.name} | ${runDir}`,
  );
  const out = await runUnits(exp.grid, config, plan, units, {
    store,
    backend: backend!,
    log,
    // A bar that redraws in place only where someone watches (not in a batch job's log).
    progress: new ProgressBar(process.stderr, 10, !opts.quiet && Boolean(process.stderr.isTTY)),
    waitDepsSec,
  });
  log(`done: ${out.ran.length} ran, ${out.skipped.length} complete already`);
}
