import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAblation } from '../ablation/summary.js';
import { EXPERIMENT_REPORTS, figuresAll } from '../figures.js';
import { renderSvg, svgToPng } from '../render.js';
import { judgeNsp } from './reading.js';
import { NSP_FIGURES, nspLearningCurvesSpec, nspMlmLossSpec, nspPairLossSpec, nspReport } from './report.js';
import { writeSyntheticNspRun } from './synthetic.js';

const root = mkdtempSync(join(tmpdir(), 'nsp-report-'));
const results = join(root, 'results');
const runDir = writeSyntheticNspRun(results);
const md = nspReport(runDir, '../figures/');

/** The overall verdict of each claim of a run, by claim id. */
const verdicts = (dir: string) =>
  Object.fromEntries(
    judgeNsp(loadAblation(dir).summary).flatMap((g) => g.results.map((r) => [r.claim.id, r.verdict])),
  );

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
    // Rendered again in the same process (vega's id counters have moved on): the same bytes.
    const run = loadAblation(runDir);
    const specs = [nspMlmLossSpec(run), nspPairLossSpec(run), nspLearningCurvesSpec(run)];
    const svgs = await Promise.all(specs.map((spec) => renderSvg(spec)));
    for (let i = 0; i < svgs.length; i++) expect(svgs[i]).toBe(readFileSync(r.files[2 * i], 'utf8'));
    expect(Buffer.from(svgToPng(svgs[0])).equals(readFileSync(r.files[1]))).toBe(true);
    expect(svgs[1]).toContain('chance: ln 2 = 0.693');
    expect(svgs[2]).toContain('no pretraining');
    expect(readFileSync(join(docs, 'experiments', 'nsp.md'), 'utf8')).toBe(md);
  });
});

describe('nspReport', () => {
  it('embeds the figures, the run, what was run (from config.json) and the paper tables', () => {
    for (const f of NSP_FIGURES) expect(md).toContain(`](../figures/${f}.svg)`);
    expect(md).toContain('`20250102-000000-nsp-synthetic`');
    expect(md).toContain('`fedcba987654`');
    expect(md).toContain('wasm, 2 threads');
    expect(md).toContain('Pretraining data: 100 training documents');
    expect(md).toContain('unlabelled training inputs of `spam`, each cut to its first 60 words');
    expect(md).toContain('probe at 64 and 256; fine-tune at 256 labelled training examples');
    expect(md).toContain('Probe: a linear classifier');
    expect(md).toContain('300 steps, lr 0.05, L2 0.001');
    expect(md).toContain('Seeds: 1, 2 and 3 (3)');
    expect(md).toContain('18 pretrainings and 126 evaluations (144 of 144 planned)');
    expect(md).toContain('| SEGMENT-PAIR + NSP | 90.4/78.7 | 84.0 | 92.9 | 64.2 |');
    expect(md).toContain('| static | 78.3 | 84.3 | 92.5 |');
    expect(md).toMatch(/\| SEGMENT-PAIR \+ NSP \| segment-pair \| dynamic \| nsp \| 3 completed \|/);
    expect(md).toContain('- kjv-web-paraphrase: the KJV and WEB Bible corpora are not installed');
  });

  it('states the rule and prints every verdict line with its test', () => {
    expect(md).toContain('a majority of its cells are supported and none is not supported');
    expect(md).toMatch(
      /- spam, probe 64: \+\d+\.\d points \[\+\d+\.\d, \+\d+\.\d\], p < 0\.001, paired bootstrap over 3 seeds × 600 test examples: supported/,
    );
    expect(md).not.toContain('exceeds std A + std B'); // the old noise rule is gone
  });

  it('a planted large effect is supported; a zero effect is within noise; equal within the margin is supported', () => {
    const v = verdicts(runDir);
    for (const name of ['SEGMENT-PAIR + NSP', 'SENTENCE-PAIR + NSP', 'SEGMENT-PAIR + SOP', 'DOC-SENTENCES'])
      expect(v[`pretraining-${name}`]).toBe('supported'); // +5 to +14 points
    expect(v['sentence-pair-less']).toBe('supported'); // −5 points
    expect(v['doc-vs-full-greater']).toBe('within noise'); // 0
    expect(v['no-nsp-full-greater']).toBe('within noise'); // 0
    expect(v['no-nsp-full-equal']).toBe('supported'); // 0, margin 2 points
    expect(v['masking-equal']).toBe('supported');
    expect(md).toMatch(
      /Per variant, cells where it beats no pretraining: SEGMENT-PAIR \+ NSP: supported \(6 of 6/,
    );
  });

  it('a planted reverse effect is not supported', () => {
    const dir = writeSyntheticNspRun(join(root, 'reverse'), {
      effects: { sentence: 0.15, doc: 0.05 },
      tasks: ['spam'],
    });
    const v = verdicts(dir);
    expect(v['sentence-pair-less']).toBe('not supported'); // +5 points where the paper says worse
    expect(v['doc-vs-full-greater']).toBe('not supported'); // −5 points
    expect(nspReport(dir, '../figures')).toMatch(
      /What did not \(not supported[^\n]*Single-sentence pairs hurt/,
    );
  });

  it('claims whose rows are absent are not run', () => {
    const dir = writeSyntheticNspRun(join(root, 'two'), { roles: ['segment', 'docStatic'], seeds: [1] });
    const v = verdicts(dir);
    expect(v['masking-equal']).toBe('not run');
    expect(v['sop-greater']).toBe('not run');
    expect(v['pretraining-SEGMENT-PAIR + NSP']).toBe('supported');
    const one = nspReport(dir, '../figures');
    expect(one).toContain(
      "DOC-SENTENCES vs DOC-SENTENCES, static masking, equal within ±2.0 points: not run ('DOC-SENTENCES' is not in this run)",
    );
    expect(one).toContain('This run has one seed');
  });

  it('is byte-deterministic: the same input twice gives the same string', () => {
    expect(nspReport(runDir, '../figures')).toBe(md);
  });
});
