import { describe, expect, it } from 'vitest';
import { parseShard, selectUnits, shardUnits, tasksFor } from './shard.js';
import { fixturePlan } from './testing/grid-fixture.js';

const units = (costs: number[]) => costs.map((flops, i) => ({ id: `u${i}`, flops }));

describe('shards', () => {
  it('parses i/n and refuses anything else in one line', () => {
    expect(parseShard('3/4')).toEqual({ index: 3, count: 4 });
    for (const bad of ['4/4', '1', '-1/2', 'a/b', '0/0'])
      expect(() => parseShard(bad)).toThrow(/^--shard: expected i\/n with 0 <= i < n/);
  });

  it('splits equal costs round-robin in plan order', () => {
    const u = units([1, 1, 1, 1, 1, 1, 1]);
    expect(shardUnits(u, { index: 0, count: 3 }).map((x) => x.id)).toEqual(['u0', 'u3', 'u6']);
    expect(shardUnits(u, { index: 1, count: 3 }).map((x) => x.id)).toEqual(['u1', 'u4']);
    expect(shardUnits(u, { index: 2, count: 3 }).map((x) => x.id)).toEqual(['u2', 'u5']);
  });

  it('gives every unit to exactly one share, and balances uneven costs', () => {
    // An IsoFLOP grid's shape: 4 budgets x 5 sizes, each budget ~2.2x the last.
    const costs = [1, 2.2, 4.6, 10].flatMap((b) => [b, b, b, b, b]);
    const u = units(costs);
    for (const n of [1, 2, 3, 4, 7, 20, 25]) {
      const shares = Array.from({ length: n }, (_, i) => shardUnits(u, { index: i, count: n }));
      expect(
        shares
          .flat()
          .map((x) => x.id)
          .sort(),
      ).toEqual(u.map((x) => x.id).sort());
      const loads = shares.map((s) => s.reduce((a, x) => a + x.flops, 0));
      // LPT: no share exceeds the ideal by more than the largest unit.
      expect(Math.max(...loads)).toBeLessThanOrEqual(costs.reduce((a, b) => a + b) / n + 10);
      for (const s of shares)
        expect(s.map((x) => x.id)).toEqual(u.filter((x) => s.includes(x)).map((x) => x.id));
    }
    // Pinned: four 10s go one per share, then the fifth and the smaller units fill the lightest.
    expect(shardUnits(u, { index: 0, count: 4 }).map((x) => x.id)).toEqual(['u0', 'u1', 'u15', 'u19']);
  });

  it('caps array tasks at one per unit', () => {
    expect(tasksFor(20, 1000)).toBe(20);
    expect(tasksFor(20, 4)).toBe(4);
    expect(tasksFor(0, 4)).toBe(1);
  });

  it('selects by unit, by stage and by shard of each stage', () => {
    const plan = fixturePlan();
    const ids = (sel: Parameters<typeof selectUnits>[1]) => selectUnits(plan, sel).map((u) => u.id);
    expect(ids({ units: ['ft-2-0', 'pretrain s1'] })).toEqual(['pre-1', 'ft-2-0']); // plan order
    expect(ids({ stage: 1 })).toEqual(['pre-0', 'pre-1', 'pre-2']);
    expect(ids({ stage: 1, shard: { index: 0, count: 2 } })).toEqual(['pre-2']);
    expect(ids({ stage: 1, shard: { index: 1, count: 2 } })).toEqual(['pre-0', 'pre-1']);
    // Without --stage: share i of every stage, earlier stages first.
    expect(ids({ shard: { index: 0, count: 2 } })).toEqual(['prep-0', 'pre-2', 'ft-0-0', 'ft-1-0', 'ft-2-0']);
    expect(() => ids({ stage: 3 })).toThrow(/stages 0 to 2, got 3/);
    expect(() => ids({ units: ['pre-0'], stage: 1 })).toThrow(/drop --shard and --stage/);
  });
});
