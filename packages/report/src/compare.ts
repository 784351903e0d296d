/**
 * Shared pieces of the ablation reports (nsp, spans): the seed-noise rule that decides whether
 * two settings differ, mean ± std formatting, and the run metadata table.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stableStringify } from './format.js';
import { type LoadedRun, parseJsonl } from './results.js';

export interface MeanStd {
  mean: number;
  std: number;
}

/**
 * The rule every "Honest reading" uses: a difference counts only when the gap between the two
 * means exceeds the sum of their sample standard deviations over seeds. Summing (rather than
 * adding in quadrature) is deliberately conservative: with 3 seeds a std is itself uncertain.
 */
export const NOISE_RULE =
  'a difference counts only when |mean A − mean B| exceeds std A + std B (sample standard deviations over seeds); smaller gaps are called within noise. With a single seed there is no spread to judge by, so nothing is called a difference.';

export type Verdict = 'higher' | 'lower' | 'within noise' | 'one seed';

export interface Comparison {
  /** a − b. */
  diff: number;
  /** std a + std b. */
  noise: number;
  verdict: Verdict;
}

/** Compare a against b under NOISE_RULE; `seeds` is the number of seeds behind each mean. */
export function compareMeans(a: MeanStd, b: MeanStd, seeds: number): Comparison {
  const diff = a.mean - b.mean;
  const noise = a.std + b.std;
  if (seeds < 2) return { diff, noise, verdict: 'one seed' };
  if (Math.abs(diff) > noise) return { diff, noise, verdict: diff > 0 ? 'higher' : 'lower' };
  return { diff, noise, verdict: 'within noise' };
}

/** `scale`·mean ± `scale`·std with `digits` decimals; 'n/a' when missing. */
export function fmtMeanStd(x: MeanStd | null | undefined, scale = 1, digits = 1): string {
  if (!x || !Number.isFinite(x.mean)) return 'n/a';
  return `${(scale * x.mean).toFixed(digits)} ± ${(scale * (Number.isFinite(x.std) ? x.std : 0)).toFixed(digits)}`;
}

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

/** Mean and sample std of xs (std 0 for fewer than two values), as the experiments compute them. */
export { meanStd } from '@pretrain-lab/scaling';

/** Tallies of one claim's comparisons, by how each came out. */
export type ClaimCounts = { agree: number; against: number; noise: number; unjudged: number };
export const zeroCounts = (): ClaimCounts => ({ agree: 0, against: 0, noise: 0, unjudged: 0 });

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
