import { type AblationSummary, makeSummary, type TaskInfo } from '@pretrain-lab/experiment/schema';
import { describe, expect, it } from 'vitest';
import { SPANS_BASELINE, settingVariant, spansClaimGroups, sweepAxes, sweepRows } from './claims.js';
import { randomSpansLengths } from './synthetic.js';

const task = (name: string, kind: TaskInfo['kind']): TaskInfo => ({
  name,
  kind,
  metric: kind === 'generation' ? 'exactMatch' : 'accuracy',
  classes: kind === 'generation' ? null : 2,
  trainExamples: 10,
  testExamples: 10,
});

const summary = (variants: AblationSummary['variants'], tasks: TaskInfo[] = []) =>
  makeSummary(
    { experiment: 'spans', seeds: [1], variants, baseline: SPANS_BASELINE, tasks, evals: [] },
    { pretrain: [], results: [], skippedTasks: [] },
  );

const setting = (name: string, meanSpan: number, rate: number, group: string) => ({
  name,
  pretrained: true,
  fields: { meanSpan, rate, group },
});

const s = summary(
  [
    { name: SPANS_BASELINE, pretrained: false, fields: {} },
    setting('my i.i.d.', 1, 0.2, 'span'),
    setting('mid', 3, 0.2, 'both'),
    setting('half', 3, 0.5, 'rate'),
  ],
  [task('brown-restore', 'generation'), task('spam', 'classification')],
);

describe('spans settings', () => {
  it('read the sweeps from the rows: the span sweep at its rate, the rate sweep at its span', () => {
    expect(sweepAxes(s)).toEqual({ spanRate: 0.2, rateSpan: 3 });
    expect(settingVariant(s, 1, 0.2)).toBe('my i.i.d.'); // found by its fields, though renamed
    expect(settingVariant(s, 10, 0.2)).toBe('span 10, 20%'); // absent: the default name
    // The shared row is in both sweeps, each sorted as T5's tables are.
    expect(sweepRows(s).map((r) => [r.sweep, r.label, r.variant])).toEqual([
      ['span', 'i.i.d.', 'my i.i.d.'],
      ['span', '3', 'mid'],
      ['rate', '20%', 'mid'],
      ['rate', '50%', 'half'],
    ]);
  });

  it('T5 defaults when the run has no sweep rows', () => {
    expect(sweepAxes(summary([]))).toEqual({ spanRate: 0.15, rateSpan: 3 });
  });

  it("port T5's random_spans_helper (the lengths ANCHORS.md gives)", () => {
    expect(randomSpansLengths(64, 0.2, 2)).toEqual({ raw: 70, target: 22 });
    expect(randomSpansLengths(64, 0.2, 1)).toEqual({ raw: 63, target: 27 });
    expect(randomSpansLengths(512, 0.15, 3)).toEqual({ raw: 568, target: 114 });
  });
});

describe('spans claims', () => {
  const groups = spansClaimGroups(s);
  const all = groups.flatMap((g) => g.claims);

  it("split every claim by task kind, in the run's task order, with that kind's tasks", () => {
    for (const c of all) {
      expect(c.perKind.map((k) => k.kind)).toEqual(['generation', 'classification']);
      expect(c.perKind.map((k) => k.claim.tasks)).toEqual([['brown-restore'], ['spam']]);
    }
    const ids = all.flatMap((c) => c.perKind.map((k) => k.claim.id));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("state T5's claims on the run's rows, and the default rows it lacks", () => {
    const byId = Object.fromEntries(all.map((c) => [c.id, [c.a, c.b, c.direction, c.margin]]));
    expect(byId['rate-15-vs-50']).toEqual(['span 3, 15%', 'half', 'greater', undefined]);
    expect(byId['rate-10-vs-15']).toEqual(['span 3, 10%', 'span 3, 15%', 'equal', 0.02]);
    expect(byId['span-3-vs-iid']).toEqual(['mid', 'my i.i.d.', 'notLess', 0.02]);
    expect(byId['span-10-vs-3']).toEqual(['span 10, 20%', 'mid', 'less', undefined]);
    const pre = groups.find((g) => g.id === 'pretraining')?.claims ?? [];
    expect(pre.slice(0, 4).map((c) => c.a)).toEqual(['my i.i.d.', 'mid', 'half', 'span 2, 20%']);
    expect(pre.every((c) => c.b === SPANS_BASELINE && c.direction === 'greater')).toBe(true);
  });

  it('anchor every claim in the numbers of T5 Tables 6 and 7', () => {
    expect(groups[0].anchor).toContain('10% 82.82, 15% 83.28, 25% 83.00, 50% 81.27 GLUE');
    expect(groups[1].anchor).toContain('span 3 − i.i.d.: +0.21 GLUE');
    expect(groups[2].anchor).toContain('no pretraining 66.22 · 17.60 · 50.31');
  });
});
