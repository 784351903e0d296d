/**
 * A grid as units of work that many machines can share: each unit has its stable id (a hash of
 * its resolved config, units.ts), a readable name, the ids it waits for (a fine-tuning waits for
 * its pretraining) and its cost. The list is in plan order, which is also a topological order:
 * a unit comes after everything it waits for.
 *
 * Stages are the dependency levels: a unit's stage is one more than that of its deepest
 * dependency, so stage k can run as one job array once stage k-1 has finished (slurm.ts, k8s.ts).
 */
import { UserError } from '@pretrain-lab/runtime';

export interface PlanUnit {
  /** `kind-<12 hex>`, from unitId(kind, resolved config). */
  id: string;
  /** What a person reads in logs, e.g. C1e7-L1-D4. */
  name: string;
  kind: string;
  /** Ids of the units that must be complete before this one starts. */
  deps: string[];
  /** Training FLOPs (0 for units that train nothing). */
  flops: number;
  /** Estimated seconds on the backend named in GridPlan.speed. */
  seconds: number;
}

export interface GridPlan {
  experiment: string;
  preset: string;
  /** unitId('config', the resolved config): one run directory holds one config. */
  configId: string;
  /** Where `seconds` come from, e.g. "the 2-core wasm speed of 2026-12 x3 (backend native)". */
  speed: string;
  units: PlanUnit[];
}

/** Ids unique, every dependency known and listed before the unit that waits for it. */
export function checkPlan(units: readonly PlanUnit[]): void {
  const seen = new Set<string>();
  for (const u of units) {
    if (seen.has(u.id)) throw new Error(`plan: unit id ${u.id} (${u.name}) appears twice`);
    for (const d of u.deps)
      if (!seen.has(d)) throw new Error(`plan: ${u.name} waits for ${d}, which is not listed before it`);
    seen.add(u.id);
  }
}

/** Stage of every unit: 0 for a unit that waits for nothing, else 1 + its deepest dependency's. */
export function unitStages(units: readonly PlanUnit[]): Map<string, number> {
  checkPlan(units);
  const stage = new Map<string, number>();
  for (const u of units)
    stage.set(u.id, u.deps.length === 0 ? 0 : 1 + Math.max(...u.deps.map((d) => stage.get(d)!)));
  return stage;
}

/** The units of each stage, in plan order. */
export function planStages(units: readonly PlanUnit[]): PlanUnit[][] {
  const stage = unitStages(units);
  const out: PlanUnit[][] = [];
  for (const u of units) {
    const k = stage.get(u.id)!;
    if (!out[k]) out[k] = [];
    out[k].push(u);
  }
  return out;
}

/** A unit by id or by name, or a UserError that says where the valid ones are listed. */
export function findUnit(plan: GridPlan, key: string): PlanUnit {
  const u = plan.units.find((x) => x.id === key || x.name === key);
  if (!u)
    throw new UserError(
      `no unit '${key}' in the ${plan.experiment} grid (preset ${plan.preset}); pnpm exp ${plan.experiment} --plan lists them`,
    );
  return u;
}

export interface PlanJSON extends Omit<GridPlan, 'units'> {
  units: (PlanUnit & { index: number; stage: number })[];
  stages: string[][];
  total: { units: number; flops: number; minutes: number };
}

/** The plan as JSON, listing `only` those units (a worker's selection) or all of them. */
export function planJSON(plan: GridPlan, only?: readonly PlanUnit[]): PlanJSON {
  const stage = unitStages(plan.units);
  const index = new Map(plan.units.map((u, i) => [u.id, i]));
  const listed = only ?? plan.units;
  return {
    ...plan,
    units: listed.map((u) => ({ ...u, index: index.get(u.id)!, stage: stage.get(u.id)! })),
    stages: planStages(plan.units).map((s) => s.map((u) => u.id)),
    total: {
      units: listed.length,
      flops: listed.reduce((s, u) => s + u.flops, 0),
      minutes: listed.reduce((s, u) => s + u.seconds, 0) / 60,
    },
  };
}

const pad = (s: string, n: number) => s.padStart(n);

/** The table `pnpm exp <name> --plan` prints (of `only` those units, when given). */
export function formatPlan(plan: GridPlan, only?: readonly PlanUnit[]): string[] {
  const j = planJSON(plan, only);
  const names = new Map(plan.units.map((u) => [u.id, u.name]));
  const lines = [
    `${plan.experiment} (preset ${plan.preset}, config ${plan.configId}): ${plan.units.length} units in ${j.stages.length} stages${only ? `; ${only.length} selected` : ''}`,
    `${'#'.padStart(3)} stage  ${'id'.padEnd(21)} ${'name'.padEnd(18)}${pad('FLOPs', 10)}${pad('minutes', 9)}  waits for`,
  ];
  for (const u of j.units)
    lines.push(
      `${String(u.index).padStart(3)} ${pad(String(u.stage), 5)}  ${u.id.padEnd(21)} ${u.name.padEnd(18)}${pad(u.flops ? u.flops.toExponential(2) : '-', 10)}${pad((u.seconds / 60).toFixed(2), 9)}  ${u.deps.map((d) => names.get(d)).join(', ') || '-'}`,
    );
  lines.push(
    `total: ${j.total.units} units, ${j.total.flops.toExponential(2)} FLOPs, about ${j.total.minutes.toFixed(j.total.minutes < 1 ? 2 : 1)} minutes in one process at ${plan.speed}`,
  );
  return lines;
}
