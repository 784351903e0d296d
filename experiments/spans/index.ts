import type { Experiment } from '@pretrain-lab/experiment';
import { defaults, type SpansConfig, validate } from './config.js';
import { presets } from './presets.js';
import { runSpans } from './run.js';

export const experiment: Experiment<SpansConfig> = {
  name: 'spans',
  description:
    'T5 span corruption: mean span length and corruption rate, judged text to text (Raffel et al. 2020, Tables 6-7)',
  defaults,
  presets,
  validate,
  run: runSpans,
};
