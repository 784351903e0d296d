/** `pnpm figures`: everything in docs/figures and docs/experiments, from results/ alone. */
import path from 'node:path';
import { repoRoot } from '@pretrain-lab/experiment';
import { figuresAll } from '@pretrain-lab/report';

export async function figuresCommand(opts: { results: string; docs: string }): Promise<void> {
  const root = repoRoot();
  const out = await figuresAll(path.resolve(root, opts.results), path.resolve(root, opts.docs));
  for (const line of out.notes) process.stderr.write(`${line}\n`);
  for (const f of out.files) process.stdout.write(`${path.relative(root, f)}\n`);
}
