import type { Experiment } from '@pretrain-lab/experiment';
import { defaults, type NspConfig, validate } from './config.js';
import { presets } from './presets.js';
import { runNsp } from './run.js';

export const experiment: Experiment<NspConfig> = {
  name: 'nsp',
  description:
    'BERT vs RoBERTa: the input-format / NSP / masking ablation, judged by fine-tuning (Liu et al. 2019, Tables 1-2)',
  defaults,
  presets,
  validate,
  run: runNsp,
};
