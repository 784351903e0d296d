/**
 * A JSON-able view of one BERT example (bert-inputs.ts), tokens as strings, for reading examples
 * by eye and in tests; optionally with its MLM corruption.
 */
import type { BertExample } from './bert-inputs.js';
import { NO_NSP_LABEL } from './input-formats.js';
import type { SentenceSpan } from './nsp.js';

/** An MLM corruption of one example, row-aligned with it (e.g. maskSequence's result). */
export interface ExampleMasking {
  inputs: Int32Array;
  labels: Int32Array;
  positions: Int32Array;
  how: readonly string[];
}

export interface ExampleView {
  /** Real tokens (padding left out). */
  tokens: string[];
  tokenTypeIds: number[];
  /** Number of pad positions after the real tokens. */
  padding: number;
  length: number;
  maxLen: number;
  nspLabel: number;
  /**
   * Whether B is the text that follows A in its document: NSP's label, and for SOP true when in
   * order (label 0); null without a pair objective.
   */
  isNext: boolean | null;
  /** SOP examples only: true when the two segments were swapped (label 1). */
  swapped?: boolean;
  /** Segment A and B tokens without specials, for pair formats; for packed formats A is the whole content. */
  segmentA: string[];
  segmentB: string[];
  sources: SentenceSpan[];
  /** Present when an MLM corruption was given. */
  masked?: {
    tokens: string[];
    targets: { index: number; original: string; shownAs: string; how: string }[];
  };
}

/** A JSON-able view of one example, tokens as strings, optionally with its MLM corruption. */
export function describeExample(
  example: BertExample,
  idToToken: (id: number) => string,
  mlm?: ExampleMasking,
): ExampleView {
  const { length, inputIds, tokenTypeIds } = example;
  const maxLen = inputIds.length;
  const real = Array.from(inputIds.subarray(0, length));
  const types = Array.from(tokenTypeIds.subarray(0, length));
  const tokens = real.map(idToToken);
  // Content between the specials: A is positions 1 .. first segment-1 position - 2, B up to length - 2.
  const firstB = types.indexOf(1);
  const aEnd = firstB === -1 ? length - 1 : firstB - 1;
  const segmentA = tokens.slice(1, Math.max(1, aEnd));
  const segmentB = firstB === -1 ? [] : tokens.slice(firstB, length - 1);
  const view: ExampleView = {
    tokens,
    tokenTypeIds: types,
    padding: maxLen - length,
    length,
    maxLen,
    nspLabel: example.nspLabel,
    isNext: example.nspLabel === NO_NSP_LABEL ? null : example.nspLabel === 1,
    segmentA,
    segmentB,
    sources: example.sources.map((s) => ({ ...s })),
  };
  if (example.pairObjective === 'sop' && example.nspLabel !== NO_NSP_LABEL) {
    view.swapped = example.nspLabel === 1;
    view.isNext = !view.swapped;
  }
  if (mlm !== undefined) {
    if (mlm.inputs.length !== maxLen)
      throw new Error(`MLM corruption has length ${mlm.inputs.length}, example has ${maxLen}`);
    view.masked = {
      tokens: Array.from(mlm.inputs.subarray(0, length), idToToken),
      targets: Array.from(mlm.positions, (index, k) => ({
        index,
        original: idToToken(mlm.labels[index]),
        shownAs: idToToken(mlm.inputs[index]),
        how: mlm.how[k],
      })),
    };
  }
  return view;
}
