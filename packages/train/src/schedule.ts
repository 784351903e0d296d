/** Learning-rate schedule: linear warmup, then cosine decay to minLr (nanoGPT's get_lr). */
export interface ScheduleConfig {
  lr: number;
  warmupSteps: number;
  /** Steps over which the cosine runs; after it the rate stays at minLr. */
  decaySteps: number;
  minLr: number;
}

/** Rate for 0-based step `step`. */
export function learningRate(step: number, s: ScheduleConfig): number {
  if (step < s.warmupSteps) return (s.lr * (step + 1)) / s.warmupSteps;
  if (step >= s.decaySteps) return s.minLr;
  const progress = (step - s.warmupSteps) / Math.max(1, s.decaySteps - s.warmupSteps);
  const coeff = 0.5 * (1 + Math.cos(Math.PI * progress)); // 1 -> 0
  return s.minLr + coeff * (s.lr - s.minLr);
}
