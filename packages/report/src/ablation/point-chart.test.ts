import { describe, expect, it } from 'vitest';
import { type PanelPoint, pointPanelsSpec } from './point-chart.js';

const point = (label: string, group: string, n = 3): PanelPoint => ({
  panel: 'spam',
  group,
  label,
  variant: `v ${label}`,
  mean: 80,
  lo: 79,
  hi: 81,
  n,
});

const opts = {
  title: 't',
  yTitle: 'y',
  xTitle: 'x',
  labels: ['1', '2'],
  panels: ['spam'],
  groups: ['a', 'b'],
};

describe('pointPanelsSpec', () => {
  it('points, seed bars and a rule per panel, labels in the given order', () => {
    const spec = pointPanelsSpec([point('2', 'a'), point('1', 'b')], {
      ...opts,
      rules: [
        { panel: 'spam', y: 70 },
        { panel: 'absent', y: 1 },
      ],
      ruleLabel: 'no pretraining',
    }) as any;
    expect(spec.data.values.filter((v: any) => v.kind === 'rule')).toEqual([
      { panel: 'spam', mean: 70, kind: 'rule' },
    ]);
    expect(spec.spec.layer).toHaveLength(3); // rule, bars, points
    expect(spec.spec.layer[2].encoding.x.sort).toEqual(['1', '2']);
    expect(spec.title.subtitle.at(-1)).toBe(
      'mean over 3 seeds; bars: ±1 standard deviation across seeds; dashed grey: no pretraining',
    );
  });

  it('one seed: no bars; no points: a message', () => {
    const one = pointPanelsSpec([point('1', 'a', 1)], opts) as any;
    expect(one.spec.layer).toHaveLength(2);
    expect(one.title.subtitle.at(-1)).toBe('one seed');
    expect(JSON.stringify(pointPanelsSpec([], { ...opts, emptyText: 'nothing here' }))).toContain(
      'nothing here',
    );
  });
});
