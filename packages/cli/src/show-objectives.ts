/**
 * `lab show` for the objectives of issue #11 beyond MLM, span corruption and causal LM (those three
 * are in show.ts): T5's prefix LM (both forms) and deshuffling, BART's five noisings and its recipe,
 * ELECTRA's replaced-token detection and SpanBERT. Each shows the text, the inputs, the targets and
 * what the objective adds (masks, labels, spans), as lines and as one JSON view.
 *
 * --rate is the corrupted share (BART's noising, SpanBERT's budget) and --mean-span the Poisson
 * lambda of BART's text infilling. ELECTRA's generator is a stand-in: a uniform draw among the
 * text's own tokens, from a stream of its own, so that some samples hit the original token.
 */
import {
  bartNoise,
  deshuffle,
  IGNORE_INDEX,
  maskSequence,
  permuteSentences,
  prefixLm,
  prefixLmDecoderExample,
  replacedTokenDetection,
  rotateDocument,
  spanBert,
  textInfilling,
  tokenDeletion,
  tokenMasking,
} from '@pretrain-lab/objectives';
import { UserError } from '@pretrain-lab/runtime';
import { Rng } from '@pretrain-lab/runtime/rng';
import type { Vocab } from './show-vocab.js';

export interface Shown {
  view: Record<string, unknown>;
  lines: string[];
}

/** What an objective's view is made from; options are parsed only by the objectives that read them. */
export interface ShowInput {
  objective: string;
  /** The text's vocabulary, the toy one with these special tokens added. */
  vocab: (specials: string[]) => Vocab;
  seed: number;
  rate: () => number;
  meanSpan: () => number;
}

const list = (v: Vocab, ids: ArrayLike<number>): string => Array.from(ids, v.token).join(' ');

/** The text, inputs and targets, as lines and as the view every sequence objective shares. */
function shown(
  input: ShowInput,
  v: Vocab,
  ex: { inputs: Int32Array; targets: Int32Array },
  extra: Record<string, unknown>,
  lines: string[],
  noise?: ArrayLike<number>,
): Shown {
  const { ids } = v;
  return {
    view: {
      objective: input.objective,
      tokens: Array.from(ids, v.token),
      inputs: Array.from(ex.inputs),
      targets: Array.from(ex.targets),
      inputTokens: Array.from(ex.inputs, v.token),
      targetTokens: Array.from(ex.targets, v.token),
      ...extra,
    },
    lines: [
      `text:    ${list(v, ids)}`,
      ...(noise ? [noiseLine(v, noise)] : []),
      `inputs:  ${list(v, ex.inputs)}`,
      `targets: ${list(v, ex.targets)}`,
      ...lines,
    ],
  };
}

/** Carets under the noise tokens of the text line. */
function noiseLine(v: Vocab, mask: ArrayLike<number>): string {
  const marks = Array.from(v.ids, (id, i) => (mask[i] ? '^' : ' ').repeat(v.token(id).length));
  return `noise:   ${marks.join(' ')}`.trimEnd();
}

/** The vocabulary with a mask token: the toy one's [MASK], or the tokenizer's [MASK] or <mask>. */
function withMask(input: ShowInput): { v: Vocab; maskId: number; specialIds: number[] } {
  const v = input.vocab(['[MASK]']);
  const maskId = v.special['[MASK]'] ?? v.special['<mask>'];
  if (maskId === undefined) throw new UserError('the tokenizer has no [MASK] or <mask> token');
  return { v, maskId, specialIds: Object.values(v.special) };
}

function atLeastTwo(v: Vocab, what: string): void {
  if (v.ids.length < 2) throw new UserError(`--text needs at least two tokens for ${what}`);
}

/** Ids of the text's tokens that end a sentence (a word ending in '.', '!' or '?'). */
function sentenceEndIds(v: Vocab): number[] {
  return [...new Set(v.ids)].filter((id) => /[.!?]$/.test(v.token(id)));
}

function spansText(v: Vocab, starts: Int32Array, lengths: Int32Array): string {
  return Array.from(starts, (s, k) =>
    lengths[k] > 0
      ? `"${list(v, v.ids.subarray(s, s + lengths[k]))}"`
      : `"" before ${s < v.ids.length ? v.token(v.ids[s]) : 'the end'}`,
  ).join(', ');
}

export const MORE_SHOWS: Record<string, (input: ShowInput) => Shown> = {
  'prefix-lm': (input) => {
    const v = input.vocab([]);
    atLeastTwo(v, 'prefix LM');
    const ex = prefixLm(v.ids, { seed: input.seed });
    const prefixLength = ex.inputs.length;
    return shown(input, v, ex, { noiseMask: Array.from(ex.noiseMask), prefixLength }, [
      `split after ${prefixLength} of ${v.ids.length} tokens (T5 prefix_lm: uniform in [1, L - 1])`,
    ]);
  },
  'prefix-lm-decoder': (input) => {
    const v = input.vocab([]);
    atLeastTwo(v, 'prefix LM');
    const ex = prefixLmDecoderExample(v.ids, { seed: input.seed });
    return shown(input, v, ex, { lossMask: Array.from(ex.lossMask), prefixLength: ex.prefixLength }, [
      `loss:    ${Array.from(ex.targets, (t, i) => (ex.lossMask[i] ? v.token(t) : '-')).join(' ')}`,
      `prefix:  ${list(v, v.ids.subarray(0, ex.prefixLength))} (${ex.prefixLength} token${ex.prefixLength === 1 ? '' : 's'}, attended bidirectionally)`,
    ]);
  },
  deshuffle: (input) => {
    const v = input.vocab([]);
    return shown(input, v, deshuffle(v.ids, { seed: input.seed }), {}, []);
  },
  'bart-token-masking': (input) => {
    const { v, maskId } = withMask(input);
    const ex = tokenMasking(v.ids, { seed: input.seed, noiseDensity: input.rate(), maskId });
    return shown(input, v, ex, { noiseMask: Array.from(ex.noiseMask) }, [], ex.noiseMask);
  },
  'bart-token-deletion': (input) => {
    const v = input.vocab([]);
    const ex = tokenDeletion(v.ids, { seed: input.seed, noiseDensity: input.rate() });
    return shown(input, v, ex, { noiseMask: Array.from(ex.noiseMask) }, [], ex.noiseMask);
  },
  'bart-text-infilling': (input) => {
    const { v, maskId } = withMask(input);
    const [noiseDensity, poissonLambda] = [input.rate(), input.meanSpan()];
    const ex = textInfilling(v.ids, { seed: input.seed, noiseDensity, poissonLambda, maskId });
    const extra = {
      noiseMask: Array.from(ex.noiseMask),
      spanStarts: Array.from(ex.spanStarts),
      spanLengths: Array.from(ex.spanLengths),
    };
    const spans = spansText(v, ex.spanStarts, ex.spanLengths) || '(none)';
    return shown(input, v, ex, extra, [`spans:   ${spans} (Poisson lambda ${poissonLambda})`], ex.noiseMask);
  },
  'bart-sentence-permutation': (input) => {
    const v = input.vocab([]);
    const ex = permuteSentences(v.ids, { seed: input.seed, sentenceEndIds: sentenceEndIds(v) });
    const n = ex.order.length;
    return shown(
      input,
      v,
      ex,
      { sentenceStarts: Array.from(ex.sentenceStarts), order: Array.from(ex.order) },
      [
        `order:   ${[...ex.order].join(' ')} (${n} sentence${n === 1 ? ": end sentences with '.', '!' or '?'" : 's'})`,
      ],
    );
  },
  'bart-document-rotation': (input) => {
    const v = input.vocab([]);
    const ex = rotateDocument(v.ids, { seed: input.seed });
    return shown(input, v, ex, { start: ex.start }, [
      `start:   token ${ex.start} (${v.token(v.ids[ex.start])})`,
    ]);
  },
  bart: (input) => {
    const { v, maskId } = withMask(input);
    const [noiseDensity, poissonLambda] = [input.rate(), input.meanSpan()];
    const ex = bartNoise(v.ids, {
      seed: input.seed,
      maskId,
      sentencePermutation: { sentenceEndIds: sentenceEndIds(v) },
      masking: { kind: 'text-infilling', noiseDensity, poissonLambda },
    });
    return shown(input, v, ex, {}, [
      `sentence permutation, then text infilling of ${noiseDensity} (Poisson lambda ${poissonLambda}), as BART's recipe`,
    ]);
  },
  electra: (input) => {
    const { v, maskId, specialIds } = withMask(input);
    // ELECTRA masks exactly max(1, round(n * 0.15)) tokens, so 'exact' selection (pretrain_helpers.mask).
    const mlmOptions = { vocabSize: v.vocabSize, maskId, specialIds, selection: 'exact' as const };
    const mlm = maskSequence(v.ids, 0, { masking: 'dynamic', seed: input.seed, epoch: 0 }, mlmOptions);
    const rng = Rng.derive(input.seed, 'lab-show/electra-generator');
    const pool = [...new Set(v.ids)];
    const samples = Array.from(mlm.positions, () => pool[rng.int(pool.length)]);
    const ex = replacedTokenDetection(mlm, samples);
    const view = {
      objective: input.objective,
      tokens: Array.from(v.ids, v.token),
      generatorInputs: Array.from(mlm.inputs),
      generatorInputTokens: Array.from(mlm.inputs, v.token),
      samples,
      inputs: Array.from(ex.inputs),
      inputTokens: Array.from(ex.inputs, v.token),
      labels: Array.from(ex.labels),
      masked: Array.from(ex.masked),
    };
    const lines = [
      `text:      ${list(v, v.ids)}`,
      `generator: ${list(v, mlm.inputs)} (MLM inputs; samples: ${list(v, samples)})`,
      `inputs:    ${list(v, ex.inputs)} (the discriminator's)`,
      `labels:    ${[...ex.labels].join(' ')} (1 = replaced; a sample equal to the original is 0)`,
    ];
    return { view, lines };
  },
  spanbert: (input) => {
    const { v, maskId, specialIds } = withMask(input);
    // Toy words are whole words; a WordPiece tokenizer's '##' pieces continue one.
    const wordStarts = Array.from(v.ids, (id) => (v.token(id).startsWith('##') ? 0 : 1));
    const ex = spanBert(v.ids, {
      seed: input.seed,
      vocabSize: v.vocabSize,
      maskId,
      specialIds,
      maskRatio: input.rate(),
      wordStarts,
    });
    const { sbo } = ex;
    const view = {
      objective: input.objective,
      tokens: Array.from(v.ids, v.token),
      inputs: Array.from(ex.inputs),
      inputTokens: Array.from(ex.inputs, v.token),
      labels: Array.from(ex.labels),
      noiseMask: Array.from(ex.noiseMask),
      how: ex.how,
      sbo: Object.fromEntries(Object.entries(sbo).map(([k, a]) => [k, Array.from(a as Int32Array)])),
    };
    const at = (i: number) => `${v.token(v.ids[i])} (${i})`;
    const lines = [
      `text:    ${list(v, v.ids)}`,
      noiseLine(v, ex.noiseMask),
      `inputs:  ${list(v, ex.inputs)} (spans: ${ex.how.join(', ')})`,
      `labels:  ${Array.from(ex.labels, (l) => (l === IGNORE_INDEX ? '-' : v.token(l))).join(' ')}`,
      ...Array.from(
        sbo.position,
        (p, k) =>
          `  SBO: ${at(p)} from ${at(sbo.leftBoundary[k])} and ${at(sbo.rightBoundary[k])}, relative position ${sbo.relativePosition[k]}`,
      ),
      sbo.position.length === 0
        ? '  (no SBO target: the span touches an end of the text; try another --seed)'
        : '',
    ].filter(Boolean);
    return { view, lines };
  },
};
