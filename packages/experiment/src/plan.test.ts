import { UserError } from '@pretrain-lab/runtime';
import { describe, expect, it } from 'vitest';
import { checkPlan, findUnit, formatPlan, planJSON, planStages, unitStages } from './plan.js';
import { fixturePlan } from './testing/grid-fixture.js';

describe('plan', () => {
  it('puts each unit one stage after its deepest dependency', () => {
    const plan = fixturePlan();
    const stage = unitStages(plan.units);
    expect(stage.get('prep-0')).toBe(0);
    expect(stage.get('pre-2')).toBe(1);
    expect(stage.get('ft-2-1')).toBe(2);
    expect(planStages(plan.units).map((s) => s.length)).toEqual([1, 3, 6]);
  });

  it('refuses duplicate ids and dependencies that are unknown or come later', () => {
    const u = fixturePlan().units;
    expect(() => checkPlan([...u, u[1]])).toThrow(/pre-0 \(pretrain s0\) appears twice/);
    expect(() => checkPlan([u[1], u[0]])).toThrow(
      /pretrain s0 waits for prep-0, which is not listed before it/,
    );
  });

  it('finds units by id or name, and says where to list them', () => {
    const plan = fixturePlan();
    expect(findUnit(plan, 'ft-1-0').name).toBe('finetune s1 t0');
    expect(findUnit(plan, 'pretrain s2').id).toBe('pre-2');
    expect(() => findUnit(plan, 'nope')).toThrow(UserError);
    expect(() => findUnit(plan, 'nope')).toThrow(/pnpm exp toy --plan lists them/);
  });

  it('totals FLOPs and minutes, and prints one line per unit with what it waits for', () => {
    const plan = fixturePlan();
    const j = planJSON(plan);
    expect(j.total).toEqual({ units: 10, flops: 660, minutes: (5 + 360 + 36) / 60 });
    expect(j.stages[1]).toEqual(['pre-0', 'pre-1', 'pre-2']);
    expect(j.units[4]).toMatchObject({ id: 'ft-0-0', index: 4, stage: 2 });
    const lines = formatPlan(plan);
    expect(lines[0]).toBe('toy (preset smoke, config config-000000000000): 10 units in 3 stages');
    expect(lines.find((l) => l.includes('ft-2-1'))).toMatch(
      /^\s+9\s+2\s+ft-2-1\s+finetune s2 t1\s+1\.00e\+1\s+0\.10\s+pretrain s2$/,
    );
    expect(lines[lines.length - 1]).toMatch(/^total: 10 units, 6\.60e\+2 FLOPs, about 6\.7 minutes/);
  });
});
