/**
 * A synthetic NSP-ablation run in the format experiments/nsp writes (ablation/synthetic.ts),
 * for tests and demos. The planted effects, in points over no pretraining, are chosen so the
 * report has something to find by default: pretraining helps (+10), single-sentence pairs hurt
 * (−5 from SEGMENT-PAIR), SOP beats NSP (+4), the NSP-free formats and both maskings match
 * SEGMENT-PAIR (0); tests override them to plant other effects.
 */
import type { EvalSpec, TaskInfo } from '@pretrain-lab/experiment/schema';
import { type SyntheticVariant, writeSyntheticAblationRun } from '../ablation/synthetic.js';
import type { RunStatus } from '../results.js';
import { NSP_BASELINE, NSP_ROLES, type NspRole } from './claims.js';

export interface SyntheticNspRunOptions {
  runId?: string;
  status?: RunStatus;
  startedAt?: string;
  seeds?: number[];
  /** Rows to include, by role (default: all six). */
  roles?: NspRole[];
  /** Effects over no pretraining by role (0.1 = 10 points), replacing the defaults. */
  effects?: Partial<Record<NspRole, number>>;
  /** Tasks that ran (default brown-genre and spam); kjv-web-paraphrase is always skipped. */
  tasks?: string[];
  evals?: EvalSpec[];
  testExamples?: number;
  noise?: number;
  evalPoints?: number;
  epochs?: number;
  baseline?: boolean;
}

export const NSP_SYNTHETIC_EFFECTS: Record<NspRole, number> = {
  segment: 0.1,
  sentence: 0.05,
  sop: 0.14,
  full: 0.1,
  doc: 0.1,
  docStatic: 0.1,
};

const PAIR: Record<string, 'nsp' | 'sop' | null> = {
  'segment-pair': 'nsp',
  'sentence-pair': 'nsp',
  'segment-pair-sop': 'sop',
};

const TASKS: Record<string, Omit<TaskInfo, 'testExamples'>> = {
  'brown-genre': {
    name: 'brown-genre',
    kind: 'classification',
    metric: 'accuracy',
    classes: 15,
    trainExamples: 1024,
  },
  spam: { name: 'spam', kind: 'classification', metric: 'accuracy', classes: 2, trainExamples: 1024 },
};

export const NSP_SYNTHETIC_EVALS: EvalSpec[] = [
  { method: 'probe', trainExamples: 64 },
  { method: 'probe', trainExamples: 256 },
  { method: 'finetune', trainExamples: 256 },
];

export function writeSyntheticNspRun(resultsDir: string, opts: SyntheticNspRunOptions = {}): string {
  const seeds = opts.seeds ?? [1, 2, 3];
  const roles = opts.roles ?? (Object.keys(NSP_ROLES) as NspRole[]);
  const effects = { ...NSP_SYNTHETIC_EFFECTS, ...opts.effects };
  const testExamples = opts.testExamples ?? 600;
  const tasks = (opts.tasks ?? ['brown-genre', 'spam']).map((t) => ({
    ...(TASKS[t] ?? {
      name: t,
      kind: 'classification' as const,
      metric: 'accuracy',
      classes: 2,
      trainExamples: 1024,
    }),
    testExamples,
  }));
  const evals = opts.evals ?? NSP_SYNTHETIC_EVALS;
  const variants: SyntheticVariant[] = roles.map((role) => {
    const r = NSP_ROLES[role];
    const pair = PAIR[r.format] ?? null;
    const losses: SyntheticVariant['losses'] = {
      mlm: { start: 7.0, final: 5.6 + (role === 'sentence' ? 0.1 : 0) },
    };
    // NSP stays near chance at this scale; SOP learns a little.
    if (pair) losses.pair = { start: Math.LN2, final: pair === 'sop' ? 0.6 : 0.692 };
    return {
      info: { name: r.name, pretrained: true, fields: { format: r.format, masking: r.masking, pair } },
      effect: effects[role],
      losses,
      epochs: opts.epochs ?? 4,
    };
  });
  const config = {
    seeds,
    corpus: 'brown',
    splitSeed: 1,
    tokenizer: { vocabSize: 1000, lowercase: true },
    model: { dModel: 64, numLayers: 2, numHeads: 2, dFF: 256, maxLen: 64, dropout: 0, preNorm: true },
    variants: variants.map((v) => ({
      name: v.info.name,
      format: v.info.fields.format,
      masking: v.info.fields.masking,
    })),
    baseline: opts.baseline ?? true,
    pretrain: {
      documents: 100,
      selfPretrain: { tasks: ['spam'], maxWords: 60 },
      tokens: 600_000,
      batchSize: 32,
      lr: 5e-3,
      staticCopies: 1,
      evalEvery: 100,
    },
    evals,
    finetune: {
      tasks: [...tasks.map((t) => t.name), 'kjv-web-paraphrase'],
      steps: 150,
      batchSize: 32,
      lr: 1e-3,
      maxTestExamples: testExamples,
    },
    probe: { steps: 300, lr: 0.05, l2: 1e-3 },
  };
  return writeSyntheticAblationRun(resultsDir, {
    experiment: 'nsp',
    runId: opts.runId ?? '20250102-000000-nsp-synthetic',
    seeds,
    baseline: (opts.baseline ?? true) ? NSP_BASELINE : null,
    variants,
    tasks,
    evals,
    baseScore: { 'brown-genre': 0.3, spam: 0.75 },
    config,
    run: { status: opts.status ?? 'completed', startedAt: opts.startedAt ?? '2025-01-02T00:00:00.000Z' },
    skippedTasks: [
      'kjv-web-paraphrase: the KJV and WEB Bible corpora are not installed (see packages/tasks)',
    ],
    noise: opts.noise,
    evalPoints: opts.evalPoints,
  });
}
