/**
 * The merge step of a run that many workers filled: once every unit is complete, the experiment's
 * own merge (UnitGrid.merge) writes what a single process would have written at the top of the
 * run directory (metrics.jsonl with every unit's rows in plan order, summary.json), and run.json
 * becomes `completed`, so `pnpm figures` reads the directory like any other run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '@pretrain-lab/runtime';
import { writeFileAtomic } from './atomic.js';
import type { GridPlan, PlanUnit } from './plan.js';
import { finishSharedRun } from './shared-run.js';
import type { UnitStore } from './unit-store.js';
import type { UnitGrid } from './worker.js';

/** A UserError naming the units without a completion marker, and how to run them. */
export function requireComplete(store: UnitStore, plan: GridPlan): void {
  const missing = store.missing(plan.units.map((u) => u.id));
  if (missing.length === 0) return;
  const names = missing.map((id) => plan.units.find((u) => u.id === id)!.name);
  throw new UserError(
    `${missing.length} of ${plan.units.length} units are not complete in ${store.runDir} ` +
      `(${names.slice(0, 4).join(', ')}${names.length > 4 ? ', ...' : ''}); ` +
      `run them with pnpm exp ${plan.experiment} --out ${store.runDir} --unit ${missing[0]}, or rerun their array tasks`,
  );
}

/** The results in the done.json of `units`, in their order. */
export function unitResults<R>(store: UnitStore, units: readonly PlanUnit[]): R[] {
  return units.map((u) => {
    const done = store.done<R>(u.id);
    if (!done) throw new UserError(`${u.name} (${u.id}) is not complete in ${store.runDir}`);
    return done.result;
  });
}

/** `name` of each unit that has one, concatenated in order into `dest`, atomically; its byte length. */
export function concatUnitFiles(
  store: UnitStore,
  units: readonly PlanUnit[],
  name: string,
  dest: string,
): number {
  const parts = units
    .map((u) => store.file(u.id, name))
    .filter((f) => fs.existsSync(f))
    .map((f) => fs.readFileSync(f));
  const all = Buffer.concat(parts);
  writeFileAtomic(dest, all);
  return all.byteLength;
}

/** Copy each unit's folder `sub` (e.g. tb/) into `dest`, merging the trees. */
export function copyUnitTrees(store: UnitStore, units: readonly PlanUnit[], sub: string, dest: string): void {
  for (const u of units) {
    const src = store.file(u.id, sub);
    if (fs.existsSync(src)) fs.cpSync(src, dest, { recursive: true, force: true });
  }
}

/** Check completeness, run the experiment's merge, record the run as completed. */
export async function mergeRun<C>(
  grid: UnitGrid<C>,
  config: C,
  plan: GridPlan,
  ctx: { store: UnitStore; log: (line: string) => void; argv: string[] },
): Promise<void> {
  requireComplete(ctx.store, plan);
  await grid.merge(config, { runDir: ctx.store.runDir, store: ctx.store, plan, log: ctx.log });
  const record = finishSharedRun(
    ctx.store.runDir,
    ctx.store,
    plan.units.map((u) => u.id),
    ctx.argv,
  );
  const d = record.distributed!;
  ctx.log(
    `merged ${d.units} units (${d.attempts} attempts on ${d.hosts.join(', ')}) into ${path.join(ctx.store.runDir, 'summary.json')}`,
  );
}
