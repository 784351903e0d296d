import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRun } from './results.js';
import {
  lossVsComputeSpec,
  lossVsParamsSpec,
  runFits,
  SCALING_FIGURES,
  scalingFigures,
  scalingReport,
} from './scaling.js';
import { writeSyntheticScalingRun } from './synthetic.js';

const root = mkdtempSync(join(tmpdir(), 'scaling-report-'));
const runDir = writeSyntheticScalingRun(join(root, 'results'), { bootstrap: 100 });

describe('scalingFigures', () => {
  it('writes the three panels as svg and png, byte-identical on a second render', async () => {
    const out1 = join(root, 'f1');
    const out2 = join(root, 'f2');
    const files1 = await scalingFigures(runDir, out1);
    const files2 = await scalingFigures(runDir, out2);
    expect(files1.map((f) => f.slice(out1.length + 1))).toEqual(
      SCALING_FIGURES.flatMap((n) => [`${n}.svg`, `${n}.png`]),
    );
    for (let i = 0; i < files1.length; i++)
      expect(readFileSync(files1[i]).equals(readFileSync(files2[i]))).toBe(true);
    const svg = readFileSync(join(out1, 'scaling-loss-vs-compute.svg'), 'utf8');
    expect(svg).toContain('Compute C (PF-days');
    expect(svg).toContain('Validation loss (nats/token)');
    expect(svg).toContain('stroke-dasharray');
  });
});

describe('specs', () => {
  it('draw the fitted frontier and both N fits when present', () => {
    const run = loadRun(runDir);
    const { fits, recomputed } = runFits(run);
    expect(recomputed).toBe(false);
    const c = JSON.stringify(lossVsComputeSpec(run, fits));
    expect(c).toContain('"strokeDash":[6,4]');
    const p = lossVsParamsSpec(run, fits) as { layer: unknown[] };
    expect(p.layer).toHaveLength(3);
  });

  it('recompute fits for a summary without them', () => {
    const dir = writeSyntheticScalingRun(join(root, 'old'), { omitFits: true, bootstrap: 0 });
    const { fits, recomputed } = runFits(loadRun(dir));
    expect(recomputed).toBe(true);
    expect(fits.params?.a).toBeGreaterThan(0);
  });
});

describe('scalingReport', () => {
  const md = scalingReport(runDir, '../figures/');

  it('embeds figures, run metadata and both papers', () => {
    expect(md).toContain('![Validation loss vs compute](../figures/scaling-loss-vs-compute.svg)');
    expect(md).toContain('../figures/scaling-loss-vs-params.svg');
    expect(md).toContain('../figures/scaling-loss-vs-tokens.svg');
    expect(md).toContain('20250101-000000-synthetic');
    expect(md).toContain('`0123456789ab`');
    expect(md).toContain('wasm');
    expect(md).toContain('2025-01-01T00:00:00.000Z');
    for (const v of ['0.076', '0.05', '0.095', '0.34', '0.28', '1.69']) expect(md).toContain(v);
    expect(md).toContain('## What differs at this scale and why');
  });

  it('has one row per model with its numbers', () => {
    expect(md).toMatch(/\| L2-D32 \| 2 \| 32 \| 24,576 \|/);
    expect(md).toMatch(/\| L6-D192 \| 6 \| 192 \| 2,654,208 \|/);
  });

  it('derives the discussion from the numbers', () => {
    const fits = runFits(loadRun(runDir)).fits;
    const ci = fits.params?.ci as [number, number];
    const contains = ci[0] <= 0.076 && 0.076 <= ci[1];
    expect(md).toContain(contains ? 'contains Kaplan' : 'does not contain Kaplan');
    expect(md).toMatch(/We train on synthetic with a byte tokenizer of 256 tokens/);
  });

  it('is deterministic', () => {
    expect(scalingReport(runDir, '../figures')).toBe(md);
  });
});
