/**
 * For the ablation experiments' distributed tests: the smoke preset run once in one process and
 * once as units by two workers sharing a directory, then merged; what each left, for comparison
 * with timing fields (tokensPerSec, elapsedSec) removed. Through the real CLI (packages/cli).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const bin = path.join(root, 'packages', 'cli', 'src', 'bin.ts');
const env = { ...process.env, PRETRAIN_LAB_BACKEND: 'wasm' };
const args = (a: string[]) => ['--import', 'tsx', bin, ...a];

export function lab(a: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args(a), { cwd: root, encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
/** The CLI started in the background (to be killed mid-run). */
export const spawnLab = (a: string[]) => spawn(process.execPath, args(a), { cwd: root, env });
function labAsync(a: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnLab(a);
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

function untimed(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(untimed);
  if (x && typeof x === 'object')
    return Object.fromEntries(
      Object.entries(x)
        .filter(([k]) => k !== 'tokensPerSec' && k !== 'elapsedSec')
        .map(([k, v]) => [k, untimed(v)]),
    );
  return x;
}

/** metrics.jsonl, summary.json (timing fields removed) and tokenizer.json of a run directory. */
export function readRun(dir: string): { metrics: unknown[]; summary: unknown; tokenizer: string } {
  return {
    metrics: fs
      .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => untimed(JSON.parse(l))),
    summary: untimed(JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'))),
    tokenizer: fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'),
  };
}

export interface SideBySide {
  single: { metrics: unknown[]; summary: unknown; tokenizer: string };
  shared: { metrics: unknown[]; summary: unknown; tokenizer: string; run: any; units: number };
  workers: { code: number | null; stderr: string }[];
  merge: { code: number | null; stderr: string };
  dirs: { single: string; shared: string; tmp: string };
}

export async function singleVsWorkers(experiment: string): Promise<SideBySide> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${experiment}-workers-`));
  const single = path.join(tmp, 'single');
  const shared = path.join(tmp, 'shared');
  const one = lab(['exp', experiment, '--preset', 'smoke', '--out', single, '--quiet']);
  if (one.code !== 0) throw new Error(`single-process run failed: ${one.stderr.trim().split('\n').pop()}`);
  // Both workers start at once; the one without the prepare unit waits for it.
  const worker = (i: number) =>
    labAsync([
      'exp',
      experiment,
      '--preset',
      'smoke',
      '--out',
      shared,
      '--shard',
      `${i}/2`,
      '--wait-deps',
      '300',
    ]);
  const workers = await Promise.all([worker(0), worker(1)]);
  const merge = lab(['exp', experiment, '--out', shared, '--merge']);
  const read = readRun;
  return {
    single: read(single),
    shared: {
      ...(merge.code === 0 ? read(shared) : { metrics: [], summary: null, tokenizer: '' }),
      run: fs.existsSync(path.join(shared, 'run.json'))
        ? JSON.parse(fs.readFileSync(path.join(shared, 'run.json'), 'utf8'))
        : null,
      units: fs.existsSync(path.join(shared, 'units'))
        ? fs.readdirSync(path.join(shared, 'units')).length
        : 0,
    },
    workers,
    merge,
    dirs: { single, shared, tmp },
  };
}
