import { type AblationSummary, makeSummary } from '@pretrain-lab/experiment/schema';
import { describe, expect, it } from 'vitest';
import { NSP_BASELINE, nspClaimGroups, roleVariant } from './claims.js';

const summary = (variants: AblationSummary['variants'], baseline: string | null = NSP_BASELINE) =>
  makeSummary(
    { experiment: 'nsp', seeds: [1], variants, baseline, tasks: [], evals: [] },
    { pretrain: [], results: [], skippedTasks: [] },
  );

describe('nsp claims', () => {
  it('find a variant by format and masking, so a renamed row is still found', () => {
    const s = summary([
      { name: NSP_BASELINE, pretrained: false, fields: {} },
      {
        name: 'my segments',
        pretrained: true,
        fields: { format: 'segment-pair', masking: 'dynamic', pair: 'nsp' },
      },
    ]);
    expect(roleVariant(s, 'segment')).toBe('my segments');
    expect(roleVariant(s, 'docStatic')).toBe('DOC-SENTENCES, static masking'); // the default name: absent
  });

  it('one pretraining claim per row of the run and per default row it lacks; ids unique', () => {
    const s = summary([
      { name: NSP_BASELINE, pretrained: false, fields: {} },
      {
        name: 'extra',
        pretrained: true,
        fields: { format: 'full-sentences', masking: 'static', pair: null },
      },
    ]);
    const groups = nspClaimGroups(s);
    const pre = groups.find((g) => g.id === 'pretraining')?.claims ?? [];
    expect(pre.map((c) => c.a)).toEqual([
      'extra',
      'SEGMENT-PAIR + NSP',
      'SENTENCE-PAIR + NSP',
      'SEGMENT-PAIR + SOP',
      'FULL-SENTENCES',
      'DOC-SENTENCES',
      'DOC-SENTENCES, static masking',
    ]);
    expect(pre.every((c) => c.b === NSP_BASELINE && c.direction === 'greater')).toBe(true);
    const ids = groups.flatMap((g) => g.claims.map((c) => c.id));
    expect(new Set(ids).size).toBe(ids.length);
    const noNsp = groups.find((g) => g.id === 'no-nsp')?.claims ?? [];
    expect(noNsp.map((c) => [c.direction, c.margin])).toEqual([
      ['greater', undefined],
      ['equal', 0.02],
      ['greater', undefined],
      ['equal', 0.02],
    ]);
  });
});
