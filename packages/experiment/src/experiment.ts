/**
 * What an experiment provides to `pnpm exp`: defaults, presets that set only what differs
 * (each with its reason, as nanoGPT's config files), validation, and the run itself.
 * Experiments live in experiments/<name>/index.ts and are found there by name, so this
 * package does not depend on them (experiments depend on packages, never the reverse).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BackendInfo, UserError } from '@pretrain-lab/runtime';
import type { MetricsWriter, ProgressBar } from '@pretrain-lab/train';
import type { Json } from './overrides.js';
import type { RunDir } from './runs.js';
import type { UnitGrid } from './worker.js';

export interface Preset<C> {
  reason: string;
  overrides: DeepPartial<C>;
}

export type DeepPartial<T> = T extends (infer U)[]
  ? U[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

export interface ExperimentContext {
  run: RunDir;
  /**
   * The run's metrics.jsonl, with its followers attached (TensorBoard event files under
   * tb/); write every row through it.
   */
  metrics: MetricsWriter;
  preset: string;
  resume: boolean;
  backend: BackendInfo;
  progress: ProgressBar;
  log: (line: string) => void;
}

export interface Experiment<C extends Json = Json> {
  name: string;
  description: string;
  defaults: C;
  presets: Record<string, Preset<C>>;
  /** Check types and ranges of a resolved config; throw UserError with one line. */
  validate(config: C): void;
  run(config: C, ctx: ExperimentContext): Promise<void>;
  /**
   * The grid as units for many workers (`--plan`, `--unit`, `--shard`, `--slurm`, `--k8s`,
   * `--merge`; docs/distributed.md). Absent: the experiment runs in one process only.
   */
  grid?: UnitGrid<C>;
}

export function deepMerge<T>(base: T, patch: unknown): T {
  if (patch === undefined) return structuredClone(base);
  if (
    base === null ||
    typeof base !== 'object' ||
    Array.isArray(base) ||
    patch === null ||
    typeof patch !== 'object' ||
    Array.isArray(patch)
  ) {
    return structuredClone(patch) as T;
  }
  const out: any = structuredClone(base);
  for (const [k, v] of Object.entries(patch as Record<string, unknown>))
    out[k] = deepMerge((base as any)[k], v);
  return out as T;
}

export function resolvePreset<C extends Json>(exp: Experiment<C>, preset: string): C {
  const p = exp.presets[preset];
  if (!p)
    throw new UserError(
      `unknown preset '${preset}' for experiment '${exp.name}'; valid: ${Object.keys(exp.presets).join(', ')}`,
    );
  return deepMerge(exp.defaults, p.overrides);
}

export function experimentsDir(root: string): string {
  return path.join(root, 'experiments');
}

export function listExperiments(root: string): string[] {
  const dir = experimentsDir(root);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((d) => fs.existsSync(path.join(dir, d, 'index.ts')))
    .sort();
}

export async function loadExperiment(root: string, name: string): Promise<Experiment> {
  const names = listExperiments(root);
  if (!names.includes(name))
    throw new UserError(`unknown experiment '${name}'; valid: ${names.join(', ') || '(none found)'}`);
  const mod = (await import(pathToFileURL(path.join(experimentsDir(root), name, 'index.ts')).href)) as {
    experiment: Experiment;
  };
  return mod.experiment;
}
