/**
 * The units of a run directory that many workers share: each unit owns `units/<id>/` and writes
 * nothing outside it, so processes on many machines can fill one directory on a shared
 * filesystem without stepping on each other.
 *
 *   units/<id>/lock       who runs the unit now (lock.ts; touched while held, so a holder on
 *                         another host that died is recognised as gone)
 *   units/<id>/unit.json  the unit and every attempt at it: host, pid, scheduler task, start,
 *                         end, status
 *   units/<id>/done.json  the completion marker, with the unit's result; written atomically,
 *                         last, so a unit with done.json is complete and one without is not
 *   units/<id>/...        whatever the unit writes: metrics.jsonl, checkpoints/, ...
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BackendInfo } from '@pretrain-lab/runtime';
import { writeJSONAtomic } from './atomic.js';
import { type LockOptions, RunLock } from './lock.js';
import type { PlanUnit } from './plan.js';

export const UNITS_DIR = 'units';

export type AttemptStatus = 'running' | 'completed' | 'failed' | 'interrupted';

export interface UnitAttempt {
  host: string;
  pid: number;
  /** The scheduler's name for the task, e.g. "slurm 12_3 (restart 1)", "k8s scaling-s1 index 3". */
  task: string | null;
  backend: BackendInfo | null;
  startedAt: string;
  finishedAt: string | null;
  status: AttemptStatus;
  error?: string;
}

export interface UnitRecord {
  id: string;
  name: string;
  kind: string;
  attempts: UnitAttempt[];
}

export interface UnitDone<R = unknown> {
  id: string;
  name: string;
  kind: string;
  finishedAt: string;
  result: R;
}

/** How the scheduler running this process names its task, from its environment. */
export function schedulerTask(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.SLURM_JOB_ID) {
    const id = env.SLURM_ARRAY_JOB_ID
      ? `${env.SLURM_ARRAY_JOB_ID}_${env.SLURM_ARRAY_TASK_ID}`
      : env.SLURM_JOB_ID;
    return `slurm ${id} (restart ${env.SLURM_RESTART_COUNT ?? 0})`;
  }
  if (env.JOB_COMPLETION_INDEX !== undefined)
    return `k8s ${env.HOSTNAME ?? '?'} index ${env.JOB_COMPLETION_INDEX}`;
  return null;
}

const readJSON = <T>(file: string): T | null => {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return null; // absent, or being replaced right now (writes are atomic renames)
  }
};

export class UnitStore {
  constructor(readonly runDir: string) {}

  dir(id: string): string {
    return path.join(this.runDir, UNITS_DIR, id);
  }

  file(id: string, name: string): string {
    return path.join(this.dir(id), name);
  }

  isDone(id: string): boolean {
    return this.done(id) !== null;
  }

  done<R>(id: string): UnitDone<R> | null {
    return readJSON<UnitDone<R>>(this.file(id, 'done.json'));
  }

  record(id: string): UnitRecord | null {
    return readJSON<UnitRecord>(this.file(id, 'unit.json'));
  }

  /** Every unit's record that exists, for the merged run.json. */
  records(ids: readonly string[]): UnitRecord[] {
    return ids.map((id) => this.record(id)).filter((r): r is UnitRecord => r !== null);
  }

  /** The unit's lock; throws LockBusyError while a live worker (or a fresh lock elsewhere) holds it. */
  lock(id: string, opts: LockOptions, argv: string[] = process.argv.slice(2)): RunLock {
    return RunLock.acquire(this.dir(id), argv, opts);
  }

  /** A new attempt at the unit begins (call with its lock held). */
  begin(unit: PlanUnit, backend: BackendInfo | null): void {
    const rec = this.record(unit.id) ?? { id: unit.id, name: unit.name, kind: unit.kind, attempts: [] };
    rec.attempts.push({
      host: os.hostname(),
      pid: process.pid,
      task: schedulerTask(),
      backend,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      status: 'running',
    });
    writeJSONAtomic(this.file(unit.id, 'unit.json'), rec);
  }

  /** The current attempt ended (call with its lock held). */
  end(unit: PlanUnit, status: Exclude<AttemptStatus, 'running'>, error?: string): void {
    const rec = this.record(unit.id);
    const last = rec?.attempts[rec.attempts.length - 1];
    if (!rec || !last) return;
    last.status = status;
    last.finishedAt = new Date().toISOString();
    if (error) last.error = error;
    writeJSONAtomic(this.file(unit.id, 'unit.json'), rec);
  }

  /** The completion marker: written last, atomically. */
  markDone(unit: PlanUnit, result: unknown): void {
    const done: UnitDone = {
      id: unit.id,
      name: unit.name,
      kind: unit.kind,
      finishedAt: new Date().toISOString(),
      result,
    };
    writeJSONAtomic(this.file(unit.id, 'done.json'), done);
  }

  /** Ids of `units` that have no completion marker. */
  missing(ids: readonly string[]): string[] {
    return ids.filter((id) => !fs.existsSync(this.file(id, 'done.json')));
  }
}
