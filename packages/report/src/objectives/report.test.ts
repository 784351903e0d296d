/**
 * The objectives report on synthetic runs in the ablation schema (ablation/synthetic.ts), with
 * planted effects in points over each architecture's no-pretraining row: the verdicts must find
 * what was planted and nothing else, a missing row makes its claims 'not run', and the figure
 * renders byte-stably through figuresAll.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EvalSpec, TaskInfo } from '@pretrain-lab/experiment/schema';
import { describe, expect, it } from 'vitest';
import { loadAblation } from '../ablation/summary.js';
import { type SyntheticVariant, writeSyntheticAblationRun } from '../ablation/synthetic.js';
import { EXPERIMENT_REPORTS, figuresAll } from '../figures.js';
import { OBJECTIVE_ROWS } from './claims.js';
import { judgeObjectives, OBJECTIVES_FIGURES, objectivesReport } from './report.js';

const TASKS: TaskInfo[] = [
  {
    name: 'spam',
    kind: 'classification',
    metric: 'accuracy',
    classes: 2,
    trainExamples: 1024,
    testExamples: 400,
  },
  {
    name: 'brown-genre',
    kind: 'classification',
    metric: 'accuracy',
    classes: 15,
    trainExamples: 1024,
    testExamples: 400,
  },
];
const EVALS: EvalSpec[] = [
  { method: 'probe', trainExamples: 256 },
  { method: 'probe', trainExamples: 1024 },
];
const ARCH: Record<string, string> = {
  mlm: 'encoder',
  'span-masking': 'encoder',
  'albert-mlm': 'encoder',
  electra: 'encoder',
  'causal-lm': 'decoder',
  'bert-style': 'encoder-decoder',
  'span-corruption': 'encoder-decoder',
  'prefix-lm': 'encoder-decoder',
  deshuffle: 'encoder-decoder',
  'text-infilling': 'encoder-decoder',
  'sentence-permutation': 'encoder-decoder',
};

/**
 * Planted: every objective +8 over its baseline, ELECTRA and span masking +16, ALBERT +8 (as
 * MLM), deshuffling, sentence permutation and the causal LM 0.
 */
const PLANTED: Record<string, number> = {
  mlm: 0.08,
  'span-masking': 0.16,
  'albert-mlm': 0.08,
  'sentence-permutation': 0,
  electra: 0.16,
  'causal-lm': 0,
  'bert-style': 0.08,
  'span-corruption': 0.08,
  'prefix-lm': 0.08,
  deshuffle: 0,
  'text-infilling': 0.08,
};

function writeRun(root: string, objectives: string[], runId = '20250102-000000-objectives-synthetic') {
  const variants: SyntheticVariant[] = [];
  for (const arch of ['encoder', 'decoder', 'encoder-decoder'])
    variants.push({
      info: {
        name: OBJECTIVE_ROWS[`none:${arch}`],
        pretrained: false,
        fields: { objective: 'none', architecture: arch },
      },
      effect: 0,
      losses: {},
    });
  for (const o of objectives)
    variants.push({
      info: { name: OBJECTIVE_ROWS[o], pretrained: true, fields: { objective: o, architecture: ARCH[o] } },
      effect: PLANTED[o],
      losses: { val: { start: 7, final: 5 } },
      extra: { flops: 3e12, flopsPerStep: 1.4e9, architecture: ARCH[o] },
    });
  return writeSyntheticAblationRun(join(root, 'results'), {
    experiment: 'objectives',
    runId,
    seeds: [1, 2, 3],
    baseline: null,
    variants,
    tasks: TASKS,
    evals: EVALS,
    config: {
      corpus: 'brown',
      splitSeed: 1,
      tokenizer: { vocabSize: 1000 },
      model: { dModel: 64, numLayers: 2, numHeads: 2, dFF: 256, seqLen: 64 },
      electra: { numLayers: 1, numHeads: 2, dFF: 128, discWeight: 50 },
      noise: { mlmRate: 0.15, spanRate: 0.15, meanSpan: 3, infillingRate: 0.3 },
      pretrain: { flops: 3e12, batchSize: 32, lr: 5e-3, selfPretrain: { tasks: ['spam'], maxWords: 25 } },
      probe: { steps: 300, lr: 0.05, l2: 1e-3 },
    },
  });
}

const root = mkdtempSync(join(tmpdir(), 'objectives-report-'));
const runDir = writeRun(root, Object.keys(PLANTED));
const verdicts = (dir: string) =>
  Object.fromEntries(
    judgeObjectives(loadAblation(dir).summary).flatMap((g) => g.results.map((r) => [r.claim.id, r.verdict])),
  );

describe('objectives verdicts', () => {
  it('find the planted effects: pretraining helps where planted, ELECTRA beats MLM, deshuffling is worst', () => {
    const v = verdicts(runDir);
    expect(v['pretraining-mlm']).toBe('supported');
    expect(v['pretraining-electra']).toBe('supported');
    expect(v['pretraining-causal-lm']).toBe('within noise');
    expect(v['pretraining-deshuffle']).toBe('within noise');
    expect(v['electra-vs-mlm']).toBe('supported');
    expect(v['denoising-vs-lm']).toBe('supported');
    expect(v['deshuffle-vs-bert-style']).toBe('supported');
    expect(v['bert-style-vs-prefix-lm']).toBe('within noise');
    expect(v['infilling-vs-deletion']).toBe('not run');
    expect(v['span-masking-vs-mlm']).toBe('supported');
    expect(v['albert-vs-mlm']).toBe('supported');
    expect(v['infilling-vs-permutation']).toBe('supported');
    expect(v['rotation-vs-permutation']).toBe('not run');
  });

  it('a run without ELECTRA says its claim was not run and names the row', () => {
    const dir = writeRun(
      mkdtempSync(join(tmpdir(), 'objectives-report-')),
      ['mlm', 'causal-lm'],
      'no-electra',
    );
    const v = verdicts(dir);
    expect(v['electra-vs-mlm']).toBe('not run');
    expect(v['pretraining-mlm']).toBe('supported');
    expect(objectivesReport(dir, '../figures')).toContain("'ELECTRA (encoder)' is not in this run");
  });
});

describe('objectives report', () => {
  const md = objectivesReport(runDir, '../figures/');
  it('puts the papers beside ours and gives every claim a verdict with its test', () => {
    expect(md).toContain('](../figures/objectives-scores.svg)');
    expect(md).toContain('T5 BERT-style: 82.96 GLUE');
    expect(md).toContain('ELECTRA-Small: 79.9 GLUE');
    expect(md).toContain('BART 90.8 / 84.0 (SQuAD F1 / MNLI)');
    expect(md).toContain('BART 85.4 / 81.5 (SQuAD F1 / MNLI), sentence shuffling');
    expect(md).toMatch(/ELECTRA \(encoder\) vs BERT MLM \(encoder\), greater\*\*: supported/);
    expect(md).toMatch(/paired bootstrap over 3 seeds × 400 test examples/);
    expect(md).toContain('- Budget: 3.00e12 training FLOPs per row');
  });

  it('figuresAll writes the figure and the report, byte-identical on a second run', async () => {
    const docs = join(root, 'docs');
    const a = await figuresAll(join(root, 'results'), docs, { objectives: EXPERIMENT_REPORTS.objectives });
    const figs = join(docs, 'figures');
    expect(a.files).toEqual([
      ...OBJECTIVES_FIGURES.flatMap((n) => [join(figs, `${n}.svg`), join(figs, `${n}.png`)]),
      join(docs, 'experiments', 'objectives.md'),
    ]);
    const svg = readFileSync(a.files[0], 'utf8');
    expect(svg.includes('ELECTRA')).toBe(true);
    await figuresAll(join(root, 'results'), docs, { objectives: EXPERIMENT_REPORTS.objectives });
    expect(readFileSync(a.files[0], 'utf8')).toBe(svg);
  });
});
