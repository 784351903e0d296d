/**
 * `pnpm lab show <objective> --text "..." --seed N [--json]`: what a pretraining objective
 * makes of a text, so a reader can see the textbook's figures. The text is split on
 * whitespace into a toy word vocabulary (one id per distinct word, in order of appearance),
 * so "I love this red car" shows as five tokens, as in the book; `--tokenizer FILE` uses a
 * trained tokenizer.json instead (show-vocab.ts). MLM, span corruption and causal LM are here;
 * prefix LM, deshuffling, BART, ELECTRA and SpanBERT are in show-objectives.ts.
 */
import { causalLMExamples, IGNORE_INDEX, showMlm, showSpanCorruption } from '@pretrain-lab/objectives';
import { UserError } from '@pretrain-lab/runtime';
import { MORE_SHOWS } from './show-objectives.js';
import { fileVocab, num, toyVocab, type Vocab } from './show-vocab.js';

export const SHOW_OBJECTIVES = [
  'mlm',
  'span-corruption',
  'causal-lm',
  'prefix-lm',
  'prefix-lm-decoder',
  'deshuffle',
  'bart-token-masking',
  'bart-token-deletion',
  'bart-text-infilling',
  'bart-sentence-permutation',
  'bart-document-rotation',
  'bart',
  'electra',
  'spanbert',
] as const;

export interface ShowOptions {
  text: string;
  seed: string;
  json?: boolean;
  meanSpan: string;
  rate: string;
  length?: string;
  tokenizer?: string;
}

export function show(objective: string, o: ShowOptions): { view: unknown; lines: string[] } {
  if (!(SHOW_OBJECTIVES as readonly string[]).includes(objective))
    throw new UserError(`unknown objective '${objective}'; valid: ${SHOW_OBJECTIVES.join(', ')}`);
  const seed = num('seed', o.seed, { int: true, min: 0 });
  const more = MORE_SHOWS[objective];
  if (more !== undefined) {
    const vocab = (specials: string[]): Vocab => {
      const v = o.tokenizer ? fileVocab(o.tokenizer, o.text) : toyVocab(o.text, specials);
      if (v.ids.length === 0) throw new UserError('--text has no tokens');
      return v;
    };
    return more({
      objective,
      vocab,
      seed,
      rate: () => num('rate', o.rate, { min: 0, max: 1 }),
      meanSpan: () => num('mean-span', o.meanSpan, { min: 0.01, max: 100 }),
    });
  }
  if (objective === 'mlm') {
    const v = o.tokenizer ? fileVocab(o.tokenizer, o.text) : toyVocab(o.text, ['[MASK]']);
    const maskId = v.special['[MASK]'];
    if (maskId === undefined)
      throw new UserError('the tokenizer has no [MASK] token; use a WordPiece tokenizer');
    const specialIds = Object.values(v.special);
    const view = showMlm(v.ids, { vocabSize: v.vocabSize, maskId, specialIds, seed, idToToken: v.token });
    const lines = [
      `text:    ${Array.from(v.ids, v.token).join(' ')}`,
      `inputs:  ${view.inputs.map(v.token).join(' ')}`,
      `labels:  ${view.labels.map((l) => (l === IGNORE_INDEX ? '-' : v.token(l))).join(' ')}`,
      ...view.positions.map(
        (p) => `  position ${p.index}: ${v.token(p.original)} -> ${v.token(p.replacedBy)} (${p.how})`,
      ),
      view.positions.length === 0 ? '  (no position selected at 15% for this seed; try another --seed)' : '',
    ].filter(Boolean);
    return { view: { objective, tokens: Array.from(v.ids, v.token), ...view }, lines };
  }
  if (objective === 'span-corruption') {
    const rate = num('rate', o.rate, { min: 0, max: 1 });
    const meanSpan = num('mean-span', o.meanSpan, { min: 1 });
    // Sentinels take the top ids, as T5's <extra_id_k> = vocabSize - 1 - k.
    const letters = ['X', 'Y', 'Z', 'W', 'V', 'U'];
    let v = o.tokenizer ? fileVocab(o.tokenizer, o.text) : toyVocab(o.text, [], 100);
    let ids = v.ids;
    if (o.length !== undefined) ids = ids.slice(0, num('length', o.length, { int: true, min: 1 }));
    const sentinel = (k: number) => v.vocabSize - 1 - k;
    const base = v.token;
    if (!o.tokenizer)
      v = {
        ...v,
        token: (id) =>
          id > v.vocabSize - 101
            ? `<${letters[v.vocabSize - 1 - id] ?? `extra_id_${v.vocabSize - 1 - id}`}>`
            : base(id),
      };
    const view = showSpanCorruption(ids, {
      noiseDensity: rate,
      meanNoiseSpanLength: meanSpan,
      seed,
      sentinelId: sentinel,
      finalSentinel: true,
    });
    const lines = [
      `text:    ${Array.from(ids, v.token).join(' ')}`,
      `noise:   ${view.noiseMask.map((m, i) => (m ? '^'.repeat(v.token(ids[i]).length) : ' '.repeat(v.token(ids[i]).length))).join(' ')}`,
      `inputs:  ${view.inputs.map(v.token).join(' ')}`,
      `targets: ${view.targets.map(v.token).join(' ')}`,
      `${view.numNoiseTokens} noise tokens in ${view.numNoiseSpans} spans (rate ${rate}, mean span ${meanSpan})`,
    ];
    return {
      view: {
        objective,
        tokens: Array.from(ids, v.token),
        ...view,
        inputTokens: view.inputs.map(v.token),
        targetTokens: view.targets.map(v.token),
      },
      lines,
    };
  }
  if (objective === 'causal-lm') {
    const v = o.tokenizer ? fileVocab(o.tokenizer, o.text) : toyVocab(o.text, []);
    if (v.ids.length < 2) throw new UserError('--text needs at least two tokens for causal LM');
    const ex = causalLMExamples(v.ids, v.ids.length - 1);
    const view = { objective, inputs: Array.from(ex.inputs), targets: Array.from(ex.targets) };
    const lines = [
      `inputs:  ${view.inputs.map(v.token).join(' ')}`,
      `targets: ${view.targets.map(v.token).join(' ')}`,
    ];
    return { view, lines };
  }
  throw new Error(`lab show: no view for '${objective}'`); // SHOW_OBJECTIVES and the views disagree
}

export async function showCommand(objective: string, o: ShowOptions): Promise<void> {
  const { view, lines } = show(objective, o);
  process.stdout.write(o.json ? `${JSON.stringify(view)}\n` : `${lines.join('\n')}\n`);
}
