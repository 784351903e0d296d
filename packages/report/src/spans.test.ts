import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXPERIMENT_REPORTS, figuresAll } from './figures.js';
import { renderSvg, svgToPng } from './render.js';
import { loadRun } from './results.js';
import {
  expectedTargetLength,
  rateRows,
  SPANS_FIGURES,
  type SpansSummary,
  spanRows,
  spansLossSpec,
  spansReport,
  spansScoresSpec,
  spansTargetLengthSpec,
} from './spans.js';
import { writeSyntheticSpansRun } from './spans-synthetic.js';

const root = mkdtempSync(join(tmpdir(), 'spans-report-'));
const results = join(root, 'results');
const runDir = writeSyntheticSpansRun(results);

describe('spans figures', () => {
  it('figuresAll writes the three figures and the report; a second render is byte-identical', async () => {
    const docs = join(root, 'docs');
    const r = await figuresAll(results, docs, { spans: EXPERIMENT_REPORTS.spans });
    expect(r.notes).toEqual([`spans: ${runDir}`]);
    const figs = join(docs, 'figures');
    expect(r.files).toEqual([
      ...SPANS_FIGURES.flatMap((n) => [join(figs, `${n}.svg`), join(figs, `${n}.png`)]),
      join(docs, 'experiments', 'spans.md'),
    ]);
    // Second render in the same process (vega's id counters have moved on): identical SVG bytes,
    // and identical PNG bytes for one figure (PNGs come from the SVG alone; render.test pins that).
    const run = loadRun(runDir);
    const svgs = await Promise.all(
      [spansLossSpec(run), spansTargetLengthSpec(run), spansScoresSpec(run)].map((spec) => renderSvg(spec)),
    );
    for (let i = 0; i < svgs.length; i++) expect(svgs[i]).toBe(readFileSync(r.files[2 * i], 'utf8'));
    expect(Buffer.from(svgToPng(svgs[0])).equals(readFileSync(r.files[1]))).toBe(true);
    expect(readFileSync(join(figs, 'spans-target-length.svg'), 'utf8')).toContain('i.i.d.');
  });
});

describe('spans tables', () => {
  const summary = loadRun(runDir).summary as unknown as SpansSummary;
  it("put the 'both' row (span 3, 15%) in both tables", () => {
    expect(spanRows(summary).map((r) => r.meanSpan)).toEqual([1, 2, 3, 5, 10]);
    expect(rateRows(summary).map((r) => r.rate)).toEqual([0.1, 0.15, 0.25, 0.5]);
  });
  it('expected target length follows the T5 arithmetic', () => {
    // ANCHORS: 512 at 0.15 / 3 needs 568 raw tokens and a 114-token target (EOS and rounding aside).
    const input = 568 - 0.15 * 568 + (0.15 * 568) / 3;
    expect(expectedTargetLength(input, 0.15, 3)).toBeCloseTo((0.15 * 568 * 4) / 3, 6);
    expect(expectedTargetLength(input, 15, 3)).toBeCloseTo(expectedTargetLength(input, 0.15, 3), 9);
  });
  it('the score chart has a point per setting and task, and the no-pretraining line', () => {
    const values = (spansScoresSpec(loadRun(runDir)) as { data: { values: { kind: string }[] } }).data.values;
    expect(values.filter((v) => v.kind === 'point')).toHaveLength((5 + 4) * 2);
    expect(values.filter((v) => v.kind === 'baseline')).toHaveLength(2 * 2);
  });
});

describe('spansReport', () => {
  const md = spansReport(runDir, '../figures');
  it('lays out T5 Tables 7 and 6 beside the paper', () => {
    for (const f of SPANS_FIGURES) expect(md).toContain(`](../figures/${f}.svg)`);
    expect(md).toMatch(/\| i\.i\.d\. \| i\.i\.d\., 15% \|.*\| 83\.28 \| 19\.24 \| 80\.88 \| 71\.36 \|/);
    expect(md).toMatch(/\| 10 \| span 10, 15% \|.*\| 82\.85 \| 19\.33 \| 81\.84 \| 70\.44 \|/);
    expect(md).toMatch(/\| 50% \| span 3, 50% \|.*\| 81\.27 \|/);
    expect(md).toMatch(/\| — \| no pretraining \|/);
    expect(md).toContain('`001122334455` (dirty)');
  });
  it('reads the claims from the numbers', () => {
    expect(md).toMatch(/\*\*Mean spans of 2 to 5 do at least as well as i\.i\.d\.\*\*.*Verdict: consistent/);
    expect(md).toMatch(/\*\*Mean span 10 is slightly worse\*\*.*Verdict: supported/);
    expect(md).toMatch(
      /\*\*Longer spans give shorter targets and faster training\*\*.*falling at every step.*Verdict: supported/,
    );
    expect(md).toMatch(/For 50%: Verdict: supported/);
    expect(md).toContain('exceeds std A + std B');
    expect(md).toMatch(/may well be within noise/);
    expect(md).toContain('- kjv-web-paraphrase:');
  });
  it('is deterministic', () => {
    expect(spansReport(runDir, '../figures/')).toBe(md);
  });
});
