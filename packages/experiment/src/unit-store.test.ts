import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BackendInfo } from '@pretrain-lab/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturePlan } from './testing/grid-fixture.js';
import { schedulerTask, UnitStore } from './unit-store.js';

const NATIVE = { name: 'native', kernels: 'native-avx2' } as unknown as BackendInfo;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unit-store-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('UnitStore', () => {
  it('keeps each unit under units/<id>/: attempts in unit.json, the result in done.json', () => {
    const store = new UnitStore(tmp);
    const unit = fixturePlan().units[1];
    expect(store.dir(unit.id)).toBe(path.join(tmp, 'units', 'pre-0'));
    expect(store.isDone(unit.id)).toBe(false);
    expect(store.missing(['pre-0', 'pre-1'])).toEqual(['pre-0', 'pre-1']);
    store.begin(unit, NATIVE);
    store.end(unit, 'interrupted', 'stopped by SIGTERM');
    store.begin(unit, NATIVE);
    store.markDone(unit, { loss: 1.5 });
    store.end(unit, 'completed');
    expect(store.record(unit.id)!.attempts.map((a) => a.status)).toEqual(['interrupted', 'completed']);
    expect(store.record(unit.id)!.attempts[0].error).toBe('stopped by SIGTERM');
    expect(store.done(unit.id)).toMatchObject({ id: 'pre-0', name: 'pretrain s0', result: { loss: 1.5 } });
    expect(store.missing(['pre-0', 'pre-1'])).toEqual(['pre-1']);
    // Nothing outside the unit's own folder.
    expect(fs.readdirSync(tmp)).toEqual(['units']);
    expect(fs.readdirSync(store.dir(unit.id)).sort()).toEqual(['done.json', 'unit.json']);
  });

  it('names the scheduler task from its environment', () => {
    expect(schedulerTask({})).toBeNull();
    expect(
      schedulerTask({
        SLURM_JOB_ID: '15',
        SLURM_ARRAY_JOB_ID: '12',
        SLURM_ARRAY_TASK_ID: '3',
        SLURM_RESTART_COUNT: '1',
      }),
    ).toBe('slurm 12_3 (restart 1)');
    expect(schedulerTask({ SLURM_JOB_ID: '7' })).toBe('slurm 7 (restart 0)');
    expect(schedulerTask({ JOB_COMPLETION_INDEX: '2', HOSTNAME: 'scaling-s1-2-x7' })).toBe(
      'k8s scaling-s1-2-x7 index 2',
    );
  });
});
