import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { concatUnitFiles, copyUnitTrees, mergeRun, requireComplete, unitResults } from './merge.js';
import { openSharedRun } from './shared-run.js';
import { fixturePlan } from './testing/grid-fixture.js';
import { UnitStore } from './unit-store.js';
import type { UnitGrid } from './worker.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'merge-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('merge', () => {
  it('names the units that are not complete, and how to run them', () => {
    const plan = fixturePlan();
    const store = new UnitStore(path.join(tmp, 'missing'));
    for (const u of plan.units.slice(0, 8)) store.markDone(u, null);
    expect(() => requireComplete(store, plan)).toThrow(
      /^2 of 10 units are not complete in .*missing \(finetune s2 t0, finetune s2 t1\); run them with pnpm exp toy --out .*missing --unit ft-2-0, or rerun their array tasks$/,
    );
  });

  it('concatenates unit files in plan order, whatever order they finished in', () => {
    const plan = fixturePlan();
    const store = new UnitStore(path.join(tmp, 'concat'));
    for (const u of [...plan.units].reverse()) {
      fs.mkdirSync(store.dir(u.id), { recursive: true });
      fs.writeFileSync(store.file(u.id, 'rows.jsonl'), `{"unit":"${u.id}"}\n`);
      fs.mkdirSync(store.file(u.id, `tb/${u.name}`), { recursive: true });
      fs.writeFileSync(store.file(u.id, `tb/${u.name}/events`), u.id);
      store.markDone(u, { id: u.id });
    }
    const dest = path.join(tmp, 'concat', 'rows.jsonl');
    concatUnitFiles(store, plan.units, 'rows.jsonl', dest);
    expect(
      fs
        .readFileSync(dest, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).unit),
    ).toEqual(plan.units.map((u) => u.id));
    copyUnitTrees(store, plan.units, 'tb', path.join(tmp, 'concat', 'tb'));
    expect(fs.readdirSync(path.join(tmp, 'concat', 'tb')).length).toBe(10);
    expect(unitResults<{ id: string }>(store, plan.units.slice(2, 4)).map((r) => r.id)).toEqual([
      'pre-1',
      'pre-2',
    ]);
  });

  it('runs the grid merge only when every unit is complete, then marks the run completed', async () => {
    const dir = path.join(tmp, 'run');
    const plan = fixturePlan();
    openSharedRun(dir, { experiment: 'toy', preset: 'smoke', config: {} }, []);
    const store = new UnitStore(dir);
    let merged = 0;
    const grid = { merge: async () => void merged++ } as unknown as UnitGrid<null>;
    await expect(mergeRun(grid, null, plan, { store, log: () => {}, argv: [] })).rejects.toThrow(
      /10 of 10 units/,
    );
    expect(merged).toBe(0);
    for (const u of plan.units) store.markDone(u, null);
    await mergeRun(grid, null, plan, { store, log: () => {}, argv: ['--merge'] });
    expect(merged).toBe(1);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'))).toMatchObject({
      status: 'completed',
      argv: ['--merge'],
    });
  });
});
