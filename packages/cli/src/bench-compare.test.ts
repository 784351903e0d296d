import { describe, expect, it } from 'vitest';
import {
  type BenchRound,
  median,
  medianResults,
  medianTorch,
  pairedRatios,
  type TorchRow,
} from './bench-compare.js';
import type { BenchResult } from './bench-step.js';

const ours = (name: string, backend: string, tokensPerSec: number, customKernels = true) =>
  ({ name, backend, kernels: `${backend}-k`, customKernels, tokensPerSec }) as BenchResult;
const torch = (name: string, tokensPerSec: number) => ({ name, torch: '1.13', tokensPerSec }) as TorchRow;

describe('bench rounds', () => {
  it('median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('pairs each round: the median per-round ratio, not the ratio of medians', () => {
    // Round 2 is a slow minute for both sides; round 3 one for torch only.
    const rounds: BenchRound[] = [
      {
        name: 'w',
        round: 1,
        ours: [ours('w', 'native', 200), ours('w', 'wasm', 50)],
        torch: torch('w', 100),
      },
      { name: 'w', round: 2, ours: [ours('w', 'native', 100), ours('w', 'wasm', 25)], torch: torch('w', 50) },
      { name: 'w', round: 3, ours: [ours('w', 'native', 210), ours('w', 'wasm', 52)], torch: torch('w', 60) },
    ];
    const [r] = pairedRatios(rounds);
    expect(r.name).toBe('w');
    expect(r.backend).toBe('native');
    expect(r.rounds).toBe(3);
    expect(r.ratio).toBe(2); // per round 2, 2, 3.5
    expect(r.ratioMin).toBe(2);
    expect(r.ratioMax).toBe(3.5);
    expect(r.tokensPerSec).toBe(200);
    expect(r.torchTokensPerSec).toBe(60);
    // Rows shown: each (workload, backend)'s median round.
    expect(medianResults(rounds).map((x) => [x.backend, x.tokensPerSec])).toEqual([
      ['native', 200],
      ['wasm', 50],
    ]);
    expect(medianTorch(rounds).map((x) => x.tokensPerSec)).toEqual([60]);
  });

  it("prefers the project's kernels and skips rounds with a side missing", () => {
    const rounds: BenchRound[] = [
      {
        name: 'w',
        round: 1,
        ours: [ours('w', 'tensorflow', 900, false), ours('w', 'wasm', 90)],
        torch: torch('w', 100),
      },
      { name: 'w', round: 2, ours: [], torch: torch('w', 100) },
      { name: 'v', round: 1, ours: [ours('v', 'wasm', 10)], torch: null },
    ];
    const r = pairedRatios(rounds);
    expect(r).toHaveLength(1);
    expect(r[0].backend).toBe('wasm');
    expect(r[0].ratio).toBe(0.9);
    expect(r[0].rounds).toBe(1);
  });
});
