/**
 * A synthetic span-corruption run in the format experiments/spans writes (ablation/synthetic.ts,
 * summary.json built with the schema's makeSummary), for tests and demos. The planted effects, in
 * points over no pretraining, are chosen so the report has something to find by default:
 * pretraining helps (+10), mean spans 1 to 5 and rates 10 to 25% match each other (+10), span
 * 10 is worse (+6) and so is a 50% rate (+5); tests override them to plant other effects.
 */
import type { EvalSpec, TaskInfo } from '@pretrain-lab/experiment/schema';
import { type SyntheticVariant, writeSyntheticAblationRun } from '../ablation/synthetic.js';
import type { RunStatus } from '../results.js';
import { SPANS_BASELINE, settingName, T5_RATES, T5_SPANS } from './claims.js';

export interface SyntheticSpansRunOptions {
  runId?: string;
  status?: RunStatus;
  seeds?: number[];
  /** Mean spans at `spanRate` and rates at `rateSpan` (default T5's: 1, 2, 3, 5, 10 at 15%; 10-50% at 3). */
  meanSpans?: number[];
  rates?: number[];
  spanRate?: number;
  rateSpan?: number;
  /** Effects over no pretraining by setting name ("span 10, 15%"), for every task or per task. */
  effects?: Record<string, number | Record<string, number>>;
  /** Tasks that ran (default brown-restore and spam). */
  tasks?: string[];
  /** Tasks every row scores 0 on (exact match that never leaves the floor). */
  zeroTasks?: string[];
  evals?: EvalSpec[];
  testExamples?: number;
  noise?: number;
  baseline?: boolean;
}

/** The default effect of a setting, in points over no pretraining (see the header). */
export function defaultEffect(meanSpan: number, rate: number): number {
  if (rate >= 0.5) return 0.05;
  if (meanSpan >= 10) return 0.06;
  return 0.1;
}

const TASKS: Record<string, Omit<TaskInfo, 'testExamples'>> = {
  'brown-restore': {
    name: 'brown-restore',
    kind: 'generation',
    metric: 'exactMatch',
    classes: null,
    trainExamples: 1000,
  },
  spam: { name: 'spam', kind: 'classification', metric: 'accuracy', classes: 2, trainExamples: 1000 },
};

/** Round half to even, as Python's round() in T5's code. */
const roundEven = (x: number) => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/**
 * T5's random_spans_helper (preprocessors.py): the raw tokens per example whose corruption fills
 * `inputLength` inputs (with one end token), and the target length that gives.
 */
export function randomSpansLengths(
  inputLength: number,
  rate: number,
  meanSpan: number,
): { raw: number; target: number } {
  const lengths = (n: number) => {
    const noise = roundEven(n * rate);
    const spans = roundEven(noise / meanSpan);
    return { input: n - noise + spans + 1, target: noise + spans + 1 };
  };
  let raw = inputLength - 1;
  while (lengths(raw + 1).input <= inputLength) raw++;
  let { target } = lengths(raw);
  if (rate === 0.5 && target > inputLength) {
    raw--;
    target--;
  }
  return { raw, target };
}

export function writeSyntheticSpansRun(resultsDir: string, opts: SyntheticSpansRunOptions = {}): string {
  const seeds = opts.seeds ?? [1, 2, 3];
  const meanSpans = opts.meanSpans ?? [...T5_SPANS];
  const rates = opts.rates ?? [...T5_RATES];
  const spanRate = opts.spanRate ?? 0.15;
  const rateSpan = opts.rateSpan ?? 3;
  const inputLength = 64;
  const testExamples = opts.testExamples ?? 300;
  const baseline = opts.baseline ?? true;
  const tasks = (opts.tasks ?? ['brown-restore', 'spam']).map((t) => ({
    ...(TASKS[t] ?? {
      name: t,
      kind: 'classification' as const,
      metric: 'accuracy',
      classes: 2,
      trainExamples: 1000,
    }),
    testExamples,
  }));
  const evals = opts.evals ?? [{ method: 'finetune', trainExamples: 1000 }];

  // The settings as experiments/spans/config.ts's settings(): the span sweep, then the other rates.
  const settings: { meanSpan: number; rate: number; group: 'span' | 'rate' | 'both' }[] = [];
  for (const m of meanSpans)
    settings.push({
      meanSpan: m,
      rate: spanRate,
      group: m === rateSpan && rates.includes(spanRate) ? 'both' : 'span',
    });
  for (const r of rates)
    if (!(r === spanRate && meanSpans.includes(rateSpan)))
      settings.push({ meanSpan: rateSpan, rate: r, group: 'rate' });

  const variants: SyntheticVariant[] = settings.map((x) => {
    const name = settingName(x.meanSpan, x.rate);
    const { raw, target } = randomSpansLengths(inputLength, x.rate, x.meanSpan);
    return {
      info: { name, pretrained: true, fields: { meanSpan: x.meanSpan, rate: x.rate, group: x.group } },
      effect: opts.effects?.[name] ?? defaultEffect(x.meanSpan, x.rate),
      // Made up: longer targets (more noise per input) are harder to predict and slower to train on.
      losses: { val: { start: 8.0, final: 4.6 + 2 * x.rate + 0.1 * Math.log(x.meanSpan) } },
      epochs: 0.34,
      extra: { rawTokensPerExample: raw, targetLength: target, inputLength },
      tokensPerSec: Math.round(9600 * Math.sqrt(14 / target)),
    };
  });
  const config = {
    seeds,
    corpus: 'brown',
    splitSeed: 1,
    tokenizer: { vocabSize: 2000 },
    model: { dModel: 64, numLayers: 2, numHeads: 4, dFF: 256, dropout: 0.1 },
    meanSpans,
    spanRate,
    rates,
    rateSpan,
    baseline,
    pretrain: {
      inputLength,
      steps: 250,
      batchSize: 32,
      lr: 3e-3,
      minLrRatio: 0.1,
      warmupSteps: 20,
      evalEvery: 50,
      evalExamples: 128,
    },
    evals,
    finetune: {
      tasks: tasks.map((t) => t.name),
      steps: 60,
      batchSize: 16,
      lr: 3e-3,
      maxInputLength: 64,
      maxTargetLength: 64,
      maxTestExamples: testExamples,
    },
  };
  return writeSyntheticAblationRun(resultsDir, {
    experiment: 'spans',
    runId: opts.runId ?? '20250102-000000-spans-synthetic',
    seeds,
    baseline: baseline ? SPANS_BASELINE : null,
    variants,
    tasks,
    evals,
    baseScore: { 'brown-restore': 0.15, spam: 0.75 },
    config,
    run: { status: opts.status ?? 'completed' },
    zeroTasks: opts.zeroTasks,
    noise: opts.noise,
    tokens: 250 * 32 * inputLength,
  });
}
