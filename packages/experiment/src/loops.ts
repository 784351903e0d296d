/**
 * The training-loop settings every ablation's units share, from the sections of their configs:
 * pretraining (warmup, then cosine decay to minLrRatio x peak; checkpoints for resume) and
 * fine-tuning (warmup, then linear decay to 0; no mid-run checkpoints: a fine-tuning is short
 * and restarts when interrupted). Gradients are clipped at norm 1 in both.
 */
import type { TrainLoopConfig } from '@pretrain-lab/train';

interface AdamWSettings {
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export interface PretrainSettings extends AdamWSettings {
  minLrRatio: number;
  evalEvery: number;
  logEvery: number;
  checkpointEvery: number;
}

export interface FinetuneSettings extends AdamWSettings {
  steps: number;
  warmupFraction: number;
}

const adamw = (s: AdamWSettings) => ({
  beta1: s.beta1,
  beta2: s.beta2,
  eps: s.eps,
  weightDecay: s.weightDecay,
  gradClip: 1.0,
});

export function pretrainLoop(
  p: PretrainSettings,
  run: { steps: number; warmupSteps: number; seed: number },
): TrainLoopConfig {
  return {
    steps: run.steps,
    lr: p.lr,
    minLr: p.lr * p.minLrRatio,
    warmupSteps: run.warmupSteps,
    adamw: adamw(p),
    evalEvery: p.evalEvery,
    logEvery: p.logEvery,
    checkpointEvery: p.checkpointEvery,
    seed: run.seed,
  };
}

export function finetuneLoop(f: FinetuneSettings, seed: number): TrainLoopConfig {
  return {
    steps: f.steps,
    lr: f.lr,
    minLr: 0,
    warmupSteps: Math.max(1, Math.round(f.warmupFraction * f.steps)),
    adamw: adamw(f),
    evalEvery: f.steps,
    logEvery: Math.max(1, Math.floor(f.steps / 10)),
    checkpointEvery: 0,
    seed,
  };
}
