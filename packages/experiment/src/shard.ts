/**
 * Which units a worker runs: `--unit ID` names them, `--shard i/n` takes the i-th of n shares of
 * every stage (or of `--stage k` alone). A job array's task index is the shard index, so
 * Slurm's SLURM_ARRAY_TASK_ID and Kubernetes' JOB_COMPLETION_INDEX map to units the same way.
 *
 * Shares are balanced by FLOPs (longest first onto the least loaded share, as in LPT
 * scheduling), not by estimated seconds: FLOPs are the same on every machine, so every worker,
 * whatever its backend, computes the same mapping. Equal costs fall round-robin in plan order.
 */
import { UserError } from '@pretrain-lab/runtime';
import { findUnit, type GridPlan, type PlanUnit, planStages } from './plan.js';

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || count < 1 || index >= count)
    throw new UserError(`--shard: expected i/n with 0 <= i < n (e.g. 0/4), got '${text}'`);
  return { index, count };
}

/** The units of share `shard.index` of `shard.count`, in their order in `units`. */
export function shardUnits<U extends { flops: number }>(units: readonly U[], shard: Shard): U[] {
  const load = new Array<number>(shard.count).fill(0);
  const owner = new Array<number>(units.length);
  const byCost = units.map((_, i) => i).sort((a, b) => units[b].flops - units[a].flops || a - b);
  let next = 0; // round-robin among equally loaded shares, so equal costs spread in plan order
  for (const i of byCost) {
    let best = -1;
    for (let k = 0; k < shard.count; k++) {
      const s = (next + k) % shard.count;
      if (best < 0 || load[s] < load[best]) best = s;
    }
    owner[i] = best;
    load[best] += Math.max(units[i].flops, 1);
    next = (best + 1) % shard.count;
  }
  return units.filter((_, i) => owner[i] === shard.index);
}

/** Array tasks for a stage of `units` units: one per unit, at most `maxTasks`. */
export function tasksFor(units: number, maxTasks: number): number {
  return Math.max(1, Math.min(units, maxTasks));
}

export interface Selection {
  /** Unit ids or names (`--unit`). */
  units?: string[];
  /** One stage only (`--stage`). */
  stage?: number;
  shard?: Shard;
}

/** The units a worker runs, in plan order. */
export function selectUnits(plan: GridPlan, sel: Selection): PlanUnit[] {
  if (sel.units && sel.units.length > 0) {
    if (sel.shard || sel.stage !== undefined)
      throw new UserError('--unit names units itself; drop --shard and --stage');
    const wanted = new Set(sel.units.map((k) => findUnit(plan, k).id));
    return plan.units.filter((u) => wanted.has(u.id));
  }
  const stages = planStages(plan.units);
  if (
    sel.stage !== undefined &&
    !(Number.isInteger(sel.stage) && sel.stage >= 0 && sel.stage < stages.length)
  )
    throw new UserError(
      `--stage: the ${plan.experiment} grid has stages 0 to ${stages.length - 1}, got ${sel.stage}`,
    );
  const chosen = sel.stage === undefined ? stages : [stages[sel.stage]];
  const shard = sel.shard ?? { index: 0, count: 1 };
  const ids = new Set(chosen.flatMap((s) => shardUnits(s, shard)).map((u) => u.id));
  return plan.units.filter((u) => ids.has(u.id));
}
