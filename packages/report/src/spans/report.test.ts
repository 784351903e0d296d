import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAblation } from '../ablation/summary.js';
import { EXPERIMENT_REPORTS, figuresAll } from '../figures.js';
import { renderSvg, svgToPng } from '../render.js';
import { scorePoints, spansLossSpec, spansScoresSpec, spansTargetLengthSpec } from './charts.js';
import { judgeSpans } from './reading.js';
import { SPANS_FIGURES, spansReport } from './report.js';
import { type SyntheticSpansRunOptions, writeSyntheticSpansRun } from './synthetic.js';

const root = mkdtempSync(join(tmpdir(), 'spans-report-'));
const results = join(root, 'results');
const runDir = writeSyntheticSpansRun(results);
const md = spansReport(runDir, '../figures/');

/** The verdict of each claim per task kind, by "claim id/kind". */
const verdicts = (dir: string) =>
  Object.fromEntries(
    judgeSpans(loadAblation(dir).summary).flatMap((g) =>
      g.claims.flatMap((c) => c.perKind.map((k) => [k.result.claim.id, k.result.verdict])),
    ),
  );
let n = 0;
const run = (o: SyntheticSpansRunOptions) => writeSyntheticSpansRun(join(root, `run${n++}`), o);
const both = (v: Record<string, string>, id: string) => [v[`${id}/generation`], v[`${id}/classification`]];

describe('spans figures', () => {
  it('figuresAll writes the three figures and the report; a second render is byte-identical', async () => {
    const docs = join(root, 'docs');
    const r = await figuresAll(results, docs, { spans: EXPERIMENT_REPORTS.spans });
    expect(r.notes).toEqual([`spans: ${runDir}`]);
    const figs = join(docs, 'figures');
    expect(r.files).toEqual([
      ...SPANS_FIGURES.flatMap((f) => [join(figs, `${f}.svg`), join(figs, `${f}.png`)]),
      join(docs, 'experiments', 'spans.md'),
    ]);
    // Rendered again in the same process (vega's id counters have moved on): the same bytes.
    const a = loadAblation(runDir);
    const svgs = await Promise.all(
      [spansLossSpec(a), spansScoresSpec(a), spansTargetLengthSpec(a)].map((spec) => renderSvg(spec)),
    );
    for (let i = 0; i < svgs.length; i++) expect(svgs[i]).toBe(readFileSync(r.files[2 * i], 'utf8'));
    expect(Buffer.from(svgToPng(svgs[1])).equals(readFileSync(r.files[3]))).toBe(true);
    expect(svgs[1]).toContain('dashed grey: no pretraining');
    expect(svgs[2]).toContain('i.i.d.');
    expect(readFileSync(join(docs, 'experiments', 'spans.md'), 'utf8')).toBe(md);
  });

  it('the score chart has a point per sweep row and cell, the shared row twice, and a rule per cell', () => {
    const { points, rules } = scorePoints(loadAblation(runDir).summary);
    expect(points).toHaveLength((5 + 4) * 2); // span 3, 15% sits in both sweeps; 2 tasks
    expect(rules).toHaveLength(2);
  });
});

describe('spansReport', () => {
  it('embeds the figures and says what was run, from config.json and summary.json', () => {
    for (const f of SPANS_FIGURES) expect(md).toContain(`](../figures/${f}.svg)`);
    expect(md).toContain('`20250102-000000-spans-synthetic`');
    expect(md).toContain(
      'mean spans 1 (i.i.d.), 2, 3, 5 and 10 at 15% corruption and corruption rates 10%, 15%, 25% and 50% at mean span 3 (8 pretrained settings',
    );
    expect(md).toContain('250 steps of 32 inputs of 64 tokens per setting and seed, 512,000 input tokens');
    expect(md).toContain('Each input is cut from 63 to 94 raw tokens');
    expect(md).toContain('24 pretrainings and 54 evaluations (78 of 78 planned)');
    expect(md).toMatch(/\| span 3, 50% \| 3 completed \|[^\n]*\| 94 \| 64\.0 \|/);
  });

  it("lays out T5 Tables 7 and 6 beside ours, with the paper's numbers from ANCHORS.md", () => {
    expect(md).toMatch(
      /\| span 1 \(i\.i\.d\.\), 15% \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| 83\.28 · 19\.24 · 80\.88 · 71\.36 · 26\.98 · 39\.82 · 27\.65 \|/,
    );
    expect(md).toMatch(/\| span 3, 50% \| [^\n]* \| 81\.27 \|/);
    expect(md).toContain('| no pretraining | 66.22 | 17.60 | 50.31 | 53.04 | 25.86 | 39.77 | 24.04 |');
    expect(md).toContain("ANCHORS.md records only Table 6's GLUE column");
    expect(md).toContain('**brown-restore**, ROUGE-L in percent over cased tokens');
  });

  it('states the rule and prints every verdict line with its test, interval, p and seeds', () => {
    expect(md).toContain('a "greater or equal" claim (non-inferiority');
    expect(md).toMatch(
      /- classification: spam, fine-tune 1000: −\d\.\d points \[−\d\.\d, −\d\.\d\], p [<=] 0\.0\d+, paired bootstrap over 3 seeds × 300 test examples: supported \(1 of 1 cell supported\)\./,
    );
  });

  it('planted effects: large ones supported, none within noise, per task kind', () => {
    const v = verdicts(runDir);
    expect(both(v, 'rate-15-vs-50')).toEqual(['supported', 'supported']); // +5 points
    expect(both(v, 'span-10-vs-3')).toEqual(['supported', 'supported']); // −4 points
    expect(both(v, 'span-3-vs-iid')).toEqual(['supported', 'supported']); // 0, not 2 points below
    for (const name of ['span 1 (i.i.d.), 15%', 'span 3, 50%'])
      expect(both(v, `pretraining-${name}`)).toEqual(['supported', 'supported']);
    const flat = verdicts(run({ effects: { 'span 3, 50%': 0.1 }, tasks: ['spam'] }));
    expect(flat['rate-15-vs-50/classification']).toBe('within noise'); // 0 where the paper says worse
  });

  it('planted reverse effects are not supported', () => {
    const dir = run({ effects: { 'span 10, 15%': 0.15, 'span 3, 50%': 0.15, 'span 2, 15%': 0.02 } });
    const v = verdicts(dir);
    expect(both(v, 'span-10-vs-3')).toEqual(['not supported', 'not supported']); // +5 points
    expect(both(v, 'rate-15-vs-50')).toEqual(['not supported', 'not supported']); // −5 points
    expect(both(v, 'span-2-vs-iid')).toEqual(['not supported', 'not supported']); // −8 points
    expect(spansReport(dir, '../figures')).toMatch(
      /What did not \(not supported[^\n]*Mean spans of 2 to 5 beat or match[^\n]*`span 10, 15%` vs `span 3, 15%` \(less\)/,
    );
  });

  it('settings the run lacks are not run; one seed says so', () => {
    const dir = run({ meanSpans: [1, 3], rates: [0.15, 0.5], seeds: [1] });
    const v = verdicts(dir);
    expect(both(v, 'span-10-vs-3')).toEqual(['not run', 'not run']);
    expect(both(v, 'rate-10-vs-15')).toEqual(['not run', 'not run']);
    expect(v['pretraining-span 3, 50%/classification']).toBe('supported');
    const one = spansReport(dir, '../figures');
    expect(one).toContain(
      "- `span 10, 15%` vs `span 3, 15%` (less): not run ('span 10, 15%' is not in this run).",
    );
    expect(one).toContain('This run has one seed');
  });

  it('a generation task at 0 everywhere is left untested and said so in plain words', () => {
    const dir = run({ zeroTasks: ['brown-restore'], meanSpans: [1, 3], rates: [0.15] });
    const v = verdicts(dir);
    expect(v['span-3-vs-iid/generation']).toBe('not run');
    expect(v['span-3-vs-iid/classification']).toBe('supported');
    const zero = spansReport(dir, '../figures');
    expect(zero).toContain('**`brown-restore` scored 0 exact match for every row and seed** (9 evaluations)');
    expect(zero).toContain('every test example scores 0 in both rows, a floor: nothing to compare');
    expect(zero).toContain('A prediction of span 1 (i.i.d.), 15%, seed 1: `the the the`');
  });

  it('is byte-deterministic: the same input twice gives the same string', () => {
    expect(spansReport(runDir, '../figures')).toBe(md);
  });

  it('an old-format summary.json is refused with what to do', () => {
    const dir = run({ tasks: ['spam'], meanSpans: [3], rates: [0.15] });
    writeFileSync(join(dir, 'summary.json'), JSON.stringify({ tasks: ['spam'], seeds: [1], table: [] }));
    expect(() => spansReport(dir, '../figures')).toThrow(
      /no 'variants' list: it is not in the ablation schema/,
    );
  });
});
