/**
 * A synthetic ablation run directory (config.json, run.json, metrics.jsonl, summary.json), for
 * tests and demos of the ablation reports. summary.json is built with the schema's own types
 * and makeSummary, so it has the shape the runner writes. Nothing here trains a model: scores
 * are seeded draws with planted effects.
 *
 * Per-example scores: each test example i of a task has a difficulty p_i (the no-pretraining
 * row's chance of getting it right). A seed draws one uniform u per example and cell, shared by
 * every row of that seed (the runner pairs rows the same way: one fine-tuning data order and
 * head init per seed); a row gets example i right when u < p_i + effect + its seed's offset,
 * except that a fraction `noise` of examples redraw u on their own. So a planted effect moves
 * the paired differences by about `effect`, and a zero effect leaves paired noise only. A task
 * named in `zeroTasks` scores 0 on every example for every row: a model that never left its
 * plateau, as exact match does in a short run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AblationSummary,
  type EvalRecord,
  type EvalSpec,
  makeSummary,
  type PretrainRecord,
  type TaskInfo,
  type VariantInfo,
} from '@pretrain-lab/experiment/schema';
import { Mulberry32 } from '@pretrain-lab/scaling';
import type { RunInfo } from '../results.js';

export interface SyntheticVariant {
  info: VariantInfo;
  /** Added to every example's chance of a correct answer (0.05 = 5 points); per task or for all. */
  effect: number | Record<string, number>;
  /** Validation losses logged during pretraining: from `start` at step 0 towards `final`. */
  losses: Record<string, { start: number; final: number }>;
  epochs?: number;
  /** PretrainRecord.extra (target lengths, ...); default {}. */
  extra?: PretrainRecord['extra'];
  /** Mean pretraining throughput (default about 9,000 tokens/s). */
  tokensPerSec?: number;
}

export interface SyntheticAblationOptions {
  experiment: string;
  runId: string;
  seeds: number[];
  /** The no-pretraining row's name (effect 0 by definition), or null for none. */
  baseline: string | null;
  variants: SyntheticVariant[];
  tasks: TaskInfo[];
  evals: EvalSpec[];
  /** The no-pretraining row's mean score per task (default 0.5). */
  baseScore?: Record<string, number>;
  config: Record<string, unknown>;
  run?: Partial<RunInfo>;
  skippedTasks?: string[];
  /** Fraction of examples a row redraws independently of its seed (default 0.03). */
  noise?: number;
  /** Std of each (variant, seed)'s offset to its chance of a correct answer (default 0.003). */
  seedNoise?: number;
  tokens?: number;
  evalPoints?: number;
  /** Tasks on which every row scores 0 on every example (default none). */
  zeroTasks?: readonly string[];
}

const clamp01 = (x: number) => Math.min(0.98, Math.max(0.02, x));

/** Write the run to `<resultsDir>/<experiment>/<runId>/`; returns that directory. */
export function writeSyntheticAblationRun(resultsDir: string, o: SyntheticAblationOptions): string {
  const dir = join(resultsDir, o.experiment, o.runId);
  mkdirSync(dir, { recursive: true });
  const rng = new Mulberry32(o.seeds.reduce((a, s) => a * 31 + s, 7));
  const noise = o.noise ?? 0.03;
  const seedNoise = o.seedNoise ?? 0.003;
  const tokens = o.tokens ?? 600_000;
  const evalPoints = o.evalPoints ?? 8;
  const minSize = Math.min(...o.evals.map((e) => e.trainExamples));

  // Difficulties per task, shared by every row.
  const difficulty = new Map<string, Float64Array>();
  for (const t of o.tasks) {
    const base = o.baseScore?.[t.name] ?? 0.5;
    difficulty.set(
      t.name,
      Float64Array.from({ length: t.testExamples }, () => clamp01(base + 0.35 * (rng.next() - 0.5))),
    );
  }
  const rows: Record<string, unknown>[] = [];
  const pretrain: PretrainRecord[] = [];
  const results: EvalRecord[] = [];
  const effectOf = (v: SyntheticVariant | null, task: string) =>
    !v ? 0 : typeof v.effect === 'number' ? v.effect : (v.effect[task] ?? 0);

  for (const seed of o.seeds) {
    // The seed's shared draws, one per (task, evaluation, example).
    const shared = new Map<string, Float64Array>();
    for (const t of o.tasks)
      for (const e of o.evals)
        shared.set(
          `${t.name}|${e.method}|${e.trainExamples}`,
          Float64Array.from({ length: t.testExamples }, () => rng.next()),
        );
    const rowsOf: (SyntheticVariant | null)[] = [...(o.baseline ? [null] : []), ...o.variants];
    for (const v of rowsOf) {
      const name = v ? v.info.name : (o.baseline as string);
      if (v) pretrain.push(pretrainRows(v, seed, tokens, evalPoints, rng, rows));
      const offset = seedNoise * rng.normal();
      for (const t of o.tasks)
        for (const e of o.evals) {
          // A learning curve every row shares: more labelled examples and fine-tuning help.
          const curve = 0.03 * Math.log2(e.trainExamples / minSize) + (e.method === 'finetune' ? 0.02 : 0);
          const u = shared.get(`${t.name}|${e.method}|${e.trainExamples}`) as Float64Array;
          const p = difficulty.get(t.name) as Float64Array;
          const zero = o.zeroTasks?.includes(t.name) ?? false;
          const perExample = Array.from(p, (pi, i) => {
            const draw = rng.next() < noise ? rng.next() : u[i];
            return !zero && draw < clamp01(pi + effectOf(v, t.name) + curve + offset) ? 1 : 0;
          });
          const score = perExample.reduce<number>((a, x) => a + x, 0) / perExample.length;
          // Made up: a secondary score that still moves where the headline sits at 0.
          const second = zero
            ? 0.04 + 0.2 * effectOf(v, t.name) + 0.002 * rng.normal()
            : Math.min(1, 0.8 * score + (t.kind === 'generation' ? 0.15 : 0));
          results.push({
            id: `eval-synthetic-${results.length}`,
            variant: name,
            seed,
            task: t.name,
            method: e.method,
            trainExamples: e.trainExamples,
            status: 'completed',
            metric: t.metric,
            score,
            scores: { [t.metric]: score, [secondaryMetric(t)]: second },
            perExample,
            trainLoss: 1 - score,
            ...(t.kind === 'generation'
              ? {
                  examples: [
                    {
                      target: 'The jury praised the city.',
                      prediction: zero ? 'the the the' : 'The jury praised the city',
                    },
                  ],
                }
              : {}),
          });
        }
    }
  }

  const summary: AblationSummary = makeSummary(
    {
      experiment: o.experiment,
      seeds: o.seeds,
      variants: [
        ...(o.baseline ? [{ name: o.baseline, pretrained: false, fields: {} }] : []),
        ...o.variants.map((v) => v.info),
      ],
      baseline: o.baseline,
      tasks: o.tasks,
      evals: o.evals,
    },
    { pretrain, results, skippedTasks: o.skippedTasks ?? [] },
  );
  const run: RunInfo = {
    runId: o.runId,
    experiment: o.experiment,
    preset: 'synthetic',
    status: 'completed',
    git: { commit: 'fedcba9876543210fedcba9876543210fedcba98', dirty: false },
    argv: ['exp', o.experiment, '--preset', 'synthetic'],
    versions: { node: 'v20', tfjs: '4.22.0' },
    backend: { name: 'wasm', threads: 2 },
    machine: { cpus: 2 },
    startedAt: '2025-01-02T00:00:00.000Z',
    finishedAt: '2025-01-02T02:00:00.000Z',
    ...o.run,
  };
  const json = (x: unknown) => `${JSON.stringify(x, null, 2)}\n`;
  writeFileSync(
    join(dir, 'config.json'),
    json({ experiment: o.experiment, preset: 'synthetic', ...o.config }),
  );
  writeFileSync(join(dir, 'run.json'), json(run));
  writeFileSync(join(dir, 'metrics.jsonl'), `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  writeFileSync(join(dir, 'summary.json'), json(summary));
  return dir;
}

/** The pretraining rows of one (variant, seed) into `rows` (val and train), and its record. */
function pretrainRows(
  v: SyntheticVariant,
  seed: number,
  tokens: number,
  evalPoints: number,
  rng: Mulberry32,
  rows: Record<string, unknown>[],
): PretrainRecord {
  const steps = 600;
  const final: Record<string, number> = {};
  for (let k = 0; k <= evalPoints; k++) {
    const step = Math.round((steps * k) / evalPoints);
    const seen = Math.round((tokens * k) / evalPoints + 200 * rng.next());
    const losses: Record<string, number> = {};
    for (const [name, l] of Object.entries(v.losses))
      losses[name] = l.final + (l.start - l.final) * Math.exp((-3 * k) / evalPoints) + 0.002 * rng.normal();
    const common = {
      model: `${v.info.name} | seed ${seed}`,
      step,
      tokens: seen,
      phase: 'pretrain',
      variant: v.info.name,
      seed,
    };
    const loss = Object.values(losses).reduce((a, x) => a + x, 0);
    rows.push({ ...common, split: 'val', loss, ...losses });
    // Train rows carry the same fields; the charts must read the val rows only.
    if (k > 0) rows.push({ ...common, split: 'train', loss: loss + 0.3, mlm: (losses.mlm ?? 0) + 0.3 });
    if (k === evalPoints) Object.assign(final, losses);
  }
  return {
    id: `pretrain-synthetic-${v.info.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-s${seed}`,
    variant: v.info.name,
    seed,
    status: 'completed',
    steps,
    tokens: tokens + Math.round(1000 * rng.next()),
    epochs: v.epochs ?? 4,
    finalLoss: final,
    tokensPerSec: Math.round((v.tokensPerSec ?? 9250) + 500 * (rng.next() - 0.5)),
    extra: v.extra ?? {},
  };
}

/** The made-up second score of a task: macro-F1 for classification, ROUGE-L (or exact match) for generation. */
export const secondaryMetric = (t: TaskInfo): string =>
  t.kind === 'classification' ? 'macroF1' : t.metric === 'rougeL' ? 'exactMatch' : 'rougeL';
