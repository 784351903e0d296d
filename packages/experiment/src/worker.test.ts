/**
 * The worker on a toy grid whose units append a line to their own file: complete units are
 * skipped, a unit waits for (or refuses to run before) its dependencies, a unit that another
 * live worker holds is left to it, and an interrupted attempt is recorded and retried.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BackendInfo } from '@pretrain-lab/runtime';
import { ProgressBar } from '@pretrain-lab/train';
import { afterAll, describe, expect, it } from 'vitest';
import type { GridPlan, PlanUnit } from './plan.js';
import { fixturePlan } from './testing/grid-fixture.js';
import { UnitStore } from './unit-store.js';
import { runUnits, type UnitGrid, type WorkerOptions } from './worker.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const backend = { name: 'wasm' } as BackendInfo;
const quiet = new ProgressBar(process.stderr, 10, false);

/** Units write `ran` into units/<id>/out.txt and return their name; `fail` names units that throw once. */
function toyGrid(fail = new Set<string>()): UnitGrid<null> & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async plan() {
      return { units: fixturePlan().units, speed: 'a test' };
    },
    async run(_c, unit, ctx) {
      calls.push(unit.id);
      fs.mkdirSync(ctx.dir, { recursive: true });
      fs.appendFileSync(path.join(ctx.dir, 'out.txt'), 'ran\n');
      if (fail.delete(unit.id)) throw new Error(`${unit.name} broke`);
      return { name: unit.name };
    },
    async merge() {},
  };
}

function options(dir: string, extra: Partial<WorkerOptions> = {}): WorkerOptions {
  return {
    store: new UnitStore(dir),
    backend,
    log: () => {},
    progress: quiet,
    waitDepsSec: 0,
    pollMs: 10,
    ...extra,
  };
}

const pick = (plan: GridPlan, ...ids: string[]): PlanUnit[] => plan.units.filter((u) => ids.includes(u.id));

describe('runUnits', () => {
  it('runs units into their own folders, marks them done, and skips them the next time', async () => {
    const dir = path.join(tmp, 'skip');
    const plan = fixturePlan();
    const grid = toyGrid();
    const first = await runUnits(grid, null, plan, pick(plan, 'prep-0', 'pre-0'), options(dir));
    expect(first).toEqual({ ran: ['prep-0', 'pre-0'], skipped: [] });
    const store = new UnitStore(dir);
    expect(store.done('pre-0')).toMatchObject({
      id: 'pre-0',
      kind: 'pretrain',
      result: { name: 'pretrain s0' },
    });
    expect(store.record('pre-0')!.attempts).toEqual([
      expect.objectContaining({
        host: os.hostname(),
        pid: process.pid,
        backend: { name: 'wasm' },
        status: 'completed',
      }),
    ]);
    expect(fs.existsSync(path.join(store.dir('pre-0'), 'lock'))).toBe(false); // released
    const again = await runUnits(grid, null, plan, pick(plan, 'prep-0', 'pre-0', 'ft-0-0'), options(dir));
    expect(again).toEqual({ ran: ['ft-0-0'], skipped: ['prep-0', 'pre-0'] });
    expect(fs.readFileSync(path.join(store.dir('pre-0'), 'out.txt'), 'utf8')).toBe('ran\n');
  });

  it('refuses a unit whose dependencies are not complete, naming them and --wait-deps', async () => {
    const plan = fixturePlan();
    const grid = toyGrid();
    await expect(
      runUnits(grid, null, plan, pick(plan, 'ft-1-0'), options(path.join(tmp, 'deps'))),
    ).rejects.toThrow(
      /^finetune s1 t0 waits for pretrain s1, not complete in .*; run the earlier stage first, or pass --wait-deps SECONDS$/,
    );
    expect(grid.calls).toEqual([]);
  });

  it('waits for dependencies that another worker completes', async () => {
    const dir = path.join(tmp, 'wait');
    const plan = fixturePlan();
    const grid = toyGrid();
    const waiting = runUnits(grid, null, plan, pick(plan, 'ft-2-0'), options(dir, { waitDepsSec: 30 }));
    await new Promise((r) => setTimeout(r, 50));
    expect(grid.calls).toEqual([]);
    await runUnits(toyGrid(), null, plan, pick(plan, 'prep-0', 'pre-2'), options(dir));
    expect((await waiting).ran).toEqual(['ft-2-0']);
  });

  it('leaves a unit held by a live worker to it, and skips it once that one completes it', async () => {
    const dir = path.join(tmp, 'held');
    const plan = fixturePlan();
    const store = new UnitStore(dir);
    const [unit] = pick(plan, 'prep-0');
    const lock = store.lock(unit.id, {}); // "another worker" in this process: alive, same host
    const grid = toyGrid();
    const second = runUnits(grid, null, plan, [unit], options(dir));
    await new Promise((r) => setTimeout(r, 50));
    expect(grid.calls).toEqual([]);
    store.markDone(unit, { name: 'by the other worker' });
    lock.release();
    expect(await second).toEqual({ ran: [], skipped: ['prep-0'] });
    expect(store.done(unit.id)!.result).toEqual({ name: 'by the other worker' });
  });

  it('records a failed attempt and runs the unit again on the next try', async () => {
    const dir = path.join(tmp, 'retry');
    const plan = fixturePlan();
    const grid = toyGrid(new Set(['prep-0']));
    await expect(runUnits(grid, null, plan, pick(plan, 'prep-0'), options(dir))).rejects.toThrow(
      'prepare broke',
    );
    const store = new UnitStore(dir);
    expect(store.isDone('prep-0')).toBe(false);
    await runUnits(grid, null, plan, pick(plan, 'prep-0'), options(dir));
    expect(store.record('prep-0')!.attempts.map((a) => [a.status, a.error])).toEqual([
      ['failed', 'prepare broke'],
      ['completed', undefined],
    ]);
    expect(fs.readFileSync(path.join(store.dir('prep-0'), 'out.txt'), 'utf8')).toBe('ran\nran\n');
  });
});
