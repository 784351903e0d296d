import { UserError } from '@pretrain-lab/runtime';
import { describe, expect, it } from 'vitest';
import {
  benchCommand,
  benchShape,
  flopsPerToken,
  parseWorkloads,
  tokensPerStep,
  WORKLOAD_NAMES,
  WORKLOADS,
} from './bench.js';

describe('bench', () => {
  it('times one scaling-min step on the wasm kernels: every field filled, finite loss, no leak', async () => {
    const w = WORKLOADS['scaling-min'];
    const r = await benchShape(w, 'wasm', 1, 1);
    expect(r.name).toBe('scaling-min');
    expect(r.backend).toBe('wasm');
    expect(r.kernels).toMatch(/^wasm-/);
    expect(r.customKernels).toBe(true);
    expect(r.threads).toBeGreaterThanOrEqual(1);
    expect(r.steps).toBe(1);
    expect(r.tokensPerStep).toBe(16 * 64);
    expect(r.flopsPerToken).toBe(flopsPerToken(w));
    for (const k of ['tokensPerSec', 'medianStepMs', 'gflops', 'mfu', 'peakGflops', 'peakRssMiB'] as const) {
      expect(Number.isFinite(r[k]), k).toBe(true);
      expect(r[k], k).toBeGreaterThan(0);
    }
    expect(Number.isFinite(r.lossAfter)).toBe(true);
    // Two steps on one batch from ln(1024) = 6.93 at init: still near it, not diverged.
    expect(r.lossAfter).toBeGreaterThan(5);
    expect(r.lossAfter).toBeLessThan(8);
    expect(r.numTensorsGrowth).toBe(0);
  });

  it('names the workloads and sizes them', () => {
    expect(parseWorkloads().map((w) => w.name)).toEqual([
      'GPT-ref',
      'scaling-min',
      'scaling-max',
      'nsp',
      'spans',
    ]);
    expect(parseWorkloads(' nsp,spans ,nsp').map((w) => w.name)).toEqual(['nsp', 'spans']);
    expect(tokensPerStep(WORKLOADS.spans)).toBe(32 * (64 + 20));
    // GPT-ref: 6 * 12 L d^2 + 12 L d T, as before the workloads were added.
    expect(flopsPerToken(WORKLOADS['GPT-ref'])).toBe(6 * 12 * 4 * 128 * 128 + 12 * 4 * 128 * 128);
  });

  it('rejects an unknown workload with one line listing the valid names', async () => {
    const check = (e: unknown) => {
      expect(e).toBeInstanceOf(UserError);
      const msg = (e as Error).message;
      expect(msg).not.toContain('\n');
      expect(msg).toContain("'gpt-huge'");
      for (const n of WORKLOAD_NAMES) expect(msg).toContain(n);
    };
    expect.assertions(2 * (3 + WORKLOAD_NAMES.length));
    try {
      parseWorkloads('nsp,gpt-huge');
    } catch (e) {
      check(e);
    }
    // The command fails before it starts any child process.
    await benchCommand({ steps: '1', workloads: 'gpt-huge', backend: 'wasm' }).catch(check);
  });
});
