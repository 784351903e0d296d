/**
 * `pnpm lab tensorboard [DIR...]`: event files for runs written before they existed (or whose
 * tb/ was deleted), rebuilt from each run's metrics.jsonl and config.json. Runs from now on
 * write them as they go (exp.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '@pretrain-lab/runtime';
import { TensorBoardSink } from '@pretrain-lab/train';

/** Run directories (holding metrics.jsonl) at or under `dir`, sorted; checkpoints and tb/ skipped. */
export function findRuns(dir: string): string[] {
  if (fs.existsSync(path.join(dir, 'metrics.jsonl'))) return [dir];
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !['checkpoints', 'tb', 'node_modules'].includes(e.name))
    .map((e) => e.name)
    .sort()
    .flatMap((name) => findRuns(path.join(dir, name)));
}

export function tensorboardCommand(dirs: string[]): void {
  const runs = dirs.flatMap((d) => findRuns(path.resolve(d)));
  if (runs.length === 0)
    throw new UserError(`no run directory (with a metrics.jsonl) under ${dirs.join(', ')}`);
  for (const run of runs) {
    const configPath = path.join(run, 'config.json');
    const config = fs.existsSync(configPath) ? JSON.parse(fs.readFileSync(configPath, 'utf8')) : undefined;
    const sink = new TensorBoardSink({
      dir: path.join(run, 'tb'),
      metricsPath: path.join(run, 'metrics.jsonl'),
      config,
    });
    const models = sink.rebuild();
    process.stdout.write(
      `${path.relative(process.cwd(), run) || run}: ${models.length} event files under tb/\n`,
    );
  }
  process.stdout.write(`view them with: tensorboard --logdir ${dirs.join(',')}\n`);
}
