/**
 * The BERT input formats (bert-inputs.ts) and the pair objective each trains: RoBERTa's four
 * (Liu et al. 2019, Table 2) and ALBERT's SOP (Lan et al. 2020). The pair head is one binary
 * classifier whatever the objective, so its label always goes in `nspLabel`.
 */

export type InputFormat =
  | 'segment-pair'
  | 'sentence-pair'
  | 'full-sentences'
  | 'doc-sentences'
  | 'segment-pair-sop';

export const INPUT_FORMATS: readonly InputFormat[] = [
  'segment-pair',
  'sentence-pair',
  'full-sentences',
  'doc-sentences',
  'segment-pair-sop',
];

/** The binary pair objective a format trains: next-sentence or sentence-order prediction, or none. */
export type PairObjective = 'nsp' | 'sop';

export function pairObjective(format: InputFormat): PairObjective | null {
  if (format === 'segment-pair' || format === 'sentence-pair') return 'nsp';
  if (format === 'segment-pair-sop') return 'sop';
  return null;
}

/** Whether a format's examples carry a pair label (NSP or SOP) in `nspLabel`, i.e. need the pair head. */
export function formatHasPairLabel(format: InputFormat): boolean {
  return pairObjective(format) !== null;
}

/**
 * Alias of `formatHasPairLabel`, from before SOP: true for SOP too, because what callers ask is
 * whether the model needs its binary pair head. Use `pairObjective` to tell NSP from SOP.
 */
export const formatHasNsp: (format: InputFormat) => boolean = formatHasPairLabel;

/** nspLabel of formats without a pair objective (an ignore value for the pair head). */
export const NO_NSP_LABEL = -1;
