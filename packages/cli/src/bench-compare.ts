/**
 * `pnpm bench --vs-torch` on a noisy machine: ours and PyTorch's step are timed in rounds,
 * back to back per workload (ours, then torch, then ours again, ...), so a slow minute of the
 * host slows both sides of a round rather than one side of the whole comparison. The ratio is
 * the median over rounds of the per-round ratio (ours / torch tokens/s), printed with its range;
 * the rows shown are each side's median round. Pure functions, so the aggregation is tested
 * without timing anything.
 */
import type { BenchResult } from './bench-step.js';
import { TORCH_TARGETS, type WorkloadName } from './bench-workloads.js';

export interface TorchRow {
  name: string;
  torch: string;
  threads: number;
  tokensPerStep: number;
  tokensPerSec: number;
  medianStepMs: number;
  loss: number;
  gflops: number;
  mfu: number;
}

/** One round of one workload: our rows (one per backend that ran) and torch's, back to back. */
export interface BenchRound {
  name: string;
  round: number;
  ours: BenchResult[];
  torch: TorchRow | null;
}

export interface TorchRatio {
  name: string;
  /** Our fastest row on this workload (among the project's kernel sets when any ran). */
  backend: string;
  kernels: string;
  /** Medians over rounds. */
  tokensPerSec: number;
  torchTokensPerSec: number;
  /** Median over rounds of ours / torch tokens/s, and its smallest and largest value. */
  ratio: number;
  ratioMin: number;
  ratioMax: number;
  rounds: number;
  target: number | null;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The row whose tokens/s is the median of the list (the lower middle one for an even count). */
export function medianRow<T extends { tokensPerSec: number }>(rows: T[]): T {
  const s = [...rows].sort((a, b) => a.tokensPerSec - b.tokensPerSec);
  return s[(s.length - 1) >> 1];
}

/** Our best row of a round: the project's kernel sets first, then the fastest. */
export function bestOurs(rows: BenchResult[]): BenchResult | null {
  const pool = rows.some((r) => r.customKernels) ? rows.filter((r) => r.customKernels) : rows;
  if (pool.length === 0) return null;
  return pool.reduce((a, b) => (b.tokensPerSec > a.tokensPerSec ? b : a));
}

/** Per (workload, backend): the median round's row, in first-seen order. */
export function medianResults(rounds: BenchRound[]): BenchResult[] {
  const groups = new Map<string, BenchResult[]>();
  for (const r of rounds)
    for (const o of r.ours) {
      const k = `${o.name}\u0000${o.backend}`;
      groups.set(k, [...(groups.get(k) ?? []), o]);
    }
  return [...groups.values()].map(medianRow);
}

/** Per workload: torch's median round. */
export function medianTorch(rounds: BenchRound[]): TorchRow[] {
  const groups = new Map<string, TorchRow[]>();
  for (const r of rounds) if (r.torch) groups.set(r.name, [...(groups.get(r.name) ?? []), r.torch]);
  return [...groups.values()].map(medianRow);
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** Per workload with both sides in at least one round: the paired ratio over rounds. */
export function pairedRatios(rounds: BenchRound[]): TorchRatio[] {
  const names = [...new Set(rounds.map((r) => r.name))];
  const out: TorchRatio[] = [];
  for (const name of names) {
    const pairs = rounds
      .filter((r) => r.name === name && r.torch)
      .map((r) => ({ ours: bestOurs(r.ours), torch: r.torch as TorchRow }))
      .filter((p): p is { ours: BenchResult; torch: TorchRow } => p.ours !== null);
    if (pairs.length === 0) continue;
    const ratios = pairs.map((p) => p.ours.tokensPerSec / p.torch.tokensPerSec);
    const rep = medianRow(pairs.map((p) => p.ours));
    out.push({
      name,
      backend: rep.backend,
      kernels: rep.kernels,
      tokensPerSec: Math.round(median(pairs.map((p) => p.ours.tokensPerSec))),
      torchTokensPerSec: Math.round(median(pairs.map((p) => p.torch.tokensPerSec))),
      ratio: r3(median(ratios)),
      ratioMin: r3(Math.min(...ratios)),
      ratioMax: r3(Math.max(...ratios)),
      rounds: pairs.length,
      target: TORCH_TARGETS[name as WorkloadName] ?? null,
    });
  }
  return out;
}
