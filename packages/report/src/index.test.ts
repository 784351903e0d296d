import { describe, expect, it } from 'vitest';
import * as report from './index.js';

describe('@pretrain-lab/report public API', () => {
  it('exports the documented functions', () => {
    for (const name of [
      'renderChart',
      'loadRun',
      'findRuns',
      'latestCompleteRun',
      'scalingFigures',
      'scalingReport',
      'figuresAll',
      'nspFigures',
      'nspReport',
      'spansFigures',
      'spansReport',
      'objectivesFigures',
      'objectivesReport',
      'writeSyntheticNspRun',
      'writeSyntheticSpansRun',
    ]) {
      expect(typeof (report as Record<string, unknown>)[name]).toBe('function');
    }
    expect(Object.keys(report.EXPERIMENT_REPORTS)).toEqual(['nsp', 'objectives', 'scaling', 'spans']);
  });
});
