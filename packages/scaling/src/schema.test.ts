import { describe, expect, it } from 'vitest';
import { planIsoflopGrid } from './grid.js';
import {
  flopsPerTokenOf,
  isScalingGridSummary,
  metricCompute,
  metricRowExtra,
  runRow,
  SCALING_SCHEMA,
  type ScalingMetricRow,
  validationCurves,
} from './schema.js';

const [u] = planIsoflopGrid({
  budgets: [1e11],
  ladder: [8, 12, 16, 24, 32].map((dModel) => ({ numLayers: 1, dModel, numHeads: 2 })),
  sizesPerBudget: 3,
  tokensPerParam: 20,
  vocabSize: 1024,
  seqLen: 64,
  tieEmbeddings: true,
  tokensPerStep: 1024,
  minSteps: 10,
});

describe('row builders', () => {
  it('a run row records both computes and leaves a diverged run’s loss out', () => {
    const done = runRow(
      u,
      { lr: 1e-3, warmupSteps: 5, trainTokens: 2 * u.tokens },
      {
        status: 'completed',
        finalValLoss: 4.5,
        finalTrainLoss: 4.4,
        tokens: u.tokens,
        tokensPerSec: 1234.6,
      },
    );
    expect(done).toMatchObject({
      unit: u.id,
      budget: 1e11,
      epochs: 0.5,
      compute: 6 * u.totalParams * u.tokens,
      computeNonEmbedding: 6 * u.nonEmbeddingParams * u.tokens,
      finalValLoss: 4.5,
      tokensPerSec: 1235,
    });
    expect(done).not.toHaveProperty('note');
    const bad = runRow(
      u,
      { lr: 1e-3, warmupSteps: 5, trainTokens: u.tokens },
      {
        status: 'diverged',
        finalValLoss: Number.NaN,
        finalTrainLoss: Number.POSITIVE_INFINITY,
        tokens: 100,
        tokensPerSec: 1,
        note: 'loss became NaN',
      },
    );
    expect(bad.finalValLoss).toBeNull();
    expect(bad.finalTrainLoss).toBeNull();
    expect(bad.note).toBe('loss became NaN');
  });

  it('metric rows carry the unit’s N and compute 6 N_total tokens; Kaplan’s compute follows from them', () => {
    const row: ScalingMetricRow = {
      model: u.id,
      split: 'val',
      step: 10,
      tokens: 10240,
      compute: flopsPerTokenOf(u) * 10240,
      loss: 5,
      ...metricRowExtra(u),
    };
    expect(metricCompute(row, 'total')).toBe(6 * u.totalParams * 10240);
    expect(metricCompute(row, 'nonEmbedding')).toBe(6 * u.nonEmbeddingParams * 10240);
  });

  it('validation curves skip warmup and the first tenth, and diverged runs', () => {
    const run = runRow(
      u,
      { lr: 1e-3, warmupSteps: 3, trainTokens: 1 },
      {
        status: 'completed',
        finalValLoss: 4,
        finalTrainLoss: 4,
        tokens: u.tokens,
        tokensPerSec: 1,
      },
    );
    const rows = [0, 5, Math.ceil(u.steps / 10), u.steps].map((step) => ({
      model: u.id,
      split: 'val' as const,
      step,
      tokens: step * 1024,
      compute: 0,
      loss: 5,
      ...metricRowExtra(u),
    }));
    const [c] = validationCurves(rows, [run]);
    expect(c.points.map((p) => p.step)).toEqual([Math.ceil(u.steps / 10), u.steps]);
    expect(validationCurves(rows, [{ ...run, status: 'diverged' }])).toEqual([]);
  });

  it('recognises a grid summary by its schema', () => {
    expect(isScalingGridSummary({ schema: SCALING_SCHEMA })).toBe(true);
    expect(isScalingGridSummary({ models: [] })).toBe(false);
    expect(isScalingGridSummary(null)).toBe(false);
  });
});
