import { ablationUnits, backendSlowdown, type Experiment } from '@pretrain-lab/experiment';
import { defaults, type ObjectivesConfig, validate } from './config.js';
import { presets } from './presets.js';
import { objectivesGrid, runObjectives } from './run.js';

export const experiment: Experiment<ObjectivesConfig> = {
  name: 'objectives',
  description:
    'pretraining objectives on one compute budget: MLM, ELECTRA, causal LM, T5 and BART denoising, probed on the same tasks (T5 Tables 2 and 4, BART Table 1, ELECTRA)',
  defaults,
  presets,
  validate,
  run: runObjectives,
  grid: ablationUnits(objectivesGrid, {
    experiment: 'objectives',
    files: ['tokenizer.json'],
    // Speeds of the committed default (results/objectives/2026-12-03T17-33-01Z-default, native
    // kernels, T5 with fused RMSNorm/ReLU): 3e12 FLOPs a row in 52.8 s on average, 42 minutes for
    // 45 pretrainings (and 9 'none' rows, which train nothing) and 54 rows of evaluations.
    cost: (c, backend) => {
      const slow = backendSlowdown(backend);
      return {
        // A 'none' row trains nothing.
        pretrain: (r) =>
          r.objective === 'none'
            ? { flops: 0, seconds: 0 }
            : { flops: c.pretrain.flops, seconds: (c.pretrain.flops / 5.68e10) * slow },
        evalSeconds: 3 * slow,
        speed: `the objectives default's speed of 2026-12-03 on the native kernels${slow > 1 ? ` /${slow} (backend ${backend})` : ''}`,
      };
    },
  }),
};
