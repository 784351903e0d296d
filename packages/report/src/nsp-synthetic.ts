/**
 * A synthetic NSP-ablation run directory in the format experiments/nsp writes, for tests and
 * demos. Scores and losses are made up with seeded noise; nothing here trains a model. The
 * effects are chosen so the report has something to find: pretraining helps a lot,
 * single-sentence pairs hurt, the NSP-free formats and the two maskings are within noise.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Mulberry32 } from '@pretrain-lab/scaling';
import { meanStd } from './compare.js';
import {
  NSP_BASELINE,
  type NspFinetuneResult,
  type NspPretrainResult,
  type NspSummary,
  type NspTableRow,
} from './nsp.js';
import type { RunInfo, RunStatus } from './results.js';

export interface SyntheticNspRunOptions {
  runId?: string;
  status?: RunStatus;
  startedAt?: string;
  seeds?: number[];
  evalPoints?: number;
  /** Tasks that ran; a skipped one is added to skippedTasks with a reason. */
  tasks?: string[];
}

interface Variant {
  name: string;
  format: string;
  masking: 'static' | 'dynamic';
  /** Accuracy gained over no pretraining. */
  gain: number;
  /** Offset of the final MLM loss. */
  mlm: number;
}

const VARIANTS: Variant[] = [
  { name: 'SEGMENT-PAIR + NSP', format: 'segment-pair', masking: 'dynamic', gain: 0.1, mlm: 0.05 },
  { name: 'SENTENCE-PAIR + NSP', format: 'sentence-pair', masking: 'dynamic', gain: 0.05, mlm: 0.12 },
  { name: 'FULL-SENTENCES', format: 'full-sentences', masking: 'dynamic', gain: 0.105, mlm: 0 },
  { name: 'DOC-SENTENCES', format: 'doc-sentences', masking: 'dynamic', gain: 0.11, mlm: -0.01 },
  {
    name: 'DOC-SENTENCES, static masking',
    format: 'doc-sentences',
    masking: 'static',
    gain: 0.107,
    mlm: 0.02,
  },
];

const hasNsp = (format: string) => format === 'segment-pair' || format === 'sentence-pair';

/** Baseline accuracy and macro-F1 per task (unbalanced tasks have F1 well below accuracy). */
const TASK_BASE: Record<string, { acc: number; f1: number }> = {
  'brown-genre': { acc: 0.3, f1: 0.15 },
  spam: { acc: 0.8, f1: 0.6 },
  'kjv-web-paraphrase': { acc: 0.55, f1: 0.54 },
};

export function writeSyntheticNspRun(resultsDir: string, opts: SyntheticNspRunOptions = {}): string {
  const runId = opts.runId ?? '20250102-000000-nsp-synthetic';
  const seeds = opts.seeds ?? [1, 2, 3];
  const tasks = opts.tasks ?? ['brown-genre', 'spam'];
  const evalPoints = opts.evalPoints ?? 8;
  const dir = join(resultsDir, 'nsp', runId);
  mkdirSync(dir, { recursive: true });
  const rng = new Mulberry32(seeds.reduce((a, s) => a * 31 + s, 7));
  const tokenBudget = 600_000;
  const batchSize = 32;
  const config = {
    experiment: 'nsp',
    preset: 'synthetic',
    seeds,
    corpus: 'brown',
    splitSeed: 1,
    tokenizer: { vocabSize: 4000, lowercase: true },
    model: { dModel: 64, numLayers: 2, numHeads: 2, dFF: 256, maxLen: 64, dropout: 0.1, preNorm: false },
    variants: VARIANTS.map(({ name, format, masking }) => ({ name, format, masking })),
    baseline: true,
    pretrain: { tokens: tokenBudget, batchSize, lr: 2e-3, staticCopies: 10, evalEvery: 100 },
    finetune: {
      tasks: [...tasks, 'kjv-web-paraphrase'],
      steps: 150,
      batchSize: 32,
      lr: 1e-3,
      maxTrainExamples: 5000,
      maxTestExamples: 600,
    },
  };
  const run: RunInfo = {
    runId,
    experiment: 'nsp',
    preset: 'synthetic',
    status: opts.status ?? 'completed',
    git: { commit: 'fedcba9876543210fedcba9876543210fedcba98', dirty: false },
    argv: ['exp', 'nsp', '--preset', 'synthetic'],
    versions: { node: 'v20', tfjs: '4.22.0' },
    backend: { name: 'wasm', threads: 2 },
    machine: { cpus: 2 },
    startedAt: opts.startedAt ?? '2025-01-02T00:00:00.000Z',
    finishedAt: '2025-01-02T02:00:00.000Z',
  };

  const rows: Record<string, unknown>[] = [];
  const pretrain: NspPretrainResult[] = [];
  const finetune: NspFinetuneResult[] = [];
  const score = (variant: string, seed: number, task: string, gain: number) => {
    const base = TASK_BASE[task] ?? { acc: 0.5, f1: 0.45 };
    const accuracy = base.acc + gain + 0.01 * rng.normal();
    const macroF1 = base.f1 + 1.5 * gain + 0.015 * rng.normal();
    finetune.push({ variant, seed, task, accuracy, macroF1, testExamples: 600, trainLoss: 1 - gain });
    rows.push({
      model: `${variant} | seed ${seed} | ${task}`,
      phase: 'finetune',
      split: 'test',
      variant,
      seed,
      task,
      step: 150,
      accuracy,
      macroF1,
    });
  };
  for (const seed of seeds) {
    for (const task of tasks) score(NSP_BASELINE, seed, task, 0);
    for (const v of VARIANTS) {
      const nsp = hasNsp(v.format);
      const steps = 600;
      let mlm = 0;
      let nspLoss: number | null = null;
      for (let k = 0; k <= evalPoints; k++) {
        const step = Math.round((steps * k) / evalPoints);
        const tokens = Math.round(step * batchSize * (31 + 0.5 * rng.next()));
        mlm = 5.4 + v.mlm + 2.4 * Math.exp(-tokens / 150_000) + 0.02 * rng.normal();
        nspLoss = nsp
          ? Math.LN2 -
            (v.format === 'segment-pair' ? 0.08 : 0.03) * (1 - Math.exp(-tokens / 200_000)) +
            0.004 * rng.normal()
          : null;
        rows.push({
          model: `${v.name} | seed ${seed}`,
          split: 'val',
          step,
          tokens,
          loss: mlm + (nspLoss ?? 0),
          mlm,
          ...(nsp ? { nsp: nspLoss } : {}),
          phase: 'pretrain',
          variant: v.name,
          seed,
        });
      }
      pretrain.push({
        variant: v.name,
        format: v.format,
        masking: v.masking,
        seed,
        steps,
        tokens: tokenBudget + Math.round(1000 * rng.next()),
        finalMlmLoss: mlm,
        finalNspLoss: nspLoss,
        tokensPerSec: Math.round(9000 + 500 * rng.next()),
      });
      for (const task of tasks) score(v.name, seed, task, v.gain);
    }
  }

  // summary.json exactly as experiments/nsp/run.ts `summarize` builds it.
  const table: NspTableRow[] = [NSP_BASELINE, ...VARIANTS.map((v) => v.name)].map((variant) => {
    const cells: NspTableRow['tasks'] = {};
    for (const task of tasks) {
      const rs = finetune.filter((r) => r.variant === variant && r.task === task);
      if (rs.length === 0) continue;
      cells[task] = {
        accuracy: meanStd(rs.map((r) => r.accuracy)),
        macroF1: meanStd(rs.map((r) => r.macroF1)),
        n: rs.length,
      };
    }
    const pre = pretrain.filter((r) => r.variant === variant);
    const v = VARIANTS.find((x) => x.name === variant);
    return {
      variant,
      format: v?.format ?? null,
      masking: v?.masking ?? null,
      nsp: v ? hasNsp(v.format) : null,
      pretrainMlmLoss: pre.length ? meanStd(pre.map((r) => r.finalMlmLoss)) : null,
      pretrainNspLoss:
        pre.length && pre[0].finalNspLoss !== null ? meanStd(pre.map((r) => r.finalNspLoss as number)) : null,
      tasks: cells,
    };
  });
  const summary: NspSummary = {
    tasks,
    seeds,
    table,
    pretrain,
    finetune,
    skippedTasks: [
      'kjv-web-paraphrase: the KJV and WEB Bible corpora are not installed (see packages/tasks)',
    ],
  };
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(join(dir, 'run.json'), `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(join(dir, 'metrics.jsonl'), `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return dir;
}
