import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BackendInfo } from '@pretrain-lab/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { finishSharedRun, isSharedRun, openSharedRun, readSharedConfig } from './shared-run.js';
import { fixturePlan } from './testing/grid-fixture.js';
import { UnitStore } from './unit-store.js';

const NATIVE = { name: 'native', kernels: 'native-avx2' } as unknown as BackendInfo;
const WASM = { name: 'wasm', kernels: 'wasm-simd' } as unknown as BackendInfo;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shared-run-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const want = { experiment: 'toy', preset: 'smoke', config: { seed: 1, grid: { sizes: [1, 2] } } };

describe('shared run directories', () => {
  it('creates config.json and run.json once; later workers with the same config just join', () => {
    const dir = path.join(tmp, 'a');
    openSharedRun(dir, want, ['exp', 'toy', '--shard', '0/2']);
    const run1 = fs.readFileSync(path.join(dir, 'run.json'), 'utf8');
    openSharedRun(dir, { ...want, config: { grid: { sizes: [1, 2] }, seed: 1 } }, [
      'exp',
      'toy',
      '--shard',
      '1/2',
    ]);
    expect(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')).toBe(run1); // not rewritten
    expect(readSharedConfig(dir)).toEqual(want);
    expect(JSON.parse(run1)).toMatchObject({
      experiment: 'toy',
      preset: 'smoke',
      status: 'running',
      argv: ['exp', 'toy', '--shard', '0/2'],
    });
    expect(isSharedRun(dir)).toBe(true);
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'run.json']); // no temporary files left
  });

  it('refuses a worker of another config, and a directory of a single-process run', () => {
    const dir = path.join(tmp, 'b');
    openSharedRun(dir, want, []);
    expect(() => openSharedRun(dir, { ...want, config: { ...want.config, seed: 2 } }, [])).toThrow(
      /holds a toy run of another config \(preset smoke\); run every worker with the same preset and overrides/,
    );
    const single = path.join(tmp, 'single');
    fs.mkdirSync(single);
    fs.writeFileSync(path.join(single, 'run.json'), JSON.stringify({ status: 'interrupted' }));
    expect(isSharedRun(single)).toBe(false);
    expect(() => openSharedRun(single, want, [])).toThrow(
      /holds a single-process run; continue it with --resume/,
    );
  });

  it('finishes run.json as completed, from the first unit start, with hosts and attempts', () => {
    const dir = path.join(tmp, 'c');
    openSharedRun(dir, want, []);
    const store = new UnitStore(dir);
    const [a, b] = fixturePlan().units;
    store.begin(a, NATIVE);
    store.end(a, 'interrupted');
    store.begin(a, NATIVE);
    store.end(a, 'completed');
    store.begin(b, WASM);
    store.end(b, 'completed');
    const first = store.record(a.id)!.attempts[0].startedAt;
    const rec = finishSharedRun(dir, store, [a.id, b.id], ['exp', 'toy', '--merge']);
    expect(rec.backend).toBeNull(); // the units ran on two backends
    expect(rec).toMatchObject({
      status: 'completed',
      startedAt: first,
      distributed: { units: 2, attempts: 3, hosts: [os.hostname()] },
    });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')).status).toBe('completed');
  });
});
