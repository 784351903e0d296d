/**
 * The results schema of every ablation experiment (nsp, spans, objectives), defined once: the
 * runner writes it (run-state.json while running, summary.json at the end), the report reads
 * it, and the report's test fixtures are built with these types and `makeSummary`. A row of
 * evaluation keeps its per-example scores, so the report can run paired tests across variants
 * without re-running anything.
 */

/** One pretrained model: a (variant, seed) unit. */
export interface PretrainRecord {
  /** Stable unit id: a hash of the unit's resolved config (see units.ts). */
  id: string;
  variant: string;
  seed: number;
  /** 'diverged': stopped by the trainer's divergence check; the last good checkpoint is used. */
  status: 'completed' | 'diverged';
  steps: number;
  /** Training tokens counted the way the experiment states its budget (real or input tokens). */
  tokens: number;
  /** Passes over the pretraining examples. */
  epochs: number;
  /** Final validation losses by name ('mlm', 'nsp', 'val', ...), nats. */
  finalLoss: Record<string, number>;
  tokensPerSec: number;
  /** Experiment-specific numbers (mean target length, raw tokens per example, ...). */
  extra: Record<string, number | string | null>;
}

/** 'in-context': no training; the model reads `trainExamples` demonstrations in its prompt (GPT-3). */
export type EvalMethod = 'finetune' | 'probe' | 'in-context';

/** How a pretrained (or fresh) model is evaluated on a task. */
export interface EvalSpec {
  method: EvalMethod;
  /**
   * Labelled training examples (a learning-curve point); the same subset for every variant. For
   * 'in-context', the demonstrations in each prompt (0 = zero-shot).
   */
  trainExamples: number;
}

/** One evaluation: (variant, seed, task, method, training-set size). */
export interface EvalRecord {
  id: string;
  variant: string;
  seed: number;
  task: string;
  method: EvalMethod;
  trainExamples: number;
  status: 'completed' | 'diverged';
  /** The headline metric's name ('accuracy', 'rougeL', 'exactMatch'). */
  metric: string;
  /** The headline metric over the test set, in [0, 1]: the mean of perExample. */
  score: number;
  /** Every metric computed (accuracy, macroF1, rouge1, rouge2, rougeL ...), in [0, 1]. */
  scores: Record<string, number>;
  /** The headline metric per test example, in test-set order (the same order for every row). */
  perExample: number[];
  trainLoss: number;
  /** A few (target, prediction) pairs, for generation tasks. */
  examples?: { target: string; prediction: string }[];
}

export interface VariantInfo {
  name: string;
  /** false for the no-pretraining row. */
  pretrained: boolean;
  /** The variant's own switches (format, masking, meanSpan, rate, ...), for tables. */
  fields: Record<string, string | number | boolean | null>;
}

export interface TaskInfo {
  name: string;
  kind: 'classification' | 'generation';
  metric: string;
  classes: number | null;
  trainExamples: number;
  testExamples: number;
}

export interface AblationSummary {
  experiment: string;
  seeds: number[];
  variants: VariantInfo[];
  /** The no-pretraining row's name, or null when the run has none. */
  baseline: string | null;
  tasks: TaskInfo[];
  evals: EvalSpec[];
  pretrain: PretrainRecord[];
  results: EvalRecord[];
  skippedTasks: string[];
}

/** The state the runner keeps in run-state.json (the ledger adds done + metricsBytes). */
export interface AblationState {
  pretrain: PretrainRecord[];
  results: EvalRecord[];
  skippedTasks: string[];
}

export function makeSummary(
  head: Omit<AblationSummary, 'pretrain' | 'results' | 'skippedTasks'>,
  state: AblationState,
): AblationSummary {
  return { ...head, pretrain: state.pretrain, results: state.results, skippedTasks: state.skippedTasks };
}

/** The evaluation rows of one cell, one per seed, in seed order. */
export function cell(
  s: AblationSummary,
  q: { variant: string; task: string; method: EvalMethod; trainExamples: number },
): EvalRecord[] {
  return s.results
    .filter(
      (r) =>
        r.variant === q.variant &&
        r.task === q.task &&
        r.method === q.method &&
        r.trainExamples === q.trainExamples,
    )
    .sort((a, b) => a.seed - b.seed);
}
