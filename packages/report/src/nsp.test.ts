import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXPERIMENT_REPORTS, figuresAll } from './figures.js';
import {
  NSP_FIGURES,
  type NspSummary,
  nspFinetuneSpec,
  nspHeadlineMetrics,
  nspMlmLossSpec,
  nspNspLossSpec,
  nspReport,
  nspValidationCurves,
} from './nsp.js';
import { writeSyntheticNspRun } from './nsp-synthetic.js';
import { renderSvg, svgToPng } from './render.js';
import { loadRun } from './results.js';

const root = mkdtempSync(join(tmpdir(), 'nsp-report-'));
const results = join(root, 'results');
const runDir = writeSyntheticNspRun(results);

describe('nsp figures', () => {
  it('figuresAll writes the three figures and the report; a second render is byte-identical', async () => {
    const docs = join(root, 'docs');
    const r = await figuresAll(results, docs, { nsp: EXPERIMENT_REPORTS.nsp });
    expect(r.notes).toEqual([`nsp: ${runDir}`]);
    const figs = join(docs, 'figures');
    expect(r.files).toEqual([
      ...NSP_FIGURES.flatMap((n) => [join(figs, `${n}.svg`), join(figs, `${n}.png`)]),
      join(docs, 'experiments', 'nsp.md'),
    ]);
    // Second render in the same process (vega's id counters have moved on): identical SVG bytes,
    // and identical PNG bytes for one figure (PNGs come from the SVG alone; render.test pins that).
    const run = loadRun(runDir);
    const svgs = await Promise.all(
      [nspMlmLossSpec(run), nspNspLossSpec(run), nspFinetuneSpec(run)].map((spec) => renderSvg(spec)),
    );
    for (let i = 0; i < svgs.length; i++) expect(svgs[i]).toBe(readFileSync(r.files[2 * i], 'utf8'));
    expect(Buffer.from(svgToPng(svgs[0])).equals(readFileSync(r.files[1]))).toBe(true);
    const nspSvg = readFileSync(join(figs, 'nsp-nsp-loss.svg'), 'utf8');
    expect(nspSvg).toContain('chance: ln 2 = 0.693');
    expect(readFileSync(join(figs, 'nsp-finetune.svg'), 'utf8')).toContain('no pretraining');
  });
});

describe('nsp specs', () => {
  const run = loadRun(runDir);
  it('average validation curves over seeds, per variant and step', () => {
    const mlm = nspValidationCurves(run, 'mlm');
    expect(new Set(mlm.map((p) => p.variant)).size).toBe(5);
    expect(mlm.every((p) => p.n === 3 && p.lo <= p.mean && p.mean <= p.hi)).toBe(true);
    // NSP loss only for the two formats with NSP.
    expect([...new Set(nspValidationCurves(run, 'nsp').map((p) => p.variant))]).toEqual([
      'SEGMENT-PAIR + NSP',
      'SENTENCE-PAIR + NSP',
    ]);
    expect(JSON.stringify(nspNspLossSpec(run))).toContain(String(Math.LN2));
  });
  it('the fine-tune chart has one mean per variant and task, and every seed', () => {
    const values = (nspFinetuneSpec(run) as { data: { values: { kind: string }[] } }).data.values;
    expect(values.filter((v) => v.kind === 'mean')).toHaveLength(6 * 2);
    expect(values.filter((v) => v.kind === 'seed')).toHaveLength(6 * 2 * 3);
  });
});

describe('nspReport', () => {
  const md = nspReport(runDir, '../figures/');
  const summary = loadRun(runDir).summary as unknown as NspSummary;

  it('embeds figures, run metadata, setup and the paper tables', () => {
    for (const f of NSP_FIGURES) expect(md).toContain(`](../figures/${f}.svg)`);
    expect(md).toContain('`20250102-000000-nsp-synthetic`');
    expect(md).toContain('`fedcba987654`');
    expect(md).toContain('wasm, 2 threads');
    expect(md).toMatch(/Corpus: brown/);
    expect(md).toMatch(/2 layers, d_model 64/);
    expect(md).toMatch(/600,000 real \(non-padding\) tokens/);
    expect(md).toContain('Seeds: 1, 2 and 3 (3)');
    expect(md).toContain('| SEGMENT-PAIR + NSP | 90.4/78.7 | 84.0 | 92.9 | 64.2 |');
    expect(md).toContain('| static | 78.3 | 84.3 | 92.5 |');
  });

  it('has one row per variant plus no pretraining, with mean ± std in percent', () => {
    const segment = summary.table.find((r) => r.variant === 'SEGMENT-PAIR + NSP');
    const acc = segment?.tasks['brown-genre'].accuracy;
    const cell = `${(100 * (acc?.mean ?? 0)).toFixed(1)} ± ${(100 * (acc?.std ?? 0)).toFixed(1)}`;
    expect(md).toContain(`| SEGMENT-PAIR + NSP | segment-pair | dynamic | yes |`);
    expect(md).toContain(cell);
    expect(md).toMatch(/\| no pretraining \| — \| — \| — \|/);
    expect(nspHeadlineMetrics(summary)).toEqual({ 'brown-genre': 'macroF1', spam: 'macroF1' });
  });

  it('judges each claim by the noise rule, from the numbers', () => {
    expect(md).toContain('## Honest reading');
    expect(md).toContain('exceeds std A + std B');
    // The synthetic effects: sentence pairs lose ~5 points, pretraining gains ~10, the rest is noise.
    expect(md).toMatch(/\*\*Single-sentence pairs hurt\*\*.*Verdict: supported/);
    expect(md).toMatch(/\*\*Pretraining beats no pretraining\*\*.*Verdict: supported \(10 of 10/);
    expect(md).toMatch(/\*\*Dynamic masking is about equal to static\*\*.*Verdict: /);
    expect(md).toMatch(/may well be within noise/);
    expect(md).toContain('- kjv-web-paraphrase: the KJV and WEB Bible corpora are not installed');
  });

  it('does not judge a single seed', () => {
    const dir = writeSyntheticNspRun(join(root, 'one'), { seeds: [1], evalPoints: 2 });
    const one = nspReport(dir, '../figures');
    expect(one).toMatch(/\*\*Pretraining beats no pretraining\*\*.*Cannot be judged: one seed/);
    expect(one).not.toMatch(/as the paper found/);
  });

  it('is deterministic', () => {
    expect(nspReport(runDir, '../figures')).toBe(md);
  });
});
