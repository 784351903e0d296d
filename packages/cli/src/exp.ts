/** `pnpm exp <name>`: resolve the config, open (or resume) the run directory, run, record. */
import fs from 'node:fs';
import path from 'node:path';
import {
  applyOverrides,
  type Experiment,
  isSharedRun,
  type Json,
  loadExperiment,
  newRunId,
  RunDir,
  RunLock,
  repoRoot,
  resolvePreset,
  writeJSONAtomic,
} from '@pretrain-lab/experiment';
import { initBackend, parseBackendName, UserError } from '@pretrain-lab/runtime';
import { MetricsWriter, ProgressBar, TensorBoardSink } from '@pretrain-lab/train';

export interface ExpOptions {
  preset?: string;
  out?: string;
  resume?: string;
  backend?: string;
  quiet?: boolean;
}

export interface ExpResult {
  runDir: string;
  status: 'completed';
  /** `--resume` of a run that had already completed: nothing was done. */
  alreadyCompleted?: boolean;
}

function readJSON(file: string): any {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

export async function runExperiment(
  name: string,
  opts: ExpOptions,
  overrides: Record<string, string>,
  argv: string[] = process.argv.slice(2),
): Promise<ExpResult> {
  const root = repoRoot();
  const exp: Experiment = await loadExperiment(root, name);
  const log = (line: string) => {
    if (!opts.quiet) process.stderr.write(`${line}\n`);
  };
  let preset: string;
  let config: Json;
  let dir: string;
  if (opts.resume) {
    dir = path.resolve(opts.resume);
    if (!fs.existsSync(path.join(dir, 'run.json')) || !fs.existsSync(path.join(dir, 'config.json'))) {
      throw new UserError(`--resume ${opts.resume}: not a run directory (no run.json and config.json there)`);
    }
    if (isSharedRun(dir))
      throw new UserError(
        `${opts.resume} is a run of many workers; continue it with --out ${opts.resume} --shard/--unit, then --merge`,
      );
    if (Object.keys(overrides).length > 0)
      throw new UserError('--resume continues a run with its recorded config; drop the overrides');
    const record = readJSON(path.join(dir, 'run.json'));
    if (record.experiment !== name)
      throw new UserError(`--resume ${opts.resume} is a '${record.experiment}' run, not '${name}'`);
    // A scheduler can always requeue with --resume: a finished run is a success with nothing to do.
    if (record.status === 'completed') {
      process.stdout.write(`run ${dir} already completed; nothing to do\n`);
      return { runDir: dir, status: 'completed', alreadyCompleted: true };
    }
    const saved = readJSON(path.join(dir, 'config.json'));
    preset = saved.preset;
    const { experiment: _e, preset: _p, ...rest } = saved;
    config = rest as Json;
  } else {
    preset = opts.preset ?? 'default';
    const resolved = applyOverrides(resolvePreset(exp, preset), overrides);
    config = resolved.config;
    for (const line of resolved.applied) log(`override: ${line}`);
    dir = path.resolve(opts.out ?? path.join(root, 'results', name, newRunId(preset)));
    if (fs.existsSync(path.join(dir, 'run.json'))) {
      throw new UserError(
        `${dir} already holds a run; pass --resume ${dir} to continue it, or --out another directory`,
      );
    }
  }
  exp.validate(config);
  const backend = await initBackend(parseBackendName(opts.backend ?? process.env.PRETRAIN_LAB_BACKEND));
  log(`experiment ${name} | preset ${preset} (${exp.presets[preset]?.reason ?? ''})`);
  log(
    `backend ${backend.name} (tfjs ${backend.tfjsVersion}, kernels ${backend.kernels}, threads ${backend.threads})`,
  );
  log(`run directory ${path.relative(process.cwd(), dir) || dir}`);
  // One writer per run directory (lock.ts). Once it is ours, look again: the run may have
  // completed while we waited for the backend.
  const lock = RunLock.acquire(dir, argv);
  if (opts.resume && readJSON(path.join(dir, 'run.json')).status === 'completed') {
    lock.release();
    process.stdout.write(`run ${dir} already completed; nothing to do\n`);
    return { runDir: dir, status: 'completed', alreadyCompleted: true };
  }
  let run: RunDir;
  try {
    run = opts.resume
      ? RunDir.resume(dir, argv, backend)
      : RunDir.start(dir, { runId: path.basename(dir), experiment: name, preset, argv, backend });
    if (!opts.resume)
      writeJSONAtomic(path.join(dir, 'config.json'), { experiment: name, preset, ...(config as object) });
  } catch (e) {
    lock.release();
    throw e;
  }
  // metrics.jsonl, followed by one TensorBoard event file per model under tb/ (docs/results-format.md).
  const metricsPath = path.join(dir, 'metrics.jsonl');
  const metrics = new MetricsWriter(metricsPath, [
    new TensorBoardSink({
      dir: path.join(dir, 'tb'),
      metricsPath,
      config: { experiment: name, preset, ...(config as object) },
    }),
  ]);
  /** Record how the run ended; a full disk may refuse that too, and must not hide the first error. */
  const finish = (status: 'completed' | 'failed' | 'interrupted', error?: string) => {
    try {
      metrics.close();
      run.finish(status, error);
    } catch (e) {
      if (status === 'completed') throw e;
    } finally {
      lock.release();
    }
  };

  const onSignal = (sig: NodeJS.Signals) => {
    finish('interrupted', `stopped by ${sig}`);
    process.stderr.write(
      `\n${sig}: run marked interrupted; continue with: pnpm exp ${name} --resume ${dir}\n`,
    );
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await exp.run(config, {
      run,
      metrics,
      preset,
      resume: Boolean(opts.resume),
      backend,
      progress: new ProgressBar(process.stderr, 10, !opts.quiet),
      log,
    });
    finish('completed');
    log(`done: ${dir}`);
    return { runDir: dir, status: 'completed' };
  } catch (e) {
    finish('failed', (e as Error).message.split('\n')[0]);
    throw e;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
