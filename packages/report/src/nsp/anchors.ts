/**
 * The papers' numbers the NSP report sets beside ours, as /work/shared ANCHORS.md records them
 * (RoBERTa Tables 1 and 2; D2L's small BERT; ALBERT's sentence-order prediction). Nothing here
 * is measured by us, and nothing is added that ANCHORS.md does not give.
 */

/** RoBERTa (Liu et al. 2019) Table 2: base models, medians of 5 seeds; SQuAD is F1. */
export const ROBERTA_TABLE2 = [
  {
    format: 'segment-pair',
    name: 'SEGMENT-PAIR + NSP',
    squad11: 90.4,
    squad20: 78.7,
    mnli: 84.0,
    sst2: 92.9,
    race: 64.2,
  },
  {
    format: 'sentence-pair',
    name: 'SENTENCE-PAIR + NSP',
    squad11: 88.7,
    squad20: 76.2,
    mnli: 82.9,
    sst2: 92.1,
    race: 63.0,
  },
  {
    format: 'full-sentences',
    name: 'FULL-SENTENCES (no NSP)',
    squad11: 90.4,
    squad20: 79.1,
    mnli: 84.7,
    sst2: 92.5,
    race: 64.8,
  },
  {
    format: 'doc-sentences',
    name: 'DOC-SENTENCES (no NSP)',
    squad11: 90.6,
    squad20: 79.7,
    mnli: 84.7,
    sst2: 92.7,
    race: 65.6,
  },
] as const;

/** RoBERTa Table 1: static vs dynamic masking (SQuAD 2.0 F1, MNLI-m, SST-2). */
export const ROBERTA_TABLE1 = {
  static: { squad20: 78.3, mnli: 84.3, sst2: 92.5 },
  dynamic: { squad20: 78.7, mnli: 84.0, sst2: 92.9 },
} as const;

/** D2L's small BERT (WikiText-2, 2 blocks, 128 hidden, 50 steps): final NSP loss range. */
export const D2L_NSP_LOSS = { lo: 0.74, hi: 0.76 } as const;

/**
 * ALBERT (Lan et al. 2019) replaces NSP with sentence-order prediction. ANCHORS.md records the
 * claim but no numbers of ALBERT's NSP-vs-SOP table, so the report quotes none.
 */
export const ALBERT_SOP_ANCHOR =
  "ALBERT (Lan et al. 2019) uses sentence-order prediction instead of NSP; this project's ANCHORS.md records no numbers from ALBERT's NSP-vs-SOP comparison, so none are quoted";

const f1 = (x: number) => x.toFixed(1);

/** "90.4/78.7 · 84.0 · 92.9 · 64.2": a Table 2 row in one cell. */
export const table2Cell = (r: (typeof ROBERTA_TABLE2)[number]): string =>
  `${f1(r.squad11)}/${f1(r.squad20)} · ${f1(r.mnli)} · ${f1(r.sst2)} · ${f1(r.race)}`;

/** The paper's row for a variant's (format, masking, pair objective), as one table cell. */
export function paperCell(fields: Record<string, unknown>, pretrained: boolean): string {
  if (!pretrained) return 'not reported';
  if (fields.pair === 'sop') return 'ALBERT: SOP instead of NSP (no numbers in ANCHORS.md)';
  if (fields.masking === 'static') {
    const s = ROBERTA_TABLE1.static;
    return `Table 1 static masking: — / ${f1(s.squad20)} · ${f1(s.mnli)} · ${f1(s.sst2)} · —`;
  }
  const row = ROBERTA_TABLE2.find((r) => r.format === fields.format);
  return row ? table2Cell(row) : '—';
}

/** The two paper tables, in markdown. */
export function paperTables(): string[] {
  const L = ["The paper's numbers (RoBERTa, base models, medians of 5 seeds; SQuAD is F1):", ''];
  L.push('| RoBERTa Table 2 input format | SQuAD 1.1/2.0 | MNLI-m | SST-2 | RACE |');
  L.push('| --- | ---: | ---: | ---: | ---: |');
  for (const p of ROBERTA_TABLE2)
    L.push(
      `| ${p.name} | ${f1(p.squad11)}/${f1(p.squad20)} | ${f1(p.mnli)} | ${f1(p.sst2)} | ${f1(p.race)} |`,
    );
  L.push('', '| RoBERTa Table 1 masking | SQuAD 2.0 | MNLI-m | SST-2 |', '| --- | ---: | ---: | ---: |');
  for (const k of ['static', 'dynamic'] as const) {
    const t = ROBERTA_TABLE1[k];
    L.push(`| ${k} | ${f1(t.squad20)} | ${f1(t.mnli)} | ${f1(t.sst2)} |`);
  }
  return L;
}
