/**
 * An ablation grid (ablation.ts) as units for many workers (`--plan`, `--unit`, `--shard`,
 * `--slurm`, `--k8s`, `--merge`; docs/distributed.md):
 *
 *   prepare              the experiment's data: its tokenizer trained and saved in units/<id>/
 *   per seed, in order:
 *     eval-<baseline>-sN the no-pretraining row's evaluations (waits for prepare)
 *     pretrain-<row>-sN  one pretraining, resumed from its own checkpoint when interrupted
 *     eval-<row>-sN      that row's evaluations, from the pretraining's final checkpoint
 *   merge                tokenizer.json, metrics.jsonl (every unit's rows in plan order), tb/
 *                        and summary.json at the top of the run, as runAblation writes them
 *
 * The plan order is the single process's order, so the merged metrics.jsonl and summary.json
 * list everything as runAblation does. The experiment gives one builder, `(config, env) =>
 * grid`, used by both: env.dir is where the builder trains or loads its tokenizer (the prepare
 * unit's folder here), env.metrics the unit's own metrics.jsonl.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MetricsWriter, ProgressBar, TensorBoardSink } from '@pretrain-lab/train';
import { type AblationEnv, type AblationGrid, ablationLayout, evalCell, slug } from './ablation.js';
import { writeFileAtomic, writeJSONAtomic } from './atomic.js';
import { concatUnitFiles, copyUnitTrees, unitResults } from './merge.js';
import type { PlanUnit } from './plan.js';
import { type AblationState, type EvalRecord, makeSummary, type PretrainRecord } from './schema.js';
import { unitId } from './units.js';
import type { UnitContext, UnitGrid } from './worker.js';

export interface AblationUnitsOptions<C, V> {
  experiment: string;
  /** Top-level files the builder leaves in env.dir, copied to the run's top by the merge. */
  files: string[];
  /**
   * The cost model of `--plan` (and of Slurm's --time): FLOPs and seconds of one pretraining and
   * seconds of one row's evaluations on `backend`, and where the speed comes from.
   */
  cost: (
    config: C,
    backend: string,
  ) => { pretrain: (row: V) => { flops: number; seconds: number }; evalSeconds: number; speed: string };
}

/** The native kernels ran the committed defaults; wasm is about 3x slower (docs/performance.md). */
export const backendSlowdown = (backend: string): number => (backend === 'native' ? 1 : 3);

const quiet = () => new ProgressBar(process.stderr, 10, false);

/** The builder run with a throwaway env (plan, merge): a temporary metrics file, no progress. */
async function withGrid<C, G, R>(
  build: (config: C, env: AblationEnv) => Promise<G>,
  config: C,
  dir: string | null,
  f: (grid: G) => R,
): Promise<R> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pretrain-lab-plan-'));
  const metrics = new MetricsWriter(path.join(tmp, 'metrics.jsonl'));
  try {
    return f(await build(config, { dir: dir ?? tmp, metrics, progress: quiet(), log: () => {} }));
  } finally {
    metrics.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export function ablationUnits<C, M, V extends { name: string }, T extends { name: string }>(
  build: (config: C, env: AblationEnv) => Promise<AblationGrid<M, V, T>>,
  opts: AblationUnitsOptions<C, V>,
): UnitGrid<C> {
  type AnyGrid = AblationGrid<M, V, T>;
  let prepId: string | null = null; // of the last plan (a worker plans, then runs units)
  const prepareId = (g: AnyGrid) =>
    unitId('prepare', { experiment: opts.experiment, config: g.unitConfig.pretrain });
  const unitsOf = (g: AnyGrid, config: C, backend = 'native'): PlanUnit[] => {
    const L = ablationLayout(g);
    const cost = opts.cost(config, backend);
    const prep = prepareId(g);
    const evalUnit = (row: string, seed: number, dep: string): PlanUnit => ({
      id: unitId('evals', { ids: L.cellsOf(row).map(({ task, spec }) => L.evalId(row, seed, task, spec)) }),
      name: `eval-${slug(row)}-s${seed}`,
      kind: 'eval',
      deps: [dep],
      flops: 0,
      seconds: cost.evalSeconds,
    });
    const out: PlanUnit[] = [{ id: prep, name: 'prepare', kind: 'prepare', deps: [], flops: 0, seconds: 15 }];
    for (const seed of g.seeds) {
      if (g.baseline) out.push(evalUnit(g.baseline, seed, prep));
      for (const v of g.variants) {
        const id = L.pretrainId(v, seed);
        out.push({
          id,
          name: `pretrain-${slug(v.name)}-s${seed}`,
          kind: 'pretrain',
          deps: [prep],
          ...cost.pretrain(v),
        });
        out.push(evalUnit(v.name, seed, id));
      }
    }
    return out;
  };
  /** Which (row, seed) a unit of the plan is, by its position in the same walk. */
  const whoIs = (g: AnyGrid, config: C, unit: PlanUnit) => {
    const i = unitsOf(g, config).findIndex((u) => u.id === unit.id);
    if (i < 0) throw new Error(`${opts.experiment}: ${unit.name} is not in the plan of this config`);
    const walk: { row: string; seed: number }[] = [{ row: '', seed: 0 }];
    for (const seed of g.seeds) {
      if (g.baseline) walk.push({ row: g.baseline, seed });
      for (const v of g.variants) walk.push({ row: v.name, seed }, { row: v.name, seed });
    }
    return walk[i];
  };
  const unitMetrics = (ctx: UnitContext, config: C) => {
    const metricsPath = path.join(ctx.dir, 'metrics.jsonl');
    return new MetricsWriter(metricsPath, [
      new TensorBoardSink({
        dir: path.join(ctx.dir, 'tb'),
        metricsPath,
        config: { experiment: opts.experiment, ...(config as object) },
      }),
    ]);
  };

  return {
    async plan(config, { backend }) {
      // The ids hash config slices only, so a tokenizer trained in a temporary folder (as the
      // prepare unit would, deterministically) plans the same units in every process.
      const g = await withGrid(build, config, null, (g) => g);
      prepId = prepareId(g);
      return { units: unitsOf(g, config, backend), speed: opts.cost(config, backend).speed };
    },

    async run(config, unit, ctx) {
      if (unit.kind === 'prepare') {
        const metrics = unitMetrics(ctx, config);
        try {
          const g = await build(config, { dir: ctx.dir, metrics, progress: ctx.progress, log: ctx.log });
          for (const s of g.skippedTasks) ctx.log(`task skipped: ${s}`);
          return { files: opts.files.filter((f) => fs.existsSync(path.join(ctx.dir, f))) };
        } finally {
          metrics.close();
        }
      }
      prepId ??= await withGrid(build, config, null, prepareId);
      const metrics = unitMetrics(ctx, config);
      try {
        const g = await build(config, {
          dir: ctx.store.dir(prepId),
          metrics,
          progress: ctx.progress,
          log: ctx.log,
        });
        const L = ablationLayout(g);
        const { row, seed } = whoIs(g, config, unit);
        if (unit.kind === 'pretrain') {
          const v = g.variants.find((x) => x.name === row)!;
          const checkpointDir = path.join(ctx.dir, 'checkpoints');
          // No checkpoint to continue from: drop what an interrupted attempt wrote.
          if (!fs.existsSync(path.join(checkpointDir, 'state.json'))) metrics.truncate(0);
          const label = `${v.name} | seed ${seed}`;
          const r = await g.pretrain(v, seed, { id: unit.id, checkpointDir, label });
          g.dispose(r.model);
          const record: PretrainRecord = { id: L.pretrainId(v, seed), variant: v.name, seed, ...r.outcome };
          return record;
        }
        metrics.truncate(0);
        const v = g.variants.find((x) => x.name === row);
        const model = v
          ? g.restore(v, seed, path.join(ctx.store.dir(L.pretrainId(v, seed)), 'checkpoints'))
          : g.fresh(seed);
        const records: EvalRecord[] = [];
        try {
          for (const { task, spec } of L.cellsOf(row)) {
            const id = L.evalId(row, seed, task, spec);
            const rec = await evalCell(g, metrics, model, { id, variant: row, seed, task, spec });
            ctx.log(
              `${row} | seed ${seed} | ${task.name} | ${spec.method} ${spec.trainExamples}: ${rec.metric} ${(rec.score * 100).toFixed(1)}`,
            );
            records.push(rec);
          }
        } finally {
          g.dispose(model);
        }
        return records;
      } finally {
        metrics.close();
      }
    },

    async merge(config, { runDir, store, plan, log }) {
      const prep = plan.units.find((u) => u.kind === 'prepare')!;
      const work = plan.units.filter((u) => u.kind !== 'prepare');
      const [prepared] = unitResults<{ files: string[] }>(store, [prep]);
      for (const f of prepared.files)
        writeFileAtomic(path.join(runDir, f), fs.readFileSync(store.file(prep.id, f)));
      concatUnitFiles(store, work, 'metrics.jsonl', path.join(runDir, 'metrics.jsonl'));
      copyUnitTrees(store, work, 'tb', path.join(runDir, 'tb'));
      const state: AblationState = { pretrain: [], results: [], skippedTasks: [] };
      for (const u of work) {
        const [r] = unitResults<PretrainRecord | EvalRecord[]>(store, [u]);
        if (u.kind === 'pretrain') state.pretrain.push(r as PretrainRecord);
        else state.results.push(...(r as EvalRecord[]));
      }
      const summary = await withGrid(build, config, store.dir(prep.id), (g) => {
        state.skippedTasks.push(...g.skippedTasks);
        return makeSummary(ablationLayout(g).head(), state);
      });
      writeJSONAtomic(path.join(runDir, 'summary.json'), summary);
      log(
        `${opts.experiment}: ${state.pretrain.length} pretrainings and ${state.results.length} evaluations merged`,
      );
    },
  };
}
