/**
 * The paper's numbers the spans report sets beside ours, as /work/shared ANCHORS.md records them
 * (Raffel et al. 2020, T5: Table 7, mean span length at 15% corruption; Table 6, corruption rate;
 * the no-pretraining row; the baseline's GLUE standard deviation). Nothing here is measured by
 * us, and nothing is added that ANCHORS.md does not give: it records only Table 6's GLUE column.
 */

/** T5's benchmark columns, in its order; CNNDM is ROUGE-2, SQuAD exact match, EnDe/EnFr/EnRo BLEU. */
export const T5_COLUMNS = ['GLUE', 'CNNDM', 'SQuAD', 'SGLUE', 'EnDe', 'EnFr', 'EnRo'] as const;

export type T5Scores = readonly [number, number, number, number, number, number, number];

/** T5 Table 7: mean span length at 15% corruption; mean span 1 is i.i.d. corruption. */
export const T5_TABLE7: readonly { meanSpan: number; scores: T5Scores }[] = [
  { meanSpan: 1, scores: [83.28, 19.24, 80.88, 71.36, 26.98, 39.82, 27.65] },
  { meanSpan: 2, scores: [83.54, 19.39, 82.09, 72.2, 26.76, 39.99, 27.63] },
  { meanSpan: 3, scores: [83.49, 19.62, 81.84, 72.53, 26.86, 39.65, 27.62] },
  { meanSpan: 5, scores: [83.4, 19.24, 82.05, 72.23, 26.88, 39.4, 27.53] },
  { meanSpan: 10, scores: [82.85, 19.33, 81.84, 70.44, 26.79, 39.49, 27.69] },
];

/** T5 Table 6: GLUE by corruption rate, under i.i.d. corruption (its 15% row is Table 7's i.i.d. row). */
export const T5_TABLE6: readonly { rate: number; glue: number }[] = [
  { rate: 0.1, glue: 82.82 },
  { rate: 0.15, glue: 83.28 },
  { rate: 0.25, glue: 83.0 },
  { rate: 0.5, glue: 81.27 },
];

/** T5's baseline architecture trained from random initialisation (no pretraining). */
export const T5_NO_PRETRAINING: T5Scores = [66.22, 17.6, 50.31, 53.04, 25.86, 39.77, 24.04];

/** Standard deviation of T5's baseline GLUE score over runs. */
export const T5_GLUE_STD = 0.235;

/** The rate T5's Table 7 holds fixed. */
export const T5_SPAN_RATE = 0.15;

const f2 = (x: number) => x.toFixed(2);
const pct = (rate: number) => `${Math.round(100 * rate)}%`;
const same = (a: number, b: number) => Math.abs(a - b) < 1e-9;

/** "83.28 · 19.24 · 80.88 · 71.36 · 26.98 · 39.82 · 27.65". */
export const scoresCell = (s: T5Scores): string => s.map(f2).join(' · ');

export const table7Row = (meanSpan: number) => T5_TABLE7.find((r) => same(r.meanSpan, meanSpan));
export const table6Row = (rate: number) => T5_TABLE6.find((r) => same(r.rate, rate));

/** The paper's Table 7 row for one of our span-sweep rows, as one cell. */
export function table7Cell(v: { pretrained: boolean; meanSpan?: number; rate?: number }): string {
  if (!v.pretrained) return `no pretraining: ${scoresCell(T5_NO_PRETRAINING)}`;
  if (v.rate !== undefined && !same(v.rate, T5_SPAN_RATE)) return `— (T5 used ${pct(T5_SPAN_RATE)})`;
  const row = v.meanSpan === undefined ? undefined : table7Row(v.meanSpan);
  return row ? scoresCell(row.scores) : '— (not in Table 7)';
}

/** The paper's Table 6 GLUE for one of our rate-sweep rows, as one cell. */
export function table6Cell(v: { pretrained: boolean; rate?: number }): string {
  if (!v.pretrained) return f2(T5_NO_PRETRAINING[0]);
  const row = v.rate === undefined ? undefined : table6Row(v.rate);
  return row ? f2(row.glue) : '— (not in Table 6)';
}

/** "span 3 − i.i.d.: +0.21 GLUE, +0.96 SQuAD, ...": a difference of two Table 7 rows, every column. */
export function table7Diff(a: number, b: number): string {
  const ra = table7Row(a);
  const rb = table7Row(b);
  if (!ra || !rb) return '';
  const d = (x: number) => (x >= 0 ? `+${f2(x)}` : `−${f2(-x)}`);
  return T5_COLUMNS.map((c, i) => `${d(ra.scores[i] - rb.scores[i])} ${c}`).join(', ');
}

/** "10% 82.82, 15% 83.28, 25% 83.00, 50% 81.27 GLUE". */
export const table6Text = (): string =>
  `${T5_TABLE6.map((r) => `${pct(r.rate)} ${f2(r.glue)}`).join(', ')} GLUE`;

/** The paper's tables, in markdown. */
export function paperTables(): string[] {
  const head = `| ${T5_COLUMNS.join(' | ')} |`;
  const align = `| ${T5_COLUMNS.map(() => '---:').join(' | ')} |`;
  const L = [
    "The paper's numbers (T5, Raffel et al. 2020; CNNDM is ROUGE-2, SQuAD exact match, EnDe / EnFr / EnRo BLEU):",
    '',
    `| T5 Table 7, mean span at 15% ${head}`,
    `| --- ${align}`,
  ];
  for (const r of T5_TABLE7)
    L.push(`| ${r.meanSpan === 1 ? 'i.i.d.' : r.meanSpan} | ${r.scores.map(f2).join(' | ')} |`);
  L.push(`| no pretraining | ${T5_NO_PRETRAINING.map(f2).join(' | ')} |`, '');
  L.push('| T5 Table 6, corruption rate (i.i.d.) | GLUE |', '| --- | ---: |');
  for (const r of T5_TABLE6) L.push(`| ${pct(r.rate)} | ${f2(r.glue)} |`);
  L.push(
    '',
    `ANCHORS.md records only Table 6's GLUE column, so no other column of it is quoted. T5's baseline GLUE score has a standard deviation of ${T5_GLUE_STD} over runs, so most of Table 7's gaps are one to two standard deviations.`,
  );
  return L;
}
