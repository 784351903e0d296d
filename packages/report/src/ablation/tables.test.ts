import { type EvalRecord, makeSummary, type PretrainRecord } from '@pretrain-lab/experiment/schema';
import { describe, expect, it } from 'vitest';
import { pretrainTable, scoreTable } from './tables.js';

const evalRow = (
  variant: string,
  seed: number,
  score: number,
  method: 'probe' | 'finetune' = 'probe',
): EvalRecord => ({
  id: `${variant}-${seed}-${method}`,
  variant,
  seed,
  task: 'spam',
  method,
  trainExamples: 64,
  status: 'completed',
  metric: 'accuracy',
  score,
  scores: { accuracy: score, macroF1: score / 2 },
  perExample: [score],
  trainLoss: 0,
});

const pre = (variant: string, seed: number, mlm: number, pair?: number): PretrainRecord => ({
  id: `p-${variant}-${seed}`,
  variant,
  seed,
  status: seed === 3 ? 'diverged' : 'completed',
  steps: 10,
  tokens: 1000 * seed,
  epochs: 2,
  finalLoss: pair === undefined ? { mlm } : { mlm, pair },
  tokensPerSec: 100,
  extra: {},
});

const s = makeSummary(
  {
    experiment: 'test',
    seeds: [1, 2, 3],
    variants: [
      { name: 'none', pretrained: false, fields: {} },
      { name: 'X', pretrained: true, fields: { format: 'segment-pair', pair: 'nsp' } },
      { name: 'Y | odd', pretrained: true, fields: { format: 'doc-sentences', pair: null } },
    ],
    baseline: 'none',
    tasks: [
      {
        name: 'spam',
        kind: 'classification',
        metric: 'accuracy',
        classes: 2,
        trainExamples: 64,
        testExamples: 1,
      },
    ],
    evals: [
      { method: 'probe', trainExamples: 64 },
      { method: 'finetune', trainExamples: 64 },
    ],
  },
  {
    pretrain: [pre('X', 1, 5.1, 0.69), pre('X', 2, 5.3, 0.7), pre('X', 3, 5.2, 0.68), pre('Y | odd', 1, 5.0)],
    results: [
      ...[1, 2, 3].map((k) => evalRow('none', k, 0.5)),
      ...[1, 2, 3].map((k) => evalRow('X', k, 0.6 + 0.01 * k)),
      evalRow('Y | odd', 1, 0.7),
      evalRow('Y | odd', 2, 0.8),
    ],
    skippedTasks: [],
  },
);

describe('scoreTable', () => {
  it('rows are variants, columns grid cells: mean ± sample std in percent, losses in nats', () => {
    const t = scoreTable(s, { fields: ['format'] });
    expect(t[0]).toBe('| variant | format | val mlm loss | val pair loss | probe 64 | fine-tune 64 |');
    expect(t[1]).toBe('| --- | --- | ---: | ---: | ---: | ---: |');
    expect(t[2]).toBe('| none | — | — | — | 50.0 ± 0.0 | not run |');
    expect(t[3]).toBe('| X | segment-pair | 5.200 ± 0.100 | 0.690 ± 0.010 | 62.0 ± 1.0 | not run |');
    // Fewer seeds than the run: said; one seed: the value alone; a '|' in a name is escaped.
    expect(t[4]).toBe('| Y \\| odd | doc-sentences | 5.000 | — | 75.0 ± 7.1 (2 of 3 seeds) | not run |');
  });

  it('takes another metric, a subset of losses and extra columns', () => {
    const t = scoreTable(s, {
      metric: 'macroF1',
      losses: ['pair'],
      extraColumns: [{ title: 'paper', cell: (v) => (v.pretrained ? 'yes' : '—') }],
    });
    expect(t[0]).toBe('| variant | val pair loss | probe 64 | fine-tune 64 | paper |');
    expect(t[3]).toBe('| X | 0.690 ± 0.010 | 31.0 ± 0.5 | not run | yes |');
    expect(scoreTable(s, { losses: false })[0]).toBe('| variant | probe 64 | fine-tune 64 |');
  });
});

describe('scoreTable and pretrainTable rows', () => {
  it('take the rows named, in that order, and extra columns', () => {
    const t = scoreTable(s, { variants: ['X', 'none', 'absent'], losses: false });
    expect(t.slice(2).map((l) => l.split(' | ')[0])).toEqual(['| X', '| none']);
    const p = pretrainTable(s, {
      variants: ['Y | odd', 'X'],
      extraColumns: [{ title: 'note', align: 'right', cell: (v) => v.name.length.toString() }],
    });
    expect(p[0]).toBe(
      '| variant | seeds | tokens | epochs | val mlm loss | val pair loss | tokens/s | note |',
    );
    expect(p[1]).toBe('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    expect(p[2]).toBe('| Y \\| odd | 1 completed | 1,000 | 2.00 | 5.000 | — | 100 | 7 |');
  });
});

describe('pretrainTable', () => {
  it('one row per pretrained variant with status counts, means and final losses', () => {
    const t = pretrainTable(s);
    expect(t[0]).toBe('| variant | seeds | tokens | epochs | val mlm loss | val pair loss | tokens/s |');
    expect(t[2]).toBe('| X | 2 completed, 1 diverged | 2,000 | 2.00 | 5.200 ± 0.100 | 0.690 ± 0.010 | 100 |');
    expect(t[3]).toBe('| Y \\| odd | 1 completed | 1,000 | 2.00 | 5.000 | — | 100 |');
  });
});
