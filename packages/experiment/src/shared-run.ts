/**
 * The run directory that many workers share: config.json and run.json at its top, each unit
 * under units/<id>/ (unit-store.ts).
 *
 * Whoever comes first (the `--slurm`/`--k8s` step, or any worker) creates config.json and
 * run.json, with create-if-absent semantics (a hard link of a finished temporary file, atomic on
 * local and network filesystems alike); everyone after checks that their resolved config is the
 * one recorded, so one directory never mixes two configs. run.json says `running` until the
 * merge step rewrites it, `completed`, with the workers that took part.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '@pretrain-lab/runtime';
import { writeJSONAtomic } from './atomic.js';
import type { Json } from './overrides.js';
import { gitInfo, machineInfo, type RunRecord, versions } from './runs.js';
import { UNITS_DIR, type UnitStore } from './unit-store.js';
import { canonicalJSON } from './units.js';

export interface SharedConfig {
  experiment: string;
  preset: string;
  config: Json;
}

/** Create `file` with `content` unless it exists; true when this call created it. */
function createIfAbsent(file: string, content: string): boolean {
  const tmp = `${file}.tmp-${os.hostname()}-${process.pid}`;
  fs.writeFileSync(tmp, content);
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

export function readSharedConfig(dir: string): SharedConfig | null {
  let saved: any;
  try {
    saved = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  } catch {
    return null;
  }
  const { experiment, preset, ...config } = saved;
  return { experiment, preset, config: config as Json };
}

/** A directory that holds units of workers (or is empty), not a single-process run. */
export function isSharedRun(dir: string): boolean {
  return fs.existsSync(path.join(dir, UNITS_DIR)) || readRunRecord(dir)?.distributed !== undefined;
}

function readRunRecord(dir: string): RunRecord | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as RunRecord;
  } catch {
    return null;
  }
}

/** Open (creating when absent) a shared run of `want`; a UserError when `dir` holds another config. */
export function openSharedRun(dir: string, want: SharedConfig, argv: string[]): void {
  fs.mkdirSync(dir, { recursive: true });
  const record = readRunRecord(dir);
  if (record && record.distributed === undefined)
    throw new UserError(
      `${dir} holds a single-process run; continue it with --resume ${dir}, or give the workers another --out`,
    );
  const content = { experiment: want.experiment, preset: want.preset, ...(want.config as object) };
  const text = `${JSON.stringify(content, null, 2)}\n`;
  if (!createIfAbsent(path.join(dir, 'config.json'), text)) {
    const have = readSharedConfig(dir);
    const same = have !== null && canonicalJSON(have) === canonicalJSON(want);
    if (!same)
      throw new UserError(
        `${dir} holds a ${have?.experiment ?? '?'} run of another config (preset ${have?.preset ?? '?'}); ` +
          'run every worker with the same preset and overrides, or give this one another --out',
      );
  }
  const init: RunRecord = {
    runId: path.basename(dir),
    experiment: want.experiment,
    preset: want.preset,
    status: 'running',
    git: gitInfo(),
    argv,
    versions: versions(),
    backend: null,
    machine: machineInfo(),
    startedAt: new Date().toISOString(),
    finishedAt: null,
    distributed: { units: 0, attempts: 0, hosts: [] },
  };
  createIfAbsent(path.join(dir, 'run.json'), `${JSON.stringify(init, null, 2)}\n`);
}

/**
 * run.json of a merged run: started when its first unit started, finished now, completed;
 * `distributed` counts the units, the attempts at them and the hosts that ran them.
 */
export function finishSharedRun(
  dir: string,
  store: UnitStore,
  ids: readonly string[],
  argv: string[],
): RunRecord {
  const record = readRunRecord(dir);
  if (!record) throw new UserError(`${dir}: no run.json; is this the run directory the workers used?`);
  const attempts = store.records(ids).flatMap((r) => r.attempts);
  const starts = attempts.map((a) => a.startedAt).sort();
  const backends = [...new Set(attempts.map((a) => JSON.stringify(a.backend)))];
  const merged: RunRecord = {
    ...record,
    status: 'completed',
    argv,
    git: gitInfo(),
    // The backend every unit ran on, where they all ran on the same one.
    backend: backends.length === 1 ? JSON.parse(backends[0]) : null,
    startedAt: starts[0] ?? record.startedAt,
    finishedAt: new Date().toISOString(),
    distributed: {
      units: ids.length,
      attempts: attempts.length,
      hosts: [...new Set(attempts.map((a) => a.host))].sort(),
    },
  };
  writeJSONAtomic(path.join(dir, 'run.json'), merged);
  return merged;
}
