/**
 * A small plan for the tests of plan.ts, shard.ts, slurm.ts and k8s.ts: the shape of an
 * ablation (a data step, pretrainings, fine-tunings that wait for their pretraining) with
 * uneven costs.
 */
import type { GridPlan, PlanUnit } from '../plan.js';

export function fixturePlan(): GridPlan {
  const units: PlanUnit[] = [
    { id: 'prep-0', name: 'prepare', kind: 'prepare', deps: [], flops: 0, seconds: 5 },
  ];
  for (let s = 0; s < 3; s++)
    units.push({
      id: `pre-${s}`,
      name: `pretrain s${s}`,
      kind: 'pretrain',
      deps: ['prep-0'],
      flops: 100 * (s + 1),
      seconds: 60 * (s + 1),
    });
  for (let s = 0; s < 3; s++)
    for (let t = 0; t < 2; t++)
      units.push({
        id: `ft-${s}-${t}`,
        name: `finetune s${s} t${t}`,
        kind: 'eval',
        deps: [`pre-${s}`],
        flops: 10,
        seconds: 6,
      });
  return { experiment: 'toy', preset: 'smoke', configId: 'config-000000000000', speed: 'a test', units };
}
