import { describe, expect, it } from 'vitest';
import * as scaling from './index.js';

describe('@pretrain-lab/scaling public API', () => {
  it('exports the documented functions', () => {
    for (const name of [
      'countParams',
      'flopsPerToken',
      'trainingCompute',
      'flopsToPfDays',
      'fitPowerLaw',
      'fitOffsetPowerLaw',
      'computeFrontier',
      'fitComputeFrontier',
      'bootstrap',
      'fitScalingSummary',
      'Mulberry32',
      'planIsoflopGrid',
      'estimateGridCost',
      'fitApproach2',
      'fitParametric',
      'lbfgs',
      'fitScalingGrid',
      'runRow',
      'synthesizeGrid',
    ]) {
      expect(typeof (scaling as Record<string, unknown>)[name]).toBe('function');
    }
  });
});
