/**
 * The nsp grid as units for many workers (docs/distributed.md): two workers sharing one run
 * directory, then the merge, end with the metrics.jsonl and summary.json of a single-process
 * smoke run (timing fields aside), and every pretraining and evaluation is its own unit.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  lab,
  readRun,
  type SideBySide,
  singleVsWorkers,
  spawnLab,
} from '@pretrain-lab/experiment/testing/ablation-workers';
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

  it('a pretraining unit killed mid-run resumes from its checkpoint and ends as one process does', async () => {
    const o = ['--preset', 'smoke', '--pretrain.tokens=60000', '--pretrain.checkpointEvery=10'];
    const single = path.join(r.dirs.tmp, 'kill-single');
    const shared = path.join(r.dirs.tmp, 'kill-shared');
    expect(lab(['exp', 'nsp', ...o, '--out', single, '--quiet']).code).toBe(0);
    const unit = 'pretrain-segment-pair-nsp-s1';
    const child = spawnLab(['exp', 'nsp', ...o, '--out', shared, '--unit', `prepare,${unit}`]);
    const exited = new Promise((res) => child.on('exit', res));
    const checkpointed = () =>
      fs.existsSync(path.join(shared, 'units')) &&
      fs
        .readdirSync(path.join(shared, 'units'))
        .some((d) => fs.existsSync(path.join(shared, 'units', d, 'checkpoints', 'state.json')));
    for (let i = 0; i < 600 && !checkpointed(); i++) await new Promise((res) => setTimeout(res, 100));
    child.kill('SIGKILL');
    await exited;
    const plan = JSON.parse(lab(['exp', 'nsp', ...o, '--plan', '--json']).stdout);
    const id = plan.units.find((u: { name: string }) => u.name === unit).id;
    expect(fs.existsSync(path.join(shared, 'units', id, 'done.json'))).toBe(false);
    const rest = lab(['exp', 'nsp', ...o, '--out', shared, '--shard', '0/1']);
    expect(rest.code, rest.stderr).toBe(0);
    expect(lab(['exp', 'nsp', '--out', shared, '--merge']).code).toBe(0);
    const attempts = JSON.parse(
      fs.readFileSync(path.join(shared, 'units', id, 'unit.json'), 'utf8'),
    ).attempts;
    expect(attempts).toHaveLength(2);
    const a = readRun(single);
    const b = readRun(shared);
    expect(b.metrics).toEqual(a.metrics);
    expect(b.summary).toEqual(a.summary);
  }, 300_000);
});
