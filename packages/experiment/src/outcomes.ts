/**
 * The evaluation row of a classification cell (schema.ts's EvalRecord less its unit fields), from
 * the gold and predicted labels of the test set in order: accuracy is the headline, macro-F1
 * beside it, one 0/1 score per test example for the paired tests. Shared by every ablation's
 * probes and fine-tunings.
 */
import { classificationScores } from '@pretrain-lab/tasks';
import type { EvalOutcome } from './ablation.js';

export function classificationOutcome(
  gold: readonly string[],
  predicted: readonly string[],
  trainLoss: number,
  status: EvalOutcome['status'] = 'completed',
): EvalOutcome {
  const { perExample, accuracy, macroF1 } = classificationScores(gold, predicted);
  return {
    status,
    metric: 'accuracy',
    score: accuracy,
    scores: { accuracy, macroF1 },
    perExample,
    trainLoss,
  };
}
