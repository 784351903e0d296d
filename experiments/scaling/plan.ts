/**
 * The cost of a scaling grid before it runs: tokens, FLOPs (6 N_total D), evaluation and
 * minutes per unit at a throughput model of this machine, and the total. `pnpm exp scaling`
 * prints it before training; plan-cli.ts prints it without training anything.
 */
import {
  estimateGridCost,
  formatGridCost,
  type GridCost,
  modelTokensPerSec,
  type PlannedUnit,
  type ThroughputModel,
  WASM_2CORE,
} from '@pretrain-lab/scaling';
import { type ScalingConfig, scheduleFor } from './config.js';

/** Forward-only tokens a unit spends on evaluation: every learning-curve point plus the final set. */
export function evalTokensOf(cfg: ScalingConfig, u: PlannedUnit): number {
  const s = scheduleFor(cfg, u);
  const points = Math.floor(u.steps / s.evalEvery) + 2; // step 0, every evalEvery, the last step
  const rows = cfg.batchSize * cfg.seqLen;
  return points * cfg.train.evalBatches * rows + cfg.train.finalEvalBatches * rows;
}

export interface CostOptions {
  model?: ThroughputModel;
  /** Tokens/s by model name, overriding the model. */
  tokensPerSec?: Record<string, number>;
}

export function estimateCost(
  cfg: ScalingConfig,
  units: readonly PlannedUnit[],
  opts: CostOptions = {},
): GridCost {
  const m = opts.model ?? WASM_2CORE;
  return estimateGridCost(
    units,
    (u) => opts.tokensPerSec?.[u.model] ?? modelTokensPerSec(m, u),
    (u) => evalTokensOf(cfg, u),
  );
}

/** The lines `pnpm exp scaling` prints before training. */
export function formatPlan(
  cfg: ScalingConfig,
  units: readonly PlannedUnit[],
  cost: GridCost,
  opts: { trainTokens?: number; speed?: string } = {},
): string[] {
  const lines: string[] = [];
  if (cfg.protocol === 'isoflop') {
    const budgets = [...new Set(units.map((u) => u.budget))];
    lines.push(
      `IsoFLOP grid: ${budgets.length} budgets ${budgets.map((b) => b.toExponential(2)).join(', ')} FLOPs ` +
        `(${Math.log10(budgets[budgets.length - 1] / budgets[0]).toFixed(2)} decades), ${units.length} units`,
    );
  } else {
    lines.push(`fixed-token grid (Kaplan's protocol): ${units.length} models x ${cfg.train.steps} steps`);
  }
  lines.push(...formatGridCost(cost));
  const maxTokens = Math.max(...units.map((u) => u.tokens));
  if (opts.trainTokens)
    lines.push(
      `largest unit: ${maxTokens.toLocaleString('en-US')} tokens = ${(maxTokens / opts.trainTokens).toFixed(2)} epochs of the training split (at most ${cfg.grid.maxEpochs})`,
    );
  lines.push(
    opts.speed
      ? `minutes at ${opts.speed}`
      : `minutes at the 2-core wasm speed measured in 2026-12; at 3x that speed (native kernels) about ${(cost.seconds / 3 / 60).toFixed(0)} minutes`,
  );
  return lines;
}
