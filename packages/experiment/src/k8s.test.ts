import { describe, expect, it } from 'vitest';
import { COMPLETION_INDEX_FIELD, dnsLabel, indexedJobs, type JobManifest, podUnits } from './k8s.js';
import { planStages } from './plan.js';
import { selectUnits } from './shard.js';
import { fixturePlan } from './testing/grid-fixture.js';
import { JOB_SCHEMA, jobErrors } from './testing/k8s-schema.js';

const opts = {
  argv: ['node', '--import', 'tsx', 'packages/cli/src/bin.ts', 'exp', 'toy', '--out', '/runs/r1'],
  workdir: '/app',
  name: 'Toy_Smoke r1',
  image: 'registry.example/pretrain-lab:1',
  claimName: 'lab-runs',
  mountPath: '/runs',
  maxTasks: 4,
  cpu: '2',
  memory: '4Gi',
  waitDepsSec: 3600,
};

describe('indexedJobs', () => {
  const plan = fixturePlan();
  const jobs = indexedJobs(plan, opts);
  const container = (j: JobManifest) => j.spec.template.spec.containers[0];

  it('is valid against the batch/v1 Job schema, and the check catches what the API would refuse', () => {
    expect(JOB_SCHEMA.source).toMatch(/API release-1\.22/);
    for (const j of jobs) expect(jobErrors(j)).toEqual([]);
    const broken = structuredClone(jobs[1]) as any;
    broken.spec.completionsMode = 'Indexed'; // a typo
    broken.spec.parallelism = '3';
    delete broken.spec.template.spec.containers[0].name;
    broken.spec.template.spec.volumes[0].persistentVolumeClaim.readonly = true; // readOnly
    expect(jobErrors(broken).sort()).toEqual(
      [
        "Job.spec: unknown field 'completionsMode' in V1JobSpec",
        'Job.spec.parallelism: expected integer, got string',
        "Job.spec.template.spec.containers[0]: missing required field 'name' (V1Container)",
        "Job.spec.template.spec.volumes[0].persistentVolumeClaim: unknown field 'readonly' in V1PersistentVolumeClaimVolumeSource",
      ].sort(),
    );
    expect(jobErrors({ ...jobs[0], apiVersion: 'batch/v2' })).toEqual([
      "Job.apiVersion: expected 'batch/v1', got batch/v2",
    ]);
  });

  it('keeps the rules the API checks beyond the schema', () => {
    for (const j of jobs) {
      expect(j.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(j.metadata.name.length).toBeLessThanOrEqual(63);
      expect(['OnFailure', 'Never']).toContain(j.spec.template.spec.restartPolicy); // a Job's pods end
      expect(j.spec.template.metadata.labels).toEqual(j.metadata.labels);
      expect(container(j).volumeMounts[0].name).toBe(j.spec.template.spec.volumes[0].name);
      expect(j.spec.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe('lab-runs');
    }
    expect(jobs.map((j) => j.metadata.name)).toEqual([
      'toy-smoke-r1-s0',
      'toy-smoke-r1-s1',
      'toy-smoke-r1-s2',
      'toy-smoke-r1-merge',
    ]);
  });

  it('runs stage k as an Indexed Job whose pod i runs --stage k --shard i/n', () => {
    const stages = planStages(plan.units);
    stages.forEach((units, k) => {
      const j = jobs[k];
      const n = Math.min(units.length, opts.maxTasks);
      expect(j.spec).toMatchObject({ completionMode: 'Indexed', completions: n, parallelism: n });
      expect(container(j).env).toEqual([
        { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: COMPLETION_INDEX_FIELD } } },
      ]);
      expect(container(j).command).toEqual([
        ...opts.argv,
        '--stage',
        String(k),
        '--shard',
        `$(JOB_COMPLETION_INDEX)/${n}`,
        ...(k > 0 ? ['--wait-deps', '3600'] : []), // later stages start together with earlier ones
      ]);
    });
    const merge = jobs[jobs.length - 1];
    expect(merge.spec).not.toHaveProperty('completionMode');
    expect(container(merge).command.slice(-3)).toEqual(['--merge', '--wait-deps', '3600']);
  });

  it('maps every index to units so that each unit of a stage belongs to exactly one pod', () => {
    const stages = planStages(plan.units);
    for (const maxTasks of [1, 2, 4, 100]) {
      stages.forEach((units, k) => {
        const n = Math.min(units.length, maxTasks);
        const pods = Array.from({ length: n }, (_, i) => podUnits(plan, k, i, maxTasks));
        expect(pods.flat().sort()).toEqual(units.map((u) => u.id).sort());
        expect(new Set(pods.flat()).size).toBe(units.length);
        pods.forEach((ids, i) => {
          expect(ids.length).toBeGreaterThan(0); // no idle pod
          expect(ids).toEqual(
            selectUnits(plan, { stage: k, shard: { index: i, count: n } }).map((u) => u.id),
          );
        });
      });
    }
    expect(podUnits(plan, 2, 0, 4)).toEqual(['ft-0-0', 'ft-2-0']);
    expect(podUnits(plan, 2, 3, 4)).toEqual(['ft-1-1']);
  });

  it('makes names DNS-1123 labels', () => {
    expect(dnsLabel('Scaling_2026-12-02T19-30-00Z-smoke')).toBe('scaling-2026-12-02t19-30-00z-smoke');
    expect(dnsLabel('--x--')).toBe('x');
    expect(dnsLabel('a'.repeat(80)).length).toBe(63);
  });
});
