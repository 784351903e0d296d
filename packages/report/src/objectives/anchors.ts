/**
 * The papers' numbers the objectives report sets beside ours, as /work/shared ANCHORS.md records
 * them (T5 Tables 2, 4 and 5; BART Table 1; ELECTRA at equal compute; SpanBERT and ALBERT are
 * named there without numbers). Nothing here is measured by us, and nothing is added that
 * ANCHORS.md does not give.
 */

/** T5 (Raffel et al. 2020), GLUE average: Table 2 (architectures), Tables 4-5 (objectives), no pretraining. */
export const T5_GLUE = {
  noPretraining: 66.22,
  encoderDecoderDenoising: 83.28,
  decoderOnlyLm: 74.7,
  prefixLmTable2: 81.82,
  prefixLm: 80.69,
  bertStyle: 82.96,
  deshuffling: 73.17,
  massStyle: 82.32,
  replaceSpans: 83.28,
  dropTokens: 84.44,
} as const;

/** BART (Lewis et al. 2019) Table 1, base models: SQuAD 1.1 F1 / MNLI accuracy. */
export const BART_TABLE1 = {
  lm: [76.7, 80.1],
  mlm: [90.0, 83.5],
  tokenMasking: [90.4, 84.1],
  tokenDeletion: [90.4, 84.1],
  textInfilling: [90.8, 84.0],
  documentRotation: [77.2, 75.3],
  sentenceShuffling: [85.4, 81.5],
} as const;

/** ELECTRA (Clark et al. 2020) at equal compute (1.4e18 FLOPs, 14M parameters), GLUE dev. */
export const ELECTRA_SMALL = { electra: 79.9, bert: 75.1, gpt: 78.8 } as const;

const bart = (x: readonly [number, number]) =>
  `BART ${x[0].toFixed(1)} / ${x[1].toFixed(1)} (SQuAD F1 / MNLI)`;

/** The paper's number(s) for a row, by its objective, as text for the results tables. */
export function paperCell(objective: unknown, pretrained: boolean): string {
  if (!pretrained) return `T5 no pretraining: ${T5_GLUE.noPretraining} GLUE`;
  switch (objective) {
    case 'mlm':
      return `ELECTRA paper, BERT-Small: ${ELECTRA_SMALL.bert} GLUE; ${bart(BART_TABLE1.mlm)}`;
    case 'electra':
      return `ELECTRA-Small: ${ELECTRA_SMALL.electra} GLUE`;
    case 'causal-lm':
      return `T5 decoder-only LM: ${T5_GLUE.decoderOnlyLm} GLUE; ${bart(BART_TABLE1.lm)}`;
    case 'span-corruption':
      return `T5 replace spans: ${T5_GLUE.replaceSpans} GLUE`;
    case 'bert-style':
      return `T5 BERT-style: ${T5_GLUE.bertStyle} GLUE`;
    case 'prefix-lm':
      return `T5 prefix LM: ${T5_GLUE.prefixLm} GLUE`;
    case 'deshuffle':
      return `T5 deshuffling: ${T5_GLUE.deshuffling} GLUE`;
    case 'text-infilling':
      return bart(BART_TABLE1.textInfilling);
    case 'document-rotation':
      return bart(BART_TABLE1.documentRotation);
    case 'sentence-permutation':
      return `${bart(BART_TABLE1.sentenceShuffling)}, sentence shuffling`;
    case 'span-masking':
      return 'SpanBERT: span masking (with SBO); ANCHORS.md gives no numbers';
    case 'albert-mlm':
      return 'ALBERT: factorized embedding + shared layers; ANCHORS.md gives no numbers';
    case 'token-deletion':
      return `T5 drop tokens: ${T5_GLUE.dropTokens} GLUE; ${bart(BART_TABLE1.tokenDeletion)}`;
    default:
      return 'not in ANCHORS.md';
  }
}

/** The papers' tables as markdown, for the report. */
export function paperTables(): string[] {
  return [
    "The papers' numbers (ANCHORS.md): T5 on its encoder-decoder unless noted, GLUE average; BART base models, SQuAD 1.1 F1 / MNLI accuracy; ELECTRA GLUE dev at equal compute.",
    '',
    '| paper | row | number |',
    '| --- | --- | ---: |',
    `| T5 | no pretraining | ${T5_GLUE.noPretraining} |`,
    `| T5 Table 2 | encoder-decoder, denoising | ${T5_GLUE.encoderDecoderDenoising} |`,
    `| T5 Table 2 | decoder-only, LM objective | ${T5_GLUE.decoderOnlyLm} |`,
    `| T5 Table 2 | prefix LM (decoder-only) | ${T5_GLUE.prefixLmTable2} |`,
    `| T5 Table 4 | prefix LM | ${T5_GLUE.prefixLm} |`,
    `| T5 Table 4 | BERT-style | ${T5_GLUE.bertStyle} |`,
    `| T5 Table 4 | deshuffling | ${T5_GLUE.deshuffling} |`,
    `| T5 Table 5 | MASS-style / replace spans / drop tokens | ${T5_GLUE.massStyle} / ${T5_GLUE.replaceSpans} / ${T5_GLUE.dropTokens} |`,
    ...Object.entries(BART_TABLE1).map(
      ([k, v]) => `| BART Table 1 | ${k.replace(/([A-Z])/g, ' $1').toLowerCase()} | ${v[0]} / ${v[1]} |`,
    ),
    `| ELECTRA | ELECTRA-Small / BERT-Small / GPT (30x compute) | ${ELECTRA_SMALL.electra} / ${ELECTRA_SMALL.bert} / ${ELECTRA_SMALL.gpt} |`,
  ];
}
