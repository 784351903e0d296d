/**
 * What every ablation's fine-tuning units share: the fine-tuning section of a config, its
 * training-loop settings (linear decay to 0 after warmup, no mid-run checkpoints: a fine-tuning
 * is short and restarts when interrupted), and the evaluation's labelled subset (the first n
 * of the task's seeded order, the same for every row of the table).
 */
import type { TrainLoopConfig } from '@pretrain-lab/train';

export interface FinetuneSettings {
  steps: number;
  lr: number;
  warmupFraction: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export function finetuneLoop(f: FinetuneSettings, seed: number): TrainLoopConfig {
  return {
    steps: f.steps,
    lr: f.lr,
    minLr: 0,
    warmupSteps: Math.max(1, Math.round(f.warmupFraction * f.steps)),
    adamw: { beta1: f.beta1, beta2: f.beta2, eps: f.eps, weightDecay: f.weightDecay, gradClip: 1.0 },
    evalEvery: f.steps,
    logEvery: Math.max(1, Math.floor(f.steps / 10)),
    checkpointEvery: 0,
    seed,
  };
}
