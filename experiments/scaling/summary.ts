/**
 * The scaling grid's summary step: every fit (packages/scaling/src/grid-fits.ts), with both
 * parameter counts, over the units' run rows in plan order and their validation curves, into
 * summary.json. A single-process run (run.ts) and the merge of a shared run (grid.ts) both end
 * here, so their summaries agree.
 */
import path from 'node:path';
import { writeJSONAtomic } from '@pretrain-lab/experiment';
import {
  COARSE_STARTS,
  FLOP_CONVENTION,
  fitScalingGrid,
  type GridFits,
  type PlannedUnit,
  SCALING_SCHEMA,
  type ScalingGridSummary,
  type ScalingMetricRow,
  type ScalingRunRow,
  validationCurves,
} from '@pretrain-lab/scaling';
import { lrRuleText, type ScalingConfig, sizeRuleText, warmupRuleText } from './config.js';

export interface SummaryInput {
  /** The plan, in order. */
  units: readonly PlannedUnit[];
  /** One row per unit, in plan order. */
  runs: ScalingRunRow[];
  /** Every metrics row of the grid. */
  rows: ScalingMetricRow[];
  trainTokens: number;
  vocabSize: number;
}

export function writeSummary(
  cfg: ScalingConfig,
  dir: string,
  x: SummaryInput,
  log: (line: string) => void,
): ScalingGridSummary<GridFits> {
  const { units, runs, rows, trainTokens } = x;
  const t0 = Date.now();
  const fits = fitScalingGrid(runs, validationCurves(rows, runs), {
    seed: cfg.seed,
    bootstrap: cfg.fit.bootstrap,
    ...(cfg.fit.starts === 'coarse' ? { starts: COARSE_STARTS } : {}),
  });
  const summary: ScalingGridSummary<GridFits> = {
    schema: SCALING_SCHEMA,
    flopConvention: FLOP_CONVENTION,
    grid: {
      protocol: cfg.protocol,
      budgets: cfg.protocol === 'isoflop' ? cfg.grid.budgets : [],
      sizesPerBudget: cfg.protocol === 'isoflop' ? cfg.grid.sizesPerBudget : units.length,
      tokensPerParam: cfg.grid.tokensPerParam,
      maxEpochs: cfg.grid.maxEpochs,
      trainTokens,
      tokensPerStep: cfg.batchSize * cfg.seqLen,
      vocabSize: x.vocabSize,
      sizeRule: sizeRuleText(cfg),
      lrRule: lrRuleText(cfg),
      warmupRule: warmupRuleText(cfg),
    },
    runs,
    fits,
  };
  writeJSONAtomic(path.join(dir, 'summary.json'), summary);
  log(`fits in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const kind of ['total', 'nonEmbedding'] as const) {
    const f = fits[kind];
    const ci = (x: [number, number] | null | undefined) =>
      x ? ` [${x[0].toFixed(3)}, ${x[1].toFixed(3)}]` : '';
    log(
      `${kind === 'total' ? 'total params' : 'non-embedding params'}: ` +
        `approach 2 a = ${f.approach2 ? f.approach2.a.toFixed(3) + ci(f.approach2.ci.a) : 'n/a'}, ` +
        `approach 3 a = ${f.approach3 ? f.approach3.a.toFixed(3) + ci(f.approach3.ci.a) : 'n/a'}, ` +
        `L(N) a_N = ${f.lossVsN ? f.lossVsN.a.toFixed(3) : 'n/a'}, L(C) a_C = ${f.lossVsC ? f.lossVsC.a.toFixed(3) : 'n/a'}`,
    );
  }
  for (const e of fits.excluded) log(`left out of the fits: ${e.unit} (${e.reason})`);
  return summary;
}
