/**
 * Shared pieces of the experiment reports (scaling, nsp, spans): markdown rows and lists, signed
 * differences, the run metadata table, and every metrics.jsonl row as a plain object. Claims are
 * judged in ablation/claims.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stableStringify } from './format.js';
import { type LoadedRun, parseJsonl } from './results.js';

/** A signed difference, e.g. "+1.2" or "−0.4" (scaled). */
export function fmtDiff(d: number, scale = 1, digits = 1): string {
  const v = (scale * d).toFixed(digits);
  return d >= 0 ? `+${v}` : `−${v.slice(1)}`;
}

export const mdRow = (cells: string[]): string => `| ${cells.join(' | ')} |`;

/** The backend of run.json in a few words; `threads` adds its thread count (as the ablation reports do). */
export function describeBackend(backend: unknown, opts: { threads?: boolean } = {}): string {
  if (backend === undefined || backend === null) return 'unknown';
  if (typeof backend === 'string') return backend;
  const b = backend as Record<string, unknown>;
  const name = b.name ?? b.backend ?? b.kind;
  const threads = (opts.threads ?? true) && typeof b.threads === 'number' ? `, ${b.threads} threads` : '';
  const kernels = typeof b.kernels === 'string' ? ` (${b.kernels} kernels)` : ''; // runs before the native kernels have none
  return typeof name === 'string' ? `${name}${kernels}${threads}` : stableStringify(backend);
}

export function describeCorpus(corpus: unknown): string {
  if (corpus === undefined || corpus === null) return 'an unnamed corpus';
  if (typeof corpus === 'string') return corpus;
  const c = corpus as Record<string, unknown>;
  const name = c.name ?? c.kind ?? c.path;
  return typeof name === 'string' ? name : stableStringify(corpus);
}

/** The "## Run" section: run id, status, preset, backend, times, commit. */
export function runSection(run: LoadedRun): string[] {
  const info = run.run;
  return [
    '## Run',
    '',
    mdRow(['run id', 'status', 'preset', 'backend', 'started', 'finished', 'git commit']),
    mdRow(['---', '---', '---', '---', '---', '---', '---']),
    mdRow([
      `\`${info.runId}\``,
      info.status,
      info.preset ?? run.config.preset ?? 'n/a',
      describeBackend(info.backend),
      info.startedAt ?? 'n/a',
      info.finishedAt ?? 'n/a',
      info.git?.commit ? `\`${info.git.commit.slice(0, 12)}\`${info.git.dirty ? ' (dirty)' : ''}` : 'n/a',
    ]),
    '',
  ];
}

/** "1, 2 and 3". */
export function listText(xs: readonly (string | number)[]): string {
  const s = xs.map(String);
  if (s.length <= 1) return s.join('');
  return `${s.slice(0, -1).join(', ')} and ${s[s.length - 1]}`;
}

/**
 * Every metrics.jsonl row as a plain object, with all its keys. `loadRun(dir).metrics` is built
 * with `aq.from(rows)`, which takes its columns from the first row only; an nsp or spans run
 * starts with fine-tuning or pretraining rows that lack other phases' columns (`mlm`, `nsp`,
 * `accuracy`), so the ablation reports read the rows themselves.
 */
export function metricObjects(run: LoadedRun): Record<string, unknown>[] {
  const path = join(run.dir, 'metrics.jsonl');
  if (!existsSync(path)) return [];
  return parseJsonl<Record<string, unknown>>(readFileSync(path, 'utf8'), path);
}
