/**
 * A run directory through the real CLI (the nsp smoke preset, the quickest full run): its
 * TensorBoard event files read back equal to metrics.jsonl, a `--resume` while the lock's
 * holder is alive fails naming it, a stale lock is taken over, and `--resume` of a completed
 * run exits 0 and says so.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CONFIG_TAG,
  configMarkdown,
  eventFiles,
  FILE_VERSION,
  modelDir,
  readEventFile,
  readMetrics,
  rowScalars,
} from '@pretrain-lab/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const bin = path.join(root, 'packages', 'cli', 'src', 'bin.ts');
const node = [process.execPath, '--import', 'tsx', bin];
const env = { ...process.env, PRETRAIN_LAB_BACKEND: 'wasm' };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'run-dir-test-'));
const dir = path.join(tmp, 'nsp-smoke');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function lab(args: string[]) {
  const r = spawnSync(node[0], [...node.slice(1), ...args], { cwd: root, encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const holder = (pid: number) =>
  JSON.stringify({ pid, host: os.hostname(), pidStart: null, since: 'then', argv: [] });
const setStatus = (status: string) => {
  const record = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ ...record, status }));
};

let firstRun: ReturnType<typeof lab>;
beforeAll(() => {
  firstRun = lab(['exp', 'nsp', '--preset', 'smoke', '--out', dir, '--quiet']);
}, 120_000);

describe('a run directory', () => {
  it('is locked while a run writes it, and unlocked when it ends', () => {
    expect(firstRun.stderr).toBe('');
    expect(firstRun.code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(false);
  });

  it('a second --resume while the holder is alive fails with one line naming it', async () => {
    // The holder: a live process on this host (as a run still going would be).
    const alive: ChildProcess = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], {
      stdio: 'ignore',
    });
    try {
      setStatus('interrupted');
      fs.writeFileSync(path.join(dir, 'lock'), holder(alive.pid!));
      const r = lab(['exp', 'nsp', '--resume', dir, '--quiet']);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(
        new RegExp(
          `^error: .*nsp-smoke is in use by another run \\(pid ${alive.pid} on ${os.hostname()}, since then\\); wait`,
        ),
      );
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')).status).toBe('interrupted');
    } finally {
      alive.kill('SIGKILL');
      await new Promise((r) => alive.once('exit', r));
      fs.rmSync(path.join(dir, 'lock'), { force: true });
      setStatus('completed');
    }
  });

  it('has one TensorBoard event file per model that reads back equal to metrics.jsonl', () => {
    const rows = readMetrics(path.join(dir, 'metrics.jsonl'));
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    const models = [...new Set(rows.map((r) => String(r.model)))];
    expect(models.length).toBeGreaterThan(2); // pretrainings and fine-tunings
    for (const model of models) {
      const files = eventFiles(path.join(dir, 'tb', modelDir(model)));
      expect(files, model).toHaveLength(1);
      const events = readEventFile(files[0]); // checks the length and data CRC of every record
      expect(events[0].fileVersion).toBe(FILE_VERSION);
      expect(events[1].values).toEqual([
        { tag: CONFIG_TAG, text: configMarkdown(config), pluginName: 'text' },
      ]);
      const scalars = events.slice(2);
      const mine = rows.filter((r) => r.model === model);
      expect(scalars).toHaveLength(mine.length);
      mine.forEach((r, i) => {
        const got = Object.fromEntries(
          scalars[i].values!.map((v) => ['simpleValue' in v ? v.tag : '', (v as any).simpleValue]),
        );
        const want = Object.fromEntries(Object.entries(rowScalars(r)).map(([k, v]) => [k, Math.fround(v)]));
        expect(scalars[i].step).toBe(r.step);
        if (r.split === 'train') {
          expect(Number.isFinite(got['train/gradNorm'])).toBe(true); // TensorBoard only, not in metrics.jsonl
          delete got['train/gradNorm'];
        }
        expect(got, `${model} row ${i}`).toEqual(want);
      });
    }
    // Every measurement column of the smoke run shows up somewhere.
    const tags = new Set(
      models.flatMap((m) =>
        readEventFile(eventFiles(path.join(dir, 'tb', modelDir(m)))[0]).flatMap((e) =>
          (e.values ?? []).map((v) => v.tag),
        ),
      ),
    );
    for (const t of [
      'train/loss',
      'train/lr',
      'train/tokensPerSec',
      'train/gradNorm',
      'val/loss',
      'val/mlm',
      'test/accuracy',
    ])
      expect(tags).toContain(t);
  });

  it('--resume of a completed run exits 0, says so and changes nothing', () => {
    const before = fs.readFileSync(path.join(dir, 'run.json'), 'utf8');
    const r = lab(['exp', 'nsp', '--resume', dir, '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^run .*nsp-smoke already completed; nothing to do$/);
    expect(r.stderr).toBe('');
    expect(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')).toBe(before);
  });

  it('a lock left by a dead process is taken over', () => {
    setStatus('interrupted');
    fs.writeFileSync(path.join(dir, 'lock'), holder(spawnSync(process.execPath, ['-e', '']).pid));
    const metricsBefore = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8');
    const r = lab(['exp', 'nsp', '--resume', dir, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')).status).toBe('completed');
    expect(fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')).toBe(metricsBefore);
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(false);
  });
});
