/**
 * Run records, as in Sacred / Hydra / "Ten simple rules": every run directory holds its
 * resolved config, git commit and dirty flag, argv, versions, backend, machine, start/stop
 * and status. run.json is written atomically when the run starts and when it ends.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BackendInfo } from '@pretrain-lab/runtime';
import { writeJSONAtomic } from './atomic.js';

export type RunStatus = 'running' | 'completed' | 'failed' | 'interrupted';

export interface RunRecord {
  runId: string;
  experiment: string;
  preset: string;
  status: RunStatus;
  git: { commit: string | null; dirty: boolean | null };
  argv: string[];
  versions: Record<string, string>;
  backend: BackendInfo | null;
  machine: {
    platform: string;
    arch: string;
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    hostname: string;
  };
  startedAt: string;
  finishedAt: string | null;
  resumedAt?: string[];
  error?: string;
  /** A run filled by many workers (shared-run.ts): its units, the attempts at them, their hosts. */
  distributed?: { units: number; attempts: number; hosts: string[] };
}

export function repoRoot(): string {
  let dir = process.cwd();
  for (;;) {
    if (fs.existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

export function gitInfo(cwd = repoRoot()): RunRecord['git'] {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).toString();
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return { commit: null, dirty: null };
  }
}

export function machineInfo(): RunRecord['machine'] {
  const cpus = os.cpus();
  return {
    platform: os.platform(),
    arch: os.arch(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    hostname: os.hostname(),
  };
}

export function versions(): Record<string, string> {
  const root = repoRoot();
  const read = (p: string) => {
    try {
      return (JSON.parse(fs.readFileSync(p, 'utf8')) as { version: string }).version;
    } catch {
      return 'unknown';
    }
  };
  return {
    node: process.version,
    pretrainLab: read(path.join(root, 'packages', 'cli', 'package.json')),
    tfjs: read(path.join(root, 'packages', 'runtime', 'node_modules', '@tensorflow', 'tfjs', 'package.json')),
    tfjsBackendWasm: read(
      path.join(
        root,
        'packages',
        'runtime',
        'node_modules',
        '@tensorflow',
        'tfjs-backend-wasm',
        'package.json',
      ),
    ),
  };
}

/** A sortable run id: UTC time plus preset, e.g. 2026-11-29T07-30-00Z-default. */
export function newRunId(preset: string, now = new Date()): string {
  return `${now.toISOString().slice(0, 19).replace(/:/g, '-')}Z-${preset}`;
}

export class RunDir {
  readonly record: RunRecord;
  constructor(
    readonly dir: string,
    record: RunRecord,
  ) {
    this.record = record;
  }

  static start(
    dir: string,
    init: Omit<RunRecord, 'status' | 'startedAt' | 'finishedAt' | 'git' | 'machine' | 'versions'>,
  ): RunDir {
    fs.mkdirSync(dir, { recursive: true });
    const record: RunRecord = {
      ...init,
      status: 'running',
      git: gitInfo(),
      versions: versions(),
      machine: machineInfo(),
      startedAt: new Date().toISOString(),
      finishedAt: null,
    };
    const run = new RunDir(dir, record);
    run.save();
    return run;
  }

  /** Re-open a run to resume it; the record keeps its start and lists each resume. */
  static resume(dir: string, argv: string[], backend: BackendInfo): RunDir {
    const file = path.join(dir, 'run.json');
    const record = JSON.parse(fs.readFileSync(file, 'utf8')) as RunRecord;
    record.status = 'running';
    record.finishedAt = null;
    record.resumedAt = [...(record.resumedAt ?? []), new Date().toISOString()];
    record.argv = argv;
    record.backend = backend;
    record.git = gitInfo();
    delete record.error;
    const run = new RunDir(dir, record);
    run.save();
    return run;
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  finish(status: Exclude<RunStatus, 'running'>, error?: string): void {
    this.record.status = status;
    this.record.finishedAt = new Date().toISOString();
    if (error) this.record.error = error;
    this.save();
  }

  save(): void {
    writeJSONAtomic(this.file('run.json'), this.record);
  }
}
