/**
 * Kubernetes Indexed Jobs for a grid: one Job per stage (plan.ts) with `completionMode: Indexed`,
 * pod i running `--stage k --shard i/n` (shard.ts) with i from JOB_COMPLETION_INDEX, and a merge
 * Job; every pod mounts the run directory from one PersistentVolumeClaim (ReadWriteMany).
 *
 * Jobs have no dependencies between them, so all of them can be applied at once: the pods of a
 * later stage wait (`--wait-deps`) until the units they depend on are complete on the volume.
 * A pod that fails or is evicted is retried (backoffLimit) and resumes from the unit's
 * checkpoint; its old lock goes stale once nobody touches it (lock.ts).
 */
import { type GridPlan, planStages } from './plan.js';
import { shardUnits, tasksFor } from './shard.js';
import type { WorkerCommand } from './slurm.js';

export interface K8sOptions extends WorkerCommand {
  /** Jobs are <name>-s<k> and <name>-merge: a DNS-1123 label prefix. */
  name: string;
  image: string;
  /** The PersistentVolumeClaim that holds the run directory, and where pods mount it. */
  claimName: string;
  mountPath: string;
  maxTasks: number;
  cpu?: string;
  memory?: string;
  /** How long a later stage's pods wait for the units they depend on. */
  waitDepsSec: number;
}

/** Kubernetes' own annotation with the pod's index (also exported as JOB_COMPLETION_INDEX from 1.22 on). */
export const COMPLETION_INDEX_FIELD = "metadata.annotations['batch.kubernetes.io/job-completion-index']";

/** A DNS-1123 label: lower-case alphanumerics and '-', at most 63 characters. */
export function dnsLabel(s: string, max = 63): string {
  const out = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/, '');
  return out || 'run';
}

const labelValue = (s: string) =>
  s
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');

function job(opts: K8sOptions, name: string, stage: string, args: string[], indexed: number | null) {
  const labels = {
    'app.kubernetes.io/name': 'pretrain-lab',
    'pretrain-lab/run': labelValue(opts.name),
    'pretrain-lab/stage': stage,
  };
  const tasks = indexed ?? 1;
  const resources: Record<string, string> = {};
  if (opts.cpu) resources.cpu = opts.cpu;
  if (opts.memory) resources.memory = opts.memory;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels },
    spec: {
      ...(indexed !== null ? { completionMode: 'Indexed' } : {}),
      completions: tasks,
      parallelism: tasks,
      // Retries over the whole Job; each resumes its unit from the last checkpoint.
      backoffLimit: 3 * tasks,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'OnFailure',
          containers: [
            {
              name: 'worker',
              image: opts.image,
              workingDir: opts.workdir,
              command: [...opts.argv, ...args],
              ...(indexed !== null
                ? {
                    env: [
                      {
                        name: 'JOB_COMPLETION_INDEX',
                        valueFrom: { fieldRef: { fieldPath: COMPLETION_INDEX_FIELD } },
                      },
                    ],
                  }
                : {}),
              ...(Object.keys(resources).length > 0 ? { resources: { requests: resources } } : {}),
              volumeMounts: [{ name: 'runs', mountPath: opts.mountPath }],
            },
          ],
          volumes: [{ name: 'runs', persistentVolumeClaim: { claimName: opts.claimName } }],
        },
      },
    },
  };
}

export type JobManifest = ReturnType<typeof job>;

/** One Indexed Job per stage, then the merge Job. */
export function indexedJobs(plan: GridPlan, opts: K8sOptions): JobManifest[] {
  const base = dnsLabel(opts.name, 50);
  const stages = planStages(plan.units);
  const wait = (k: number) => (k > 0 ? ['--wait-deps', String(opts.waitDepsSec)] : []);
  const jobs = stages.map((units, k) => {
    const tasks = tasksFor(units.length, opts.maxTasks);
    // Kubernetes expands $(VAR) in a container's command from its env.
    const args = ['--stage', String(k), '--shard', `$(JOB_COMPLETION_INDEX)/${tasks}`, ...wait(k)];
    return job(opts, `${base}-s${k}`, String(k), args, tasks);
  });
  jobs.push(job(opts, `${base}-merge`, 'merge', ['--merge', ...wait(stages.length)], null));
  return jobs;
}

/** The units pod `index` of stage `stage` runs (what `--stage k --shard index/n` selects). */
export function podUnits(plan: GridPlan, stage: number, index: number, maxTasks: number): string[] {
  const units = planStages(plan.units)[stage];
  return shardUnits(units, { index, count: tasksFor(units.length, maxTasks) }).map((u) => u.id);
}
