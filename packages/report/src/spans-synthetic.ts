/**
 * A synthetic span-corruption run directory in the summary format experiments/spans writes, for
 * tests and demos. Scores and losses are made up with seeded noise; lengths follow T5's
 * noise-mask arithmetic. Effects: spans 2-5 at i.i.d. level, span 10 and 50% corruption worse.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Mulberry32 } from '@pretrain-lab/scaling';
import { meanStd } from './compare.js';
import type { RunInfo, RunStatus } from './results.js';
import { expectedTargetLength, type SpansSummary, type SpansTableRow, type SpansTaskCell } from './spans.js';

export interface SyntheticSpansRunOptions {
  runId?: string;
  status?: RunStatus;
  startedAt?: string;
  seeds?: number[];
  evalPoints?: number;
}

interface Setting {
  meanSpan: number;
  rate: number;
  group: 'span' | 'rate' | 'both';
  /** Score offset against i.i.d. */
  effect: number;
}

const SETTINGS: Setting[] = [
  { meanSpan: 1, rate: 0.15, group: 'span', effect: 0 },
  { meanSpan: 2, rate: 0.15, group: 'span', effect: 0.004 },
  { meanSpan: 3, rate: 0.15, group: 'both', effect: 0.005 },
  { meanSpan: 5, rate: 0.15, group: 'span', effect: 0.002 },
  { meanSpan: 10, rate: 0.15, group: 'span', effect: -0.04 },
  { meanSpan: 3, rate: 0.1, group: 'rate', effect: -0.003 },
  { meanSpan: 3, rate: 0.25, group: 'rate', effect: 0.001 },
  { meanSpan: 3, rate: 0.5, group: 'rate', effect: -0.05 },
];

const settingName = (s: { meanSpan: number; rate: number }) =>
  `${s.meanSpan === 1 ? 'i.i.d.' : `span ${s.meanSpan}`}, ${Math.round(100 * s.rate)}%`;

const INPUT_LENGTH = 64;
const TASKS = ['brown-genre', 'spam-subject'];

export function writeSyntheticSpansRun(resultsDir: string, opts: SyntheticSpansRunOptions = {}): string {
  const runId = opts.runId ?? '20250103-000000-spans-synthetic';
  const seeds = opts.seeds ?? [1, 2, 3];
  const evalPoints = opts.evalPoints ?? 8;
  const dir = join(resultsDir, 'spans', runId);
  mkdirSync(dir, { recursive: true });
  const rng = new Mulberry32(seeds.reduce((a, s) => a * 37 + s, 11));
  const config = {
    experiment: 'spans',
    preset: 'synthetic',
    seeds,
    corpus: 'brown',
    tokenizer: { vocabSize: 4000 },
    model: { dModel: 64, numLayers: 2, numHeads: 2, dFF: 256, inputLength: INPUT_LENGTH },
    settings: SETTINGS.map(({ meanSpan, rate }) => ({ meanSpan, rate })),
    pretrain: { tokens: 500_000, batchSize: 32, lr: 2e-3 },
    finetune: { tasks: [...TASKS, 'kjv-web-paraphrase'], steps: 150 },
  };
  const run: RunInfo = {
    runId,
    experiment: 'spans',
    preset: 'synthetic',
    status: opts.status ?? 'completed',
    git: { commit: '00112233445566778899aabbccddeeff00112233', dirty: true },
    argv: ['exp', 'spans', '--preset', 'synthetic'],
    versions: { node: 'v20', tfjs: '4.22.0' },
    backend: { name: 'wasm', threads: 2 },
    machine: { cpus: 2 },
    startedAt: opts.startedAt ?? '2025-01-03T00:00:00.000Z',
    finishedAt: '2025-01-03T03:00:00.000Z',
  };

  const rows: Record<string, unknown>[] = [];
  const finetune: {
    variant: string;
    seed: number;
    task: string;
    score: number;
    rouge1?: number;
    rougeL?: number;
  }[] = [];
  const pretrain: {
    variant: string;
    seed: number;
    finalLoss: number;
    targetLength: number;
    tokensPerSec: number;
  }[] = [];
  const cellOf = (variant: string, task: string): SpansTaskCell | undefined => {
    const rs = finetune.filter((r) => r.variant === variant && r.task === task);
    if (rs.length === 0) return undefined;
    if (task === 'brown-genre')
      return { metric: 'accuracy', accuracy: meanStd(rs.map((r) => r.score)), n: rs.length };
    return {
      metric: 'rouge',
      rouge1: meanStd(rs.map((r) => r.rouge1 as number)),
      rouge2: meanStd(rs.map((r) => r.score)),
      rougeL: meanStd(rs.map((r) => r.rougeL as number)),
      n: rs.length,
    };
  };
  const score = (variant: string, seed: number, effect: number) => {
    for (const task of TASKS) {
      const base = task === 'brown-genre' ? 0.4 : 0.12;
      const s = base + effect * (task === 'brown-genre' ? 1 : 0.5) + 0.006 * rng.normal();
      finetune.push({ variant, seed, task, score: s, rouge1: s + 0.15, rougeL: s + 0.1 });
      rows.push({
        model: `${variant} | seed ${seed} | ${task}`,
        phase: 'finetune',
        split: 'test',
        variant,
        seed,
        task,
        step: 150,
        score: s,
      });
    }
  };
  for (const seed of seeds) {
    score('no pretraining', seed, -0.15);
    for (const s of SETTINGS) {
      const variant = settingName(s);
      const target = expectedTargetLength(INPUT_LENGTH, s.rate, s.meanSpan);
      let loss = 0;
      for (let k = 0; k <= evalPoints; k++) {
        const step = Math.round((500 * k) / evalPoints);
        const tokens = step * 32 * INPUT_LENGTH;
        loss =
          3.2 +
          0.6 * s.rate +
          0.05 * Math.log(s.meanSpan) +
          4 * Math.exp(-tokens / 120_000) +
          0.02 * rng.normal();
        rows.push({
          model: `${variant} | seed ${seed}`,
          phase: 'pretrain',
          split: 'val',
          variant,
          seed,
          step,
          tokens,
          loss,
        });
      }
      pretrain.push({
        variant,
        seed,
        finalLoss: loss,
        targetLength: target + 0.3 * rng.normal(),
        tokensPerSec: Math.round((9000 * (INPUT_LENGTH + 20)) / (INPUT_LENGTH + target) + 100 * rng.normal()),
      });
      score(variant, seed, s.effect);
    }
  }
  const row = (s: Setting | null): SpansTableRow => {
    const setting = s ? settingName(s) : 'no pretraining';
    const pre = pretrain.filter((r) => r.variant === setting);
    const tasks: Record<string, SpansTaskCell> = {};
    for (const t of TASKS) {
      const c = cellOf(setting, t);
      if (c) tasks[t] = c;
    }
    return {
      setting,
      meanSpan: s?.meanSpan ?? 0,
      rate: s?.rate ?? 0,
      group: s?.group ?? 'span',
      pretrainLoss: pre.length ? meanStd(pre.map((r) => r.finalLoss)) : null,
      targetLength: pre.length ? { mean: meanStd(pre.map((r) => r.targetLength)).mean } : null,
      inputLength: pre.length ? { mean: INPUT_LENGTH } : null,
      tokensPerSec: pre.length ? { mean: meanStd(pre.map((r) => r.tokensPerSec)).mean } : null,
      tasks,
    };
  };
  const summary: SpansSummary = {
    tasks: TASKS,
    seeds,
    table: SETTINGS.map(row),
    baseline: row(null),
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
