/**
 * The results schema of a scaling grid run, defined once: the experiment writes it, the report
 * reads it, and the test fixtures build it with the same row builders.
 *
 * - metrics.jsonl: `ScalingMetricRow`, one per train log and evaluation, `model` is the unit id;
 *   `compute` is 6 N_total tokens so far (the grid's FLOP count, see grid.ts); Kaplan's
 *   6 N_nonemb tokens is `metricCompute(row, 'nonEmbedding')`.
 * - summary.json: `ScalingGridSummary`, one `ScalingRunRow` per unit and the fits.
 * - run-state.json: the finished units' `ScalingRunRow`s (the ledger).
 */
import type { PlannedUnit } from './grid.js';

export const SCALING_SCHEMA = 'pretrain-lab/scaling-grid@1';

export type Protocol = 'isoflop' | 'fixed';

/** The two parameter counts every fit is done with. */
export type CountKind = 'total' | 'nonEmbedding';
export const COUNT_KINDS: readonly CountKind[] = ['total', 'nonEmbedding'];

export const FLOP_CONVENTION =
  'C = 6 N D with N = all trainable parameters including embeddings (tied input/output embedding, so the output layer is counted); every fit is repeated with Kaplan’s non-embedding N = 12·layers·d_model² and C = 6 N_nonemb D.';

export type RunStatus = 'completed' | 'diverged';

/** One unit of the grid after training (summary.json `runs`, run-state.json `finished`). */
export interface ScalingRunRow {
  unit: string;
  model: string;
  /** -1 in a fixed-token grid. */
  budgetIndex: number;
  /** FLOPs (6 N_total D); 0 in a fixed-token grid. */
  budget: number;
  numLayers: number;
  dModel: number;
  numHeads: number;
  totalParams: number;
  nonEmbeddingParams: number;
  embeddingParams: number;
  steps: number;
  tokens: number;
  /** Passes over the training split. */
  epochs: number;
  /** 6 N_total D. */
  compute: number;
  /** 6 N_nonemb D. */
  computeNonEmbedding: number;
  lr: number;
  warmupSteps: number;
  status: RunStatus;
  /** Loss on the final evaluation set; null when the run diverged. */
  finalValLoss: number | null;
  finalTrainLoss: number | null;
  tokensPerSec: number;
  /** Why it diverged, when it did. */
  note?: string;
}

/** One metrics.jsonl row of a grid run. */
export interface ScalingMetricRow {
  model: string;
  split: 'train' | 'val';
  step: number;
  tokens: number;
  /** 6 N_total tokens so far. */
  compute: number;
  loss: number;
  budget: number;
  totalParams: number;
  nonEmbeddingParams: number;
  lr?: number;
  tokensPerSec?: number;
  elapsedSec?: number;
}

/** What a unit adds to every metric row (the trainer adds model, split, step, tokens, compute, loss). */
export function metricRowExtra(
  u: PlannedUnit,
): Pick<ScalingMetricRow, 'budget' | 'totalParams' | 'nonEmbeddingParams'> {
  return { budget: u.budget, totalParams: u.totalParams, nonEmbeddingParams: u.nonEmbeddingParams };
}

/** Training FLOPs per token for the `compute` column: 6 N_total. */
export const flopsPerTokenOf = (u: PlannedUnit): number => 6 * u.totalParams;

export interface UnitOutcome {
  status: RunStatus;
  finalValLoss: number | null;
  finalTrainLoss: number | null;
  tokens: number;
  tokensPerSec: number;
  note?: string;
}

/** The summary row of a unit from its plan, its schedule and how it ended. */
export function runRow(
  u: PlannedUnit,
  schedule: { lr: number; warmupSteps: number; trainTokens: number },
  out: UnitOutcome,
): ScalingRunRow {
  const finite = (x: number | null) => (x !== null && Number.isFinite(x) ? x : null);
  return {
    unit: u.id,
    model: u.model,
    budgetIndex: u.budgetIndex,
    budget: u.budget,
    numLayers: u.numLayers,
    dModel: u.dModel,
    numHeads: u.numHeads,
    totalParams: u.totalParams,
    nonEmbeddingParams: u.nonEmbeddingParams,
    embeddingParams: u.embeddingParams,
    steps: u.steps,
    tokens: out.tokens,
    epochs: schedule.trainTokens > 0 ? out.tokens / schedule.trainTokens : 0,
    compute: 6 * u.totalParams * out.tokens,
    computeNonEmbedding: 6 * u.nonEmbeddingParams * out.tokens,
    lr: schedule.lr,
    warmupSteps: schedule.warmupSteps,
    status: out.status,
    finalValLoss: out.status === 'completed' ? finite(out.finalValLoss) : null,
    finalTrainLoss: finite(out.finalTrainLoss),
    tokensPerSec: Math.round(out.tokensPerSec),
    ...(out.note ? { note: out.note } : {}),
  };
}

export const paramsOf = (r: { totalParams: number; nonEmbeddingParams: number }, kind: CountKind): number =>
  kind === 'total' ? r.totalParams : r.nonEmbeddingParams;

/** Training compute so far of a metric row, in the given count. */
export const metricCompute = (row: ScalingMetricRow, kind: CountKind): number =>
  kind === 'total' ? row.compute : 6 * row.nonEmbeddingParams * row.tokens;

/** A unit's validation curve, tokens and loss (compute follows from the unit's N). */
export interface ValidationCurve {
  unit: string;
  model: string;
  totalParams: number;
  nonEmbeddingParams: number;
  points: { step: number; tokens: number; loss: number }[];
}

/**
 * Validation curves of the units that completed, past warmup and the first tenth of each run:
 * the earliest points measure the schedule's transient, not what a size can reach with that
 * compute (the envelope fits of Kaplan's L(C) and L(D) use these).
 */
export function validationCurves(
  rows: readonly ScalingMetricRow[],
  runs: readonly ScalingRunRow[],
): ValidationCurve[] {
  return runs
    .filter((r) => r.status === 'completed')
    .map((r) => {
      const first = Math.max(r.warmupSteps, Math.ceil(r.steps / 10));
      return {
        unit: r.unit,
        model: r.model,
        totalParams: r.totalParams,
        nonEmbeddingParams: r.nonEmbeddingParams,
        points: rows
          .filter(
            (m) =>
              m.model === r.unit &&
              m.split === 'val' &&
              m.step >= first &&
              m.loss > 0 &&
              Number.isFinite(m.loss),
          )
          .map((m) => ({ step: m.step, tokens: m.tokens, loss: m.loss })),
      };
    });
}

export interface GridDescription {
  protocol: Protocol;
  budgets: number[];
  sizesPerBudget: number;
  tokensPerParam: number;
  maxEpochs: number;
  trainTokens: number;
  tokensPerStep: number;
  /** The trained tokenizer's vocabulary (a char tokenizer's is known only once trained). */
  vocabSize: number;
  /** How each budget's sizes were chosen, in words. */
  sizeRule: string;
  /** The learning-rate and warmup rules, in words and numbers, as the config states them. */
  lrRule: string;
  warmupRule: string;
}

export interface ScalingGridSummary<F = unknown> {
  schema: typeof SCALING_SCHEMA;
  flopConvention: string;
  grid: GridDescription;
  runs: ScalingRunRow[];
  fits: F;
}

export function isScalingGridSummary(x: unknown): x is ScalingGridSummary {
  return typeof x === 'object' && x !== null && (x as { schema?: unknown }).schema === SCALING_SCHEMA;
}
