/**
 * A paper's claims, judged on an ablation run: every claim compares variant A with variant B
 * on every (task, method, training-set size) cell by the paired bootstrap of
 * packages/experiment/src/paired.ts over the per-example scores of the seeds both rows have,
 * gives each cell judge()'s verdict, and combines the cells by a majority rule (VERDICT_RULE).
 * The bootstrap's generator seed and resample count are fixed, so a report is byte-stable.
 */
import { judge, type PairedTest, pairedBootstrap, type Verdict } from '@pretrain-lab/experiment/paired';
import type { AblationSummary, EvalSpec } from '@pretrain-lab/experiment/schema';
import { fmtDiff, listText } from '../compare.js';
import { type Cell, cellLabel, cellRows, gridCells, hasRows, sameCell } from './summary.js';

/**
 * 'notLess' is a non-inferiority claim ("beats or matches"): A is not worse than B by more than
 * the margin. It is judged here (judgeTest); the other three by paired.ts's judge().
 */
export type Direction = 'greater' | 'less' | 'equal' | 'notLess';

export interface Claim {
  /** Stable id, e.g. 'no-nsp-full-vs-segment'. */
  id: string;
  /** The paper's claim, in words. */
  text: string;
  /** The paper's numbers behind it, as text. */
  anchor: string;
  /** Variant names: the claim is about A − B. */
  a: string;
  b: string;
  /**
   * 'greater': A beats B; 'less': A is worse; 'equal': within ±margin (a fraction, 0.02 = 2
   * points); 'notLess': A beats B or falls short by less than the margin.
   */
  direction: Direction;
  margin?: number;
  /** Only these tasks (default: every task). */
  tasks?: readonly string[];
  /** Only these evaluations (default: every one). */
  evals?: readonly EvalSpec[];
}

export interface CellVerdict extends Cell {
  test: PairedTest;
  verdict: Verdict;
  /** The seeds both rows have, which the test pairs. */
  seeds: number[];
}

export type ClaimVerdict = Verdict | 'not run';

export interface ClaimResult {
  claim: Claim;
  cells: CellVerdict[];
  /** Cells of the grid this claim could not test, and why. */
  untested: { cell: Cell; reason: string }[];
  counts: Record<Verdict, number>;
  verdict: ClaimVerdict;
  /** Why the claim is 'not run' (a variant it needs is absent), else empty. */
  notRun: string;
}

/** Fixed, so the same run always gives the same intervals. */
export const BOOTSTRAP = { resamples: 2000, seed: 0, level: 0.95 } as const;

export const VERDICT_RULE =
  'Each claim compares two variants on every cell of the grid (task × evaluation method × labelled training-set size). In each cell a two-level paired bootstrap (2,000 resamples, fixed generator seed 0) resamples the seeds both rows have and the test examples, over the per-example score differences A − B, giving the mean difference, its 95% percentile interval and a two-sided p. A "greater" (or "less") claim is supported in a cell when the interval lies above (below) 0, not supported when it lies on the other side, and within noise when it contains 0; an "equal" claim is supported when the whole interval lies inside ±margin, not supported when it excludes 0 and leaves the margin, and within noise otherwise; a "greater or equal" claim (non-inferiority: A beats B or falls short by less than the margin) is supported when the interval lies above −margin, not supported when it lies below 0 and reaches past −margin, and within noise otherwise. A cell where every test example has the same score in both rows (a floor, such as exact match 0 everywhere) has nothing to compare and is left untested, as is a cell where the two rows score every test example the same on every seed (both models answering the same, every difference 0). Overall, a claim is **supported** when a majority of its cells are supported and none is not supported, **not supported** when a majority are not supported, and **within noise** otherwise; a claim whose variants are absent from the run is **not run**. With one seed the interval carries the test set\'s variance only, not the seed\'s.';

/** The overall verdict of a claim from its cells' verdicts (VERDICT_RULE); 'not run' for none. */
export function overallVerdict(verdicts: readonly Verdict[]): ClaimVerdict {
  if (verdicts.length === 0) return 'not run';
  const n = (v: Verdict) => verdicts.filter((x) => x === v).length;
  const half = verdicts.length / 2;
  if (n('supported') > half && n('not supported') === 0) return 'supported';
  if (n('not supported') > half) return 'not supported';
  return 'within noise';
}

const inFilter = (c: Cell, claim: Claim) =>
  (!claim.tasks || claim.tasks.includes(c.task)) &&
  (!claim.evals || claim.evals.some((e) => e.method === c.method && e.trainExamples === c.trainExamples));

/** Paired tests already run, by (A, B, cell): claims on the same pair differ only in judge(). */
type TestCache = Map<string, PairedTest>;

/** paired.ts's judge(), plus 'notLess': supported above −margin, not supported below 0 and past it. */
export function judgeTest(t: PairedTest, claim: Pick<Claim, 'direction' | 'margin'>): Verdict {
  if (claim.direction !== 'notLess') return judge(t, { direction: claim.direction, margin: claim.margin });
  const m = claim.margin ?? 0.01;
  if (t.lo > -m) return 'supported';
  return t.hi < 0 ? 'not supported' : 'within noise';
}

/** Test one claim in one cell; a reason string when it cannot be tested there. */

function testCell(s: AblationSummary, claim: Claim, c: Cell, cache: TestCache): CellVerdict | string {
  const rowsA = cellRows(s, claim.a, c);
  const rowsB = cellRows(s, claim.b, c);
  if (rowsA.length === 0 || rowsB.length === 0)
    return `no rows for ${rowsA.length === 0 ? claim.a : claim.b}`;
  const seedsB = new Set(rowsB.map((r) => r.seed));
  const seeds = rowsA.map((r) => r.seed).filter((x) => seedsB.has(x));
  if (seeds.length === 0) return 'no seed has both rows';
  const a = seeds.map((x) => rowsA.find((r) => r.seed === x)!.perExample);
  const b = seeds.map((x) => rowsB.find((r) => r.seed === x)!.perExample);
  const lengths = new Set([...a, ...b].map((p) => p.length));
  if (lengths.size !== 1 || a[0].length === 0)
    return `per-example scores of different lengths (${[...lengths].join(', ')}): not the same test set`;
  // A floor (or ceiling) in both rows leaves nothing to test: the interval would be [0, 0], which
  // an 'equal' claim would call supported although neither row did anything.
  const first = a[0][0];
  if ([...a, ...b].every((p) => p.every((x) => x === first)))
    return `every test example scores ${first} in both rows, ${first === 0 ? 'a floor' : 'a constant'}: nothing to compare`;
  // So do two rows with the same score on every test example of every seed (two models that
  // collapsed to the same answer, say "the" for every blank): every difference is 0.
  if (a.every((p, i) => p.every((x, j) => x === b[i][j])))
    return 'both rows score every test example the same, on every seed (every difference is 0): nothing to compare';
  const key = JSON.stringify([claim.a, claim.b, c.task, c.method, c.trainExamples]);
  const test = cache.get(key) ?? pairedBootstrap(a, b, BOOTSTRAP);
  cache.set(key, test);
  return { ...c, test, verdict: judgeTest(test, claim), seeds };
}

export function judgeClaim(s: AblationSummary, claim: Claim, cache: TestCache = new Map()): ClaimResult {
  const counts: Record<Verdict, number> = { supported: 0, 'not supported': 0, 'within noise': 0 };
  const absent = [claim.a, claim.b].filter((v) => !s.variants.some((x) => x.name === v) || !hasRows(s, v));
  if (absent.length > 0)
    return {
      claim,
      cells: [],
      untested: [],
      counts,
      verdict: 'not run',
      notRun: `${absent.map((v) => `'${v}'`).join(' and ')} ${absent.length === 1 ? 'is' : 'are'} not in this run`,
    };
  const cells: CellVerdict[] = [];
  const untested: ClaimResult['untested'] = [];
  // The cells the run evaluated (a task may not take every evaluation: no probe on generation).
  const evaluated = (c: Cell) => s.results.some((r) => sameCell(r, c));
  for (const c of gridCells(s).filter((x) => inFilter(x, claim) && evaluated(x))) {
    const r = testCell(s, claim, c, cache);
    if (typeof r === 'string') untested.push({ cell: c, reason: r });
    else {
      cells.push(r);
      counts[r.verdict]++;
    }
  }
  const verdict = overallVerdict(cells.map((c) => c.verdict));
  return {
    claim,
    cells,
    untested,
    counts,
    verdict,
    notRun: cells.length
      ? ''
      : untested.length
        ? `no cell could be tested: ${[...new Set(untested.map((u) => u.reason))].join('; ')}`
        : 'no cell has rows of both variants',
  };
}

/** Judge every claim on every cell it covers. */
export function judgeClaims(s: AblationSummary, claims: readonly Claim[]): ClaimResult[] {
  const cache: TestCache = new Map();
  return claims.map((c) => judgeClaim(s, c, cache));
}

const fmtP = (p: number) =>
  p < 0.001 ? 'p < 0.001' : p < 0.01 ? `p = ${p.toFixed(3)}` : `p = ${p.toFixed(2)}`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "+3.1 points [+0.8, +5.2], p = 0.01, paired bootstrap over 3 seeds × 600 test examples". */
export function fmtTest(t: PairedTest): string {
  return `${fmtDiff(t.diff, 100)} points [${fmtDiff(t.lo, 100)}, ${fmtDiff(t.hi, 100)}], ${fmtP(t.p)}, paired bootstrap over ${plural(t.seeds, 'seed')} × ${plural(t.examples, 'test example')}`;
}

/**
 * "spam, probe 64: +3.1 points [...] ...: supported"; when the test pairs fewer seeds than
 * `runSeeds`, it names the ones it pairs.
 */
export function fmtCellVerdict(c: CellVerdict, runSeeds: readonly number[] = []): string {
  const some =
    c.seeds.length < runSeeds.length ? ` (seed${c.seeds.length === 1 ? '' : 's'} ${c.seeds.join(', ')})` : '';
  return `${cellLabel(c)}: ${fmtTest(c.test)}${some}: ${c.verdict}`;
}

/** "greater", "equal within ±2.0 points" or "greater or equal, at most 2.0 points below". */
export function fmtDirection(c: Pick<Claim, 'direction' | 'margin'>): string {
  const m = (100 * (c.margin ?? 0.01)).toFixed(1);
  if (c.direction === 'equal') return `equal within ±${m} points`;
  if (c.direction === 'notLess') return `greater or equal, at most ${m} points below`;
  return c.direction;
}

/** "A vs B, greater" or "A vs B, equal within ±2.0 points". */
export function fmtClaimTest(c: Claim): string {
  return `${c.a} vs ${c.b}, ${fmtDirection(c)}`;
}

/** "supported (7 of 10 cells supported, 3 within noise)" or "not run ('X' is not in this run)". */
export function fmtClaimVerdict(r: ClaimResult): string {
  if (r.verdict === 'not run') return `not run (${r.notRun})`;
  const n = r.cells.length;
  const parts = [`${r.counts.supported} of ${plural(n, 'cell')} supported`];
  if (r.counts['not supported']) parts.push(`${r.counts['not supported']} not supported`);
  if (r.counts['within noise']) parts.push(`${r.counts['within noise']} within noise`);
  if (r.untested.length) parts.push(`${r.untested.length} untested`);
  return `${r.verdict} (${parts.join(', ')})`;
}

/** "## Verdicts, cell by cell": every test line, grouped by claim. */
export function verdictDetails(
  s: AblationSummary,
  judged: readonly { group: { title: string }; results: readonly ClaimResult[] }[],
): string[] {
  const L: string[] = [
    '## Verdicts, cell by cell',
    '',
    `Differences are A − B in points of the headline metric (${listText([...new Set(s.tasks.map((t) => t.metric))])}), with the 95% paired-bootstrap interval; seeds ${listText(s.seeds)} unless a line names fewer.`,
    '',
  ];
  for (const { group, results } of judged) {
    L.push(`### ${group.title}`, '');
    for (const r of results) {
      L.push(`**${fmtClaimTest(r.claim)}**: ${fmtClaimVerdict(r)}.`, '');
      if (r.verdict === 'not run') continue;
      for (const c of r.cells) L.push(`- ${fmtCellVerdict(c, s.seeds)}`);
      for (const u of r.untested) L.push(`- ${cellLabel(u.cell)}: not tested (${u.reason})`);
      L.push('');
    }
  }
  return L;
}
