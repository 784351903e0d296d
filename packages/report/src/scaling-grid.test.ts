import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { figuresAll } from './figures.js';
import { loadRun } from './results.js';
import { scalingFigureNames, scalingFigures, scalingReport } from './scaling.js';
import { SCALING_ANCHORS } from './scaling-anchors.js';
import { anchorRows, gridVerdicts, isoflopSpec, optimalSpec } from './scaling-grid.js';
import { writeSyntheticGridRun } from './synthetic.js';

const root = mkdtempSync(join(tmpdir(), 'scaling-grid-report-'));
const runDir = writeSyntheticGridRun(join(root, 'results'), { bootstrap: 30, diverged: ['C1e11-L1-D16'] });
const summary = () => JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));

describe('grid figures', () => {
  it('writes the IsoFLOP, optimal-N/D and Kaplan panels, byte-identical on a second render', async () => {
    const names = scalingFigureNames(runDir);
    expect(names).toEqual([
      'scaling-isoflop-total',
      'scaling-isoflop-nonembedding',
      'scaling-optimal-n-d',
      'scaling-loss-vs-compute',
      'scaling-loss-vs-tokens',
      'scaling-loss-vs-params',
    ]);
    const a = join(root, 'f1');
    const b = join(root, 'f2');
    const fa = await scalingFigures(runDir, a);
    const fb = await scalingFigures(runDir, b);
    expect(fa.map((f) => f.slice(a.length + 1))).toEqual(names.flatMap((n) => [`${n}.svg`, `${n}.png`]));
    for (let i = 0; i < fa.length; i++) expect(readFileSync(fa[i]).equals(readFileSync(fb[i]))).toBe(true);
    const svg = readFileSync(join(a, 'scaling-isoflop-total.svg'), 'utf8');
    expect(svg).toContain('IsoFLOP profiles, total parameters');
    expect(readFileSync(join(a, 'scaling-optimal-n-d.svg'), 'utf8')).toContain('stroke-dasharray');
  });

  it('draws one parabola per budget with a minimum, from the stored coefficients', () => {
    const run = loadRun(runDir);
    const spec = isoflopSpec(run, 'total') as unknown as {
      layer: { data: { values: { budget: string }[] } }[];
    };
    const budgets = new Set(spec.layer[0].data.values.map((v) => v.budget));
    expect(budgets.size).toBe(summary().fits.total.approach2.profiles.length);
    expect(spec.layer[2].data.values).toHaveLength(budgets.size);
    const opt = JSON.stringify(optimalSpec(run));
    expect(opt).toContain(
      `Chinchilla ${SCALING_ANCHORS.chinchilla.a[1]}, Kaplan ${SCALING_ANCHORS.kaplan.nOpt}`,
    );
  });
});

describe('grid report', () => {
  const md = scalingReport(runDir, '../figures/');

  it('embeds every figure and states the FLOP convention and the grid', () => {
    for (const n of scalingFigureNames(runDir)) expect(md).toContain(`(../figures/${n}.svg)`);
    expect(md).toContain('C = 6 N D with N = all trainable parameters including embeddings');
    expect(md).toMatch(/4 budgets, 1\.00e11, 4\.64e11, 2\.15e12, 1\.00e13 FLOPs \(2 decades\)/);
    expect(md).toContain('20250101-000000-synthetic-grid');
  });

  it('puts every paper’s number beside ours, with whether our interval contains it', () => {
    for (const v of [
      '0.49',
      '0.74',
      '0.46',
      '0.5',
      '0.348',
      '0.366',
      '1.82',
      '0.86',
      '0.73',
      '0.076',
      '0.05',
      '0.095',
    ])
      expect(md).toContain(`| ${v} |`);
    for (const r of anchorRows(summary().fits)) {
      if (r.ci && r.ours !== null) expect(r.contains).toBe(r.ci[0] <= r.theirs && r.theirs <= r.ci[1]);
    }
    expect(md).toContain('Pearce & Song 2024, "Reconciling Kaplan and Chinchilla Scaling Laws" (TMLR)');
  });

  it('computes its verdicts from the fits: a synthetic Chinchilla law passes the reconciliation', () => {
    const v = gridVerdicts(summary().fits);
    expect(v[0].verdict).toBe('yes'); // total-parameter a inside [0.35, 0.65]
    expect(v[1].verdict).toBe('yes'); // non-embedding a clearly higher
    for (const x of v) expect(md).toContain(`| ${x.claim} | ${x.verdict} |`);
  });

  it('lists the diverged unit and leaves it out of the fits', () => {
    expect(md).toMatch(/\| C1e11-L1-D16 \| 1 \| 16 \| .* \| n\/a \| diverged \|/);
    expect(md).toContain('1 unit(s) diverged and are left out of every fit: C1e11-L1-D16');
  });

  it('is deterministic', () => {
    expect(scalingReport(runDir, '../figures')).toBe(md);
  });
});

describe('figuresAll', () => {
  it('reports the newest completed scaling run, grid or not', async () => {
    const docs = join(root, 'docs');
    const out = await figuresAll(join(root, 'results'), docs);
    expect(out.notes.join('\n')).toContain('scaling: ');
    expect(readFileSync(join(docs, 'experiments', 'scaling.md'), 'utf8')).toContain('IsoFLOP profiles');
  });
});
