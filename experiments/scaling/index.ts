import type { Experiment } from '@pretrain-lab/experiment';
import { defaults, type ScalingConfig, validate } from './config.js';
import { scalingGrid } from './grid.js';
import { presets } from './presets.js';
import { runScaling } from './run.js';

export const experiment: Experiment<ScalingConfig> = {
  name: 'scaling',
  description:
    'GPT models of many sizes on one corpus and budget; power-law fits of loss in N and C (Kaplan et al. 2020)',
  defaults,
  presets,
  validate,
  run: runScaling,
  grid: scalingGrid,
};
