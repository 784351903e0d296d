import type { PairedTest } from '@pretrain-lab/experiment/paired';
import { type AblationSummary, type EvalRecord, makeSummary } from '@pretrain-lab/experiment/schema';
import { describe, expect, it } from 'vitest';
import {
  type Claim,
  fmtCellVerdict,
  fmtClaimTest,
  fmtTest,
  judgeClaim,
  judgeClaims,
  judgeTest,
  overallVerdict,
} from './claims.js';

/** A row whose first `right` of `n` examples are correct. */
const row = (variant: string, seed: number, task: string, right: number, n = 200): EvalRecord => {
  const perExample = Array.from({ length: n }, (_, i) => (i < right ? 1 : 0));
  return {
    id: `${variant}-${seed}-${task}`,
    variant,
    seed,
    task,
    method: 'probe',
    trainExamples: 64,
    status: 'completed',
    metric: 'accuracy',
    score: right / n,
    scores: { accuracy: right / n },
    perExample,
    trainLoss: 0,
  };
};

function summary(results: EvalRecord[], tasks = ['t1', 't2']): AblationSummary {
  return makeSummary(
    {
      experiment: 'test',
      seeds: [1, 2, 3],
      variants: [
        { name: 'base', pretrained: false, fields: {} },
        { name: 'A', pretrained: true, fields: {} },
        { name: 'B', pretrained: true, fields: {} },
      ],
      baseline: 'base',
      tasks: tasks.map((name) => ({
        name,
        kind: 'classification',
        metric: 'accuracy',
        classes: 2,
        trainExamples: 64,
        testExamples: 200,
      })),
      evals: [{ method: 'probe', trainExamples: 64 }],
    },
    { pretrain: [], results, skippedTasks: [] },
  );
}

const claim = (over: Partial<Claim> = {}): Claim => ({
  id: 'c',
  text: 'A beats B',
  anchor: '',
  a: 'A',
  b: 'B',
  direction: 'greater',
  ...over,
});

describe('overallVerdict: the majority rule', () => {
  it('supported needs a majority supported and none against', () => {
    expect(overallVerdict(['supported', 'supported', 'within noise'])).toBe('supported');
    expect(overallVerdict(['supported', 'supported', 'supported', 'not supported'])).toBe('within noise');
    expect(overallVerdict(['supported', 'within noise'])).toBe('within noise'); // half is not a majority
  });
  it('not supported needs a majority against', () => {
    expect(overallVerdict(['not supported', 'not supported', 'supported'])).toBe('not supported');
    expect(overallVerdict(['not supported', 'not supported', 'within noise', 'within noise'])).toBe(
      'within noise',
    );
  });
  it('no cells: not run', () => {
    expect(overallVerdict([])).toBe('not run');
  });
});

describe('judgeClaims', () => {
  // A gets 30 more examples right than B in t1 (15 points), about the same in t2 (one example apart on odd seeds).
  const rows: EvalRecord[] = [];
  for (const seed of [1, 2, 3]) {
    rows.push(row('A', seed, 't1', 130 + seed), row('B', seed, 't1', 100 + seed));
    rows.push(row('A', seed, 't2', 120), row('B', seed, 't2', 120 + (seed % 2)));
  }
  const s = summary(rows);

  it('tests every cell with the paired bootstrap and judges it', () => {
    const r = judgeClaim(s, claim());
    expect(r.cells.map((c) => [c.task, c.verdict])).toEqual([
      ['t1', 'supported'],
      ['t2', 'within noise'],
    ]);
    expect(r.cells[0].test.diff).toBeCloseTo(0.15, 10);
    expect(r.cells[0].seeds).toEqual([1, 2, 3]);
    expect(r.verdict).toBe('within noise'); // 1 of 2 supported is not a majority
    expect(judgeClaim(s, claim({ tasks: ['t1'] })).verdict).toBe('supported');
    expect(judgeClaim(s, claim({ direction: 'less', tasks: ['t1'] })).verdict).toBe('not supported');
    expect(judgeClaim(s, claim({ direction: 'equal', margin: 0.02, tasks: ['t2'] })).verdict).toBe(
      'supported',
    );
  });

  it('pairs only the seeds both rows have', () => {
    const partial = summary(rows.filter((r) => !(r.variant === 'B' && r.seed === 3)));
    const r = judgeClaim(partial, claim({ tasks: ['t1'] }));
    expect(r.cells[0].seeds).toEqual([1, 2]);
    expect(r.cells[0].test.seeds).toBe(2);
    expect(fmtCellVerdict(r.cells[0], partial.seeds)).toMatch(/ \(seeds 1, 2\): supported$/);
  });

  it('a variant absent from the run: not run; mismatched test sets: untested', () => {
    const r = judgeClaim(s, claim({ b: 'C' }));
    expect(r.verdict).toBe('not run');
    expect(r.notRun).toBe("'C' is not in this run");
    const odd = summary([
      ...rows.filter((x) => x.task === 't1'),
      row('A', 1, 't2', 10, 50),
      row('B', 1, 't2', 10),
    ]);
    const u = judgeClaim(odd, claim());
    expect(u.untested).toEqual([
      {
        cell: { task: 't2', method: 'probe', trainExamples: 64 },
        reason: expect.stringMatching(/different lengths/),
      },
    ]);
  });

  it('is deterministic (fixed bootstrap seed)', () => {
    const claims = [claim(), claim({ id: 'd', direction: 'equal' })];
    expect(JSON.stringify(judgeClaims(s, claims))).toBe(JSON.stringify(judgeClaims(s, claims)));
  });
});

describe('judgeTest: greater or equal (non-inferiority)', () => {
  const t = (lo: number, hi: number): PairedTest => ({
    diff: (lo + hi) / 2,
    lo,
    hi,
    p: 0.5,
    level: 0.95,
    seeds: 3,
    examples: 100,
    resamples: 2000,
  });
  const c = { direction: 'notLess' as const, margin: 0.02 };
  it('supported above −margin, not supported below 0 and past it, within noise otherwise', () => {
    expect(judgeTest(t(0.01, 0.05), c)).toBe('supported'); // beats
    expect(judgeTest(t(-0.015, 0.01), c)).toBe('supported'); // matches within the margin
    expect(judgeTest(t(-0.015, -0.005), c)).toBe('supported'); // slightly worse, within the margin
    expect(judgeTest(t(-0.05, -0.01), c)).toBe('not supported');
    expect(judgeTest(t(-0.05, 0.01), c)).toBe('within noise');
    expect(judgeTest(t(0.01, 0.05), { direction: 'less' })).toBe('not supported'); // the rest: paired.ts
  });
  it('says what it tests', () => {
    expect(fmtClaimTest(claim(c))).toBe('A vs B, greater or equal, at most 2.0 points below');
  });
});

describe('a floor in both rows', () => {
  it('is left untested, and a claim with no other cell is not run, saying why', () => {
    const zero = [1, 2, 3].flatMap((seed) => [row('A', seed, 't1', 0), row('B', seed, 't1', 0)]);
    const r = judgeClaim(summary(zero, ['t1']), claim({ direction: 'equal', margin: 0.02 }));
    expect(r.cells).toEqual([]);
    expect(r.untested[0].reason).toBe(
      'every test example scores 0 in both rows, a floor: nothing to compare',
    );
    expect(r.verdict).toBe('not run');
    expect(r.notRun).toMatch(/^no cell could be tested: every test example scores 0/);
  });
});

describe('two rows with the same score on every example', () => {
  it('is left untested: an interval of [0, 0] would call an equal or greater-or-equal claim supported', () => {
    const same = [1, 2].flatMap((seed) => [row('A', seed, 't1', 100), row('B', seed, 't1', 100)]);
    const r = judgeClaim(summary(same, ['t1']), claim({ direction: 'notLess', margin: 0.02 }));
    expect(r.cells).toEqual([]);
    expect(r.untested[0].reason).toMatch(/^both rows score every test example the same/);
    // One example apart, the cell is tested again.
    const differ = same.map((x, i) =>
      i === 0 ? { ...x, perExample: [1 - x.perExample[0], ...x.perExample.slice(1)] } : x,
    );
    expect(
      judgeClaim(summary(differ, ['t1']), claim({ direction: 'notLess', margin: 0.02 })).cells,
    ).toHaveLength(1);
  });
});

describe('fmtTest', () => {
  it('prints the difference in points, the interval, p and the sample', () => {
    const t: PairedTest = {
      diff: 0.031,
      lo: 0.008,
      hi: 0.052,
      p: 0.012,
      level: 0.95,
      seeds: 3,
      examples: 600,
      resamples: 2000,
    };
    expect(fmtTest(t)).toBe(
      '+3.1 points [+0.8, +5.2], p = 0.01, paired bootstrap over 3 seeds × 600 test examples',
    );
    expect(fmtTest({ ...t, diff: -0.004, lo: -0.02, hi: 0.01, p: 0, seeds: 1 })).toBe(
      '−0.4 points [−2.0, +1.0], p < 0.001, paired bootstrap over 1 seed × 600 test examples',
    );
  });
});
