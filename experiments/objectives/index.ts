import type { Experiment } from '@pretrain-lab/experiment';
import { defaults, type ObjectivesConfig, validate } from './config.js';
import { presets } from './presets.js';
import { runObjectives } from './run.js';

export const experiment: Experiment<ObjectivesConfig> = {
  name: 'objectives',
  description:
    'pretraining objectives on one compute budget: MLM, ELECTRA, causal LM, T5 and BART denoising, probed on the same tasks (T5 Tables 2 and 4, BART Table 1, ELECTRA)',
  defaults,
  presets,
  validate,
  run: runObjectives,
};
