/**
 * The nsp grid as units for many workers (docs/distributed.md): two workers sharing one run
 * directory, then the merge, end with the metrics.jsonl and summary.json of a single-process
 * smoke run (timing fields aside), and every pretraining and evaluation is its own unit.
 */
import fs from 'node:fs';
import { lab, type SideBySide, singleVsWorkers } from '@pretrain-lab/experiment/testing/ablation-workers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('pnpm exp nsp over many workers', () => {
  let r: SideBySide;
  beforeAll(async () => {
    r = await singleVsWorkers('nsp');
  }, 300_000);
  afterAll(() => fs.rmSync(r.dirs.tmp, { recursive: true, force: true }));

  it("plans prepare, then per seed each row's pretraining before its evaluations", () => {
    const plan = lab(['exp', 'nsp', '--preset', 'smoke', '--plan', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    const j = JSON.parse(plan.stdout);
    expect(j.units[0].kind).toBe('prepare');
    const ids = new Map(j.units.map((u: { id: string; name: string }) => [u.id, u.name]));
    for (const u of j.units.slice(1)) {
      expect(u.deps).toHaveLength(1);
      const dep = ids.get(u.deps[0]) as string;
      if (u.kind === 'pretrain') expect(dep).toBe('prepare');
      else expect(dep === 'prepare' || dep === u.name.replace(/^eval-/, 'pretrain-')).toBe(true);
    }
    expect(j.units.filter((u: { kind: string }) => u.kind === 'pretrain').length).toBeGreaterThan(0);
  });

  it('merges into what one process writes', () => {
    for (const w of r.workers) expect(w.code, w.stderr).toBe(0);
    expect(r.merge.code, r.merge.stderr).toBe(0);
    expect(r.shared.metrics.length).toBeGreaterThan(0);
    expect(r.shared.metrics).toEqual(r.single.metrics);
    expect(r.shared.summary).toEqual(r.single.summary);
    expect(r.shared.tokenizer).toBe(r.single.tokenizer);
    expect(r.shared.run).toMatchObject({ status: 'completed', distributed: { units: r.shared.units } });
  });
});
