/**
 * Reading `results/<experiment>/<run>/`: config.json, run.json, metrics.jsonl (tidy rows),
 * summary.json. Charts read results only, never the training code.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ScalingFits } from '@pretrain-lab/scaling';
import type { ColumnTable } from 'arquero';
import * as aq from 'arquero';

export type RunStatus = 'completed' | 'running' | 'failed' | 'interrupted';

export interface RunInfo {
  runId: string;
  experiment: string;
  preset?: string;
  status: RunStatus;
  git?: { commit?: string; dirty?: boolean };
  argv?: string[];
  versions?: Record<string, unknown>;
  backend?: Record<string, unknown> | string;
  machine?: Record<string, unknown>;
  startedAt?: string;
  finishedAt?: string;
}

export interface ModelConfig {
  name: string;
  numLayers: number;
  dModel: number;
  numHeads?: number;
  dFF?: number;
  vocabSize: number;
  seqLen: number;
  tieEmbeddings?: boolean;
}

export interface RunConfig {
  experiment: string;
  preset?: string;
  seed?: number;
  corpus?: unknown;
  tokenizer?: { kind?: string; vocabSize?: number };
  seqLen?: number;
  batchSize?: number;
  models?: ModelConfig[];
  training?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface MetricRow {
  model: string;
  split: 'train' | 'val';
  step: number;
  tokens: number;
  /** FLOPs so far, 6 N tokens. */
  compute: number;
  loss: number;
  nonEmbeddingParams: number;
  lr?: number;
  tokensPerSec?: number;
  elapsedSec?: number;
}

export interface ModelSummary {
  model: string;
  numLayers: number;
  dModel: number;
  nonEmbeddingParams: number;
  totalParams: number;
  finalValLoss: number;
  tokens: number;
  /** FLOPs, 6 N tokens. */
  compute: number;
}

export interface RunSummary {
  models: ModelSummary[];
  fits?: ScalingFits | Record<string, unknown>;
  [key: string]: unknown;
}

export interface LoadedRun {
  dir: string;
  config: RunConfig;
  run: RunInfo;
  /** Tidy metric rows, in file order. */
  metrics: ColumnTable;
  /** summary.json, or null while a run has not written one yet. */
  summary: RunSummary | null;
  /** summary.models as a table (empty when there is no summary). */
  models: ColumnTable;
}

function readJson<T>(path: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new Error(
      `${path} is missing: is this a results run directory (config.json, run.json, metrics.jsonl)?`,
    );
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(
      `${path} is not valid JSON (${(err as Error).message}); results are data, regenerate the run rather than edit it`,
    );
  }
}

/**
 * Parse JSON lines. A malformed *last* line is dropped (a run killed mid-write leaves one);
 * a malformed line elsewhere is an error naming the line.
 */
export function parseJsonl<T>(text: string, source = 'metrics.jsonl'): T[] {
  const lines = text.split('\n');
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  const rows: T[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    try {
      rows.push(JSON.parse(lines[i]) as T);
    } catch (err) {
      if (i === lines.length - 1) break;
      throw new Error(`${source}:${i + 1}: ${(err as Error).message}`);
    }
  }
  return rows;
}

export function loadRun(dir: string): LoadedRun {
  const config = readJson<RunConfig>(join(dir, 'config.json'));
  const run = readJson<RunInfo>(join(dir, 'run.json'));
  const metricsPath = join(dir, 'metrics.jsonl');
  const rows = existsSync(metricsPath)
    ? parseJsonl<MetricRow>(readFileSync(metricsPath, 'utf8'), metricsPath)
    : [];
  const summaryPath = join(dir, 'summary.json');
  const summary = existsSync(summaryPath) ? readJson<RunSummary>(summaryPath) : null;
  return {
    dir,
    config,
    run,
    // arquero takes a table's columns from the first row unless told; rows of different phases
    // (fine-tuning first, pretraining later) have different keys, so name them all.
    metrics: aq.from(rows, [...new Set(rows.flatMap((r) => Object.keys(r)))]),
    summary,
    models: aq.from(summary?.models ?? []),
  };
}

/** Run directories of `experiment` under `resultsDir`, sorted by name; [] when there are none. */
export function findRuns(resultsDir: string, experiment: string): string[] {
  const base = join(resultsDir, experiment);
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .filter((name) => !name.startsWith('.') && statSync(join(base, name)).isDirectory())
    .sort()
    .map((name) => join(base, name));
}

/**
 * The newest run whose run.json says "completed": newest by `startedAt`, then by directory
 * name. Runs with an unreadable run.json are skipped. Null when none is complete.
 */
export function latestCompleteRun(resultsDir: string, experiment: string): string | null {
  const complete: { dir: string; startedAt: string }[] = [];
  for (const dir of findRuns(resultsDir, experiment)) {
    let info: RunInfo;
    try {
      info = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunInfo;
    } catch {
      continue;
    }
    if (info.status === 'completed') complete.push({ dir, startedAt: info.startedAt ?? '' });
  }
  complete.sort((a, b) =>
    a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.dir < b.dir ? -1 : 1,
  );
  return complete.length > 0 ? complete[complete.length - 1].dir : null;
}
