import { ablationUnits, backendSlowdown, type Experiment } from '@pretrain-lab/experiment';
import { defaults, type SpansConfig, validate } from './config.js';
import { presets } from './presets.js';
import { runSpans, spansGrid } from './run.js';

export const experiment: Experiment<SpansConfig> = {
  name: 'spans',
  description:
    'T5 span corruption: mean span length and corruption rate, judged text to text (Raffel et al. 2020, Tables 6-7)',
  defaults,
  presets,
  validate,
  run: runSpans,
  grid: ablationUnits(spansGrid, {
    experiment: 'spans',
    files: ['tokenizer.json'],
    // Speeds of the committed default (results/spans/2026-12-02T19-57-42Z-default, native
    // kernels): 33.1k input tokens/s in pretraining, 14 minutes for 9 pretrainings and 12 rows of
    // evaluations. FLOPs are not estimated (encoder and decoder lengths differ per setting).
    cost: (c, backend) => {
      const tokens = c.pretrain.steps * c.pretrain.batchSize * c.pretrain.inputLength;
      const slow = backendSlowdown(backend);
      return {
        pretrain: () => ({ flops: 0, seconds: (tokens / 33_100) * slow }),
        evalSeconds: 14 * slow,
        speed: `the spans default's speed of 2026-12-02 on the native kernels${slow > 1 ? ` /${slow} (backend ${backend})` : ''}`,
      };
    },
  }),
};
