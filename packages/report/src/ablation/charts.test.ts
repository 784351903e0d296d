import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSyntheticNspRun } from '../nsp/synthetic.js';
import { learningCurveSpec, learningPoints, lossCurveSpec, lossCurves, variantColors } from './charts.js';
import { loadAblation } from './summary.js';

const dir = writeSyntheticNspRun(mkdtempSync(join(tmpdir(), 'ablation-charts-')), {
  roles: ['segment', 'full'],
  testExamples: 50,
  evalPoints: 3,
});
const { run, summary } = loadAblation(dir);

describe('ablation charts', () => {
  it('colours: palette in order, grey for the baseline', () => {
    expect(variantColors(['no pretraining', 'a', 'b'], 'no pretraining').range).toEqual([
      '#7f7f7f',
      '#1f77b4',
      '#ff7f0e',
    ]);
  });

  it('loss curves: validation rows only, mean over seeds per variant and step', () => {
    const mlm = lossCurves(run, summary, 'mlm');
    expect(mlm).toHaveLength(2 * 4); // 2 variants x (evalPoints + 1) steps; train rows ignored
    expect(mlm.every((p) => p.n === 3 && p.lo <= p.mean && p.mean <= p.hi)).toBe(true);
    expect([...new Set(lossCurves(run, summary, 'pair').map((p) => p.variant))]).toEqual([
      'SEGMENT-PAIR + NSP',
    ]);
    const ref = lossCurveSpec(run, summary, 'pair', {
      title: 't',
      yTitle: 'y',
      reference: { y: Math.LN2, label: 'chance' },
    });
    expect(JSON.stringify(ref)).toContain(String(Math.LN2));
    const empty = lossCurveSpec(run, summary, 'nothing', {
      title: 't',
      yTitle: 'y',
      emptyText: 'no such loss',
    });
    expect(JSON.stringify(empty)).toContain('no such loss');
  });

  it('learning curves: one point per variant and cell, log x, baseline flagged', () => {
    const pts = learningPoints(summary);
    expect(pts).toHaveLength(3 * 2 * 3); // 3 rows x 2 tasks x 3 evaluations
    expect(pts.filter((p) => p.baseline).every((p) => p.variant === 'no pretraining')).toBe(true);
    const spec = JSON.stringify(learningCurveSpec(summary, { title: 't', yTitle: 'y' }));
    expect(spec).toContain('"type":"log"');
    expect(spec).toContain('"strokeDash"');
  });
});
