import { ablationUnits, backendSlowdown, type Experiment } from '@pretrain-lab/experiment';
import { defaults, type NspConfig, validate } from './config.js';
import { presets } from './presets.js';
import { nspGrid, runNsp } from './run.js';

export const experiment: Experiment<NspConfig> = {
  name: 'nsp',
  description:
    'BERT vs RoBERTa: the input-format / NSP / masking ablation, judged by fine-tuning (Liu et al. 2019, Tables 1-2)',
  defaults,
  presets,
  validate,
  run: runNsp,
  grid: ablationUnits(nspGrid, {
    experiment: 'nsp',
    files: ['tokenizer.json'],
    // Speeds of the committed default (results/nsp/2026-12-01T23-59-42Z-default, native kernels):
    // 43.5k real tokens/s in pretraining, 46 minutes for 18 pretrainings and 21 rows of evaluations.
    cost: (c, backend) => {
      const m = c.model;
      const perToken =
        6 * m.numLayers * (4 * m.dModel ** 2 + 2 * m.dModel * m.dFF) + 12 * m.numLayers * m.dModel * m.maxLen;
      const slow = backendSlowdown(backend);
      return {
        pretrain: () => ({
          flops: perToken * c.pretrain.tokens,
          seconds: (c.pretrain.tokens / 43_500) * slow,
        }),
        evalSeconds: 27 * slow,
        speed: `the nsp default's speed of 2026-12-01 on the native kernels${slow > 1 ? ` /${slow} (backend ${backend})` : ''}`,
      };
    },
  }),
};
