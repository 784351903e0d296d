/**
 * A worker: runs the units it was given (shard.ts) into a shared run directory, one at a time,
 * in plan order. A unit already complete there is skipped; one that an earlier attempt left
 * unfinished resumes from its checkpoint (the unit itself decides how; the scaling units resume
 * their training exactly); one that another live worker holds is waited for. Nothing here
 * schedules anything: which process runs which units is the job array's business.
 */
import type { BackendInfo } from '@pretrain-lab/runtime';
import { UserError } from '@pretrain-lab/runtime';
import type { ProgressBar } from '@pretrain-lab/train';
import { LockBusyError, type RunLock } from './lock.js';
import type { GridPlan, PlanUnit } from './plan.js';
import type { UnitStore } from './unit-store.js';

export interface UnitContext {
  runDir: string;
  /** units/<id>/: every file the unit writes goes under it. */
  dir: string;
  store: UnitStore;
  backend: BackendInfo;
  log: (line: string) => void;
  progress: ProgressBar;
}

export interface MergeContext {
  runDir: string;
  store: UnitStore;
  plan: GridPlan;
  log: (line: string) => void;
}

/** What an experiment provides to run its grid on many machines (`--plan`, `--unit`, `--shard`, `--merge`). */
export interface UnitGrid<C> {
  /**
   * The units in plan order, with seconds at the speed of `backend`. `runDir` is the shared run,
   * when there is one, to reuse what finished units made there (a trained tokenizer).
   */
  plan(
    config: C,
    ctx: { runDir: string | null; backend: string },
  ): Promise<{ units: PlanUnit[]; speed: string }>;
  /** Run one unit; what it returns is kept in its done.json for the merge step. */
  run(config: C, unit: PlanUnit, ctx: UnitContext): Promise<unknown>;
  /** Build the run's summary (and merged metrics) from the complete units, as a single process would. */
  merge(config: C, ctx: MergeContext): Promise<void>;
}

export interface WorkerOptions {
  store: UnitStore;
  backend: BackendInfo;
  log: (line: string) => void;
  progress: ProgressBar;
  /** Wait up to this long for dependencies that other workers are running; 0: fail at once. */
  waitDepsSec: number;
  heartbeatMs?: number;
  staleAfterMs?: number;
  /** How long to wait for a unit that another live worker holds. */
  lockWaitMs?: number;
  pollMs?: number;
}

export const WORKER_DEFAULTS = {
  heartbeatMs: 15_000,
  staleAfterMs: 60_000,
  lockWaitMs: 90_000,
  pollMs: 2_000,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForDeps(unit: PlanUnit, plan: GridPlan, o: WorkerOptions): Promise<void> {
  const deadline = Date.now() + o.waitDepsSec * 1000;
  let told = false;
  for (;;) {
    const missing = o.store.missing(unit.deps);
    if (missing.length === 0) return;
    if (Date.now() >= deadline) {
      const names = missing.map((id) => plan.units.find((u) => u.id === id)?.name ?? id);
      throw new UserError(
        `${unit.name} waits for ${names.slice(0, 3).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''}, ` +
          `not complete in ${o.store.runDir}; run the earlier stage first, or pass --wait-deps SECONDS`,
      );
    }
    if (!told) o.log(`${unit.name}: waiting for ${missing.length} unit(s) it depends on`);
    told = true;
    await sleep(o.pollMs ?? WORKER_DEFAULTS.pollMs);
  }
}

/** The unit's lock, or null when it turned out complete (another worker finished it). */
async function claim(unit: PlanUnit, o: WorkerOptions): Promise<RunLock | null> {
  const lockOpts = {
    heartbeatMs: o.heartbeatMs ?? WORKER_DEFAULTS.heartbeatMs,
    staleAfterMs: o.staleAfterMs ?? WORKER_DEFAULTS.staleAfterMs,
  };
  const deadline = Date.now() + (o.lockWaitMs ?? WORKER_DEFAULTS.lockWaitMs);
  let told = false;
  for (;;) {
    if (o.store.isDone(unit.id)) return null;
    try {
      const lock = o.store.lock(unit.id, lockOpts);
      if (!o.store.isDone(unit.id)) return lock;
      lock.release();
      return null;
    } catch (e) {
      if (!(e instanceof LockBusyError) || Date.now() >= deadline) throw e;
      if (!told) o.log(`${unit.name}: held by pid ${e.holder.pid} on ${e.holder.host}; waiting`);
      told = true;
    }
    await sleep(o.pollMs ?? WORKER_DEFAULTS.pollMs);
  }
}

export interface WorkerResult {
  ran: string[];
  skipped: string[];
}

/**
 * Run `units` of `plan`. SIGINT/SIGTERM (Ctrl-C, a Slurm requeue or preemption, a pod eviction)
 * mark the unit in progress interrupted, free its lock and exit; its checkpoint stays for the
 * next attempt.
 */
export async function runUnits<C>(
  grid: UnitGrid<C>,
  config: C,
  plan: GridPlan,
  units: readonly PlanUnit[],
  o: WorkerOptions,
): Promise<WorkerResult> {
  const out: WorkerResult = { ran: [], skipped: [] };
  let current: { unit: PlanUnit; lock: RunLock } | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (current) {
      try {
        o.store.end(current.unit, 'interrupted', `stopped by ${sig}`);
      } finally {
        current.lock.release();
      }
      process.stderr.write(`\n${sig}: ${current.unit.name} interrupted; a new attempt resumes it\n`);
    }
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const unit of units) {
      if (o.store.isDone(unit.id)) {
        o.log(`${unit.name} (${unit.id}): complete, skipped`);
        out.skipped.push(unit.id);
        continue;
      }
      await waitForDeps(unit, plan, o);
      const lock = await claim(unit, o);
      if (!lock) {
        o.log(`${unit.name} (${unit.id}): completed by another worker, skipped`);
        out.skipped.push(unit.id);
        continue;
      }
      current = { unit, lock };
      try {
        o.store.begin(unit, o.backend);
        o.log(`${unit.name} (${unit.id}): running`);
        const result = await grid.run(config, unit, {
          runDir: o.store.runDir,
          dir: o.store.dir(unit.id),
          store: o.store,
          backend: o.backend,
          log: o.log,
          progress: o.progress,
        });
        o.store.markDone(unit, result);
        o.store.end(unit, 'completed');
        out.ran.push(unit.id);
      } catch (e) {
        o.store.end(unit, 'failed', (e as Error).message.split('\n')[0]);
        throw e;
      } finally {
        current = null;
        lock.release();
      }
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  return out;
}
