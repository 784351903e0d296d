/**
 * The objectives comparison's claims (T5 Tables 2 and 4, BART Table 1, ELECTRA, SpanBERT, ALBERT), each judged on
 * every task × probe-size cell by ablation/claims.ts. Rows are found by what they are (their
 * objective and architecture, VariantInfo.fields), so a renamed row is still found; a claim
 * whose rows the run lacks names experiments/objectives' default row and comes out 'not run'.
 */
import type { AblationSummary } from '@pretrain-lab/experiment/schema';
import type { Claim } from '../ablation/claims.js';
import { BART_TABLE1 as B, ELECTRA_SMALL as E, T5_GLUE as T } from './anchors.js';

/** experiments/objectives/config.ts's default row names, by objective (and 'none:<architecture>'). */
export const OBJECTIVE_ROWS: Record<string, string> = {
  'none:encoder': 'no pretraining (encoder)',
  'none:decoder': 'no pretraining (decoder)',
  'none:encoder-decoder': 'no pretraining (encoder-decoder)',
  mlm: 'BERT MLM (encoder)',
  'span-masking': 'SpanBERT (encoder, span masking + SBO)',
  'albert-mlm': 'ALBERT MLM (encoder, E32, shared layers)',
  electra: 'ELECTRA (encoder)',
  'causal-lm': 'causal LM (decoder)',
  'bert-style': 'BERT-style (encoder-decoder)',
  'span-corruption': 'span corruption (encoder-decoder)',
  'prefix-lm': 'prefix LM (encoder-decoder)',
  deshuffle: 'deshuffling (encoder-decoder)',
  'text-infilling': 'BART text infilling (encoder-decoder)',
  'token-deletion': 'BART token deletion (encoder-decoder)',
  'document-rotation': 'BART document rotation (encoder-decoder)',
  'sentence-permutation': 'BART sentence permutation (encoder-decoder)',
};

type Variant = AblationSummary['variants'][number];
/** The grid's width: the no-pretraining rows' (every row has it unless it names another). */
const gridWidth = (s: AblationSummary) =>
  s.variants.find((v) => v.fields.objective === 'none')?.fields.dModel;
/** In-context rows: decoders of another width than the grid's, or pretrained with recall data. */
const isSized = (v: Variant, width: unknown) =>
  v.fields.objective !== 'none' &&
  ((width !== undefined && v.fields.dModel !== width) || Number(v.fields.recall ?? 0) > 0);
const roleOf = (v: Variant, width: unknown) =>
  v.fields.objective === 'none'
    ? `none:${v.fields.architecture}`
    : isSized(v, width)
      ? `${v.fields.objective}:d${v.fields.dModel}${Number(v.fields.recall ?? 0) > 0 ? '+recall' : ''}`
      : String(v.fields.objective);

/** The run's row for a role, else the default row's name (then the claim is 'not run'). */
export function roleVariant(s: AblationSummary, role: string): string {
  return s.variants.find((v) => roleOf(v, gridWidth(s)) === role)?.name ?? OBJECTIVE_ROWS[role] ?? role;
}

export interface ObjectivesClaimGroup {
  id: string;
  title: string;
  claims: Claim[];
}

const bart = (x: readonly number[]) => `${x[0]} / ${x[1]}`;

export function objectivesClaimGroups(s: AblationSummary): ObjectivesClaimGroup[] {
  const v = (role: string) => roleVariant(s, role);
  const probes = s.evals.filter((e) => e.method !== 'in-context');
  const inContext = s.evals.filter((e) => e.method === 'in-context');
  const claim = (
    id: string,
    text: string,
    anchor: string,
    a: string,
    b: string,
    direction: Claim['direction'],
  ): Claim => ({
    id,
    text,
    anchor,
    a: v(a),
    b: v(b),
    direction,
    margin: direction === 'notLess' ? 0.02 : undefined,
    evals: probes,
  });
  const width = gridWidth(s);
  const pretrained = s.variants.filter((x) => x.pretrained && !isSized(x, width));
  // The in-context rows by width, and the plain causal LM, all decoder-only.
  const sized = s.variants
    .filter(
      (x) =>
        x.pretrained &&
        x.fields.architecture === 'decoder' &&
        (isSized(x, width) || roleOf(x, width) === 'causal-lm'),
    )
    .sort((a, b) => Number(a.fields.dModel) - Number(b.fields.dModel));
  const icAnchor =
    'GPT-3 (Brown et al. 2020): in-context ability grows with model size and with the demonstrations given; ANCHORS.md gives no numbers';
  return [
    {
      id: 'pretraining',
      title: 'Pretraining beats no pretraining',
      claims: pretrained.map((x) => ({
        id: `pretraining-${roleOf(x, width)}`,
        text: 'a pretrained model beats the same architecture from random initialisation',
        anchor: `T5: no pretraining ${T.noPretraining} vs ${T.encoderDecoderDenoising} GLUE pretrained`,
        a: x.name,
        b: v(`none:${x.fields.architecture}`),
        direction: 'greater' as const,
        evals: probes,
      })),
    },
    {
      id: 'in-context',
      title: 'Decoder-only models learn in context, more so when larger',
      claims: [
        ...sized
          .map((x) => x.name)
          .map((name) => ({
            id: `in-context-${name}`,
            text: 'a pretrained decoder answers prompts better than a random one (no gradient step)',
            anchor: icAnchor,
            a: name,
            b: v('none:decoder'),
            direction: 'greater' as const,
            evals: inContext,
          })),
        ...(sized.length >= 2
          ? [
              {
                id: 'in-context-size',
                text: 'the largest decoder answers prompts better than the smallest, at the same training compute',
                anchor: icAnchor,
                a: sized[sized.length - 1].name,
                b: sized[0].name,
                direction: 'greater' as const,
                evals: inContext,
              },
            ]
          : []),
      ],
    },
    {
      id: 'architecture',
      title: 'Encoder-decoder denoising beats a decoder-only language model',
      claims: [
        claim(
          'denoising-vs-lm',
          'an encoder-decoder trained by denoising (span corruption) beats a decoder-only model trained as a language model',
          `T5 Table 2: ${T.encoderDecoderDenoising} vs ${T.decoderOnlyLm} GLUE`,
          'span-corruption',
          'causal-lm',
          'greater',
        ),
      ],
    },
    {
      id: 't5-objectives',
      title: 'T5 Table 4: BERT-style beats prefix LM; deshuffling is worst',
      claims: [
        claim(
          'bert-style-vs-prefix-lm',
          'BERT-style denoising beats prefix language modelling on the same encoder-decoder',
          `T5 Table 4: ${T.bertStyle} vs ${T.prefixLm} GLUE`,
          'bert-style',
          'prefix-lm',
          'greater',
        ),
        claim(
          'deshuffle-vs-bert-style',
          'deshuffling is the worst of the three',
          `T5 Table 4: deshuffling ${T.deshuffling} vs BERT-style ${T.bertStyle} GLUE`,
          'deshuffle',
          'bert-style',
          'less',
        ),
        claim(
          'deshuffle-vs-prefix-lm',
          'deshuffling is the worst of the three',
          `T5 Table 4: deshuffling ${T.deshuffling} vs prefix LM ${T.prefixLm} GLUE`,
          'deshuffle',
          'prefix-lm',
          'less',
        ),
      ],
    },
    {
      id: 'bart',
      title: 'BART Table 1: text infilling is the best noising, document rotation the worst',
      claims: [
        claim(
          'infilling-vs-lm',
          'text infilling beats a left-to-right language model',
          `BART Table 1: text infilling ${bart(B.textInfilling)} vs LM ${bart(B.lm)} (SQuAD F1 / MNLI)`,
          'text-infilling',
          'causal-lm',
          'greater',
        ),
        claim(
          'infilling-vs-deletion',
          'text infilling matches or beats token deletion',
          `BART Table 1: text infilling ${bart(B.textInfilling)} vs token deletion ${bart(B.tokenDeletion)}`,
          'text-infilling',
          'token-deletion',
          'notLess',
        ),
        claim(
          'infilling-vs-permutation',
          'text infilling beats sentence permutation',
          `BART Table 1: text infilling ${bart(B.textInfilling)} vs sentence shuffling ${bart(B.sentenceShuffling)}`,
          'text-infilling',
          'sentence-permutation',
          'greater',
        ),
        claim(
          'rotation-vs-infilling',
          'document rotation is the worst noising: worse than text infilling',
          `BART Table 1: document rotation ${bart(B.documentRotation)} vs text infilling ${bart(B.textInfilling)}`,
          'document-rotation',
          'text-infilling',
          'less',
        ),
        claim(
          'rotation-vs-deletion',
          'document rotation is the worst noising: worse than token deletion',
          `BART Table 1: document rotation ${bart(B.documentRotation)} vs token deletion ${bart(B.tokenDeletion)}`,
          'document-rotation',
          'token-deletion',
          'less',
        ),
        claim(
          'rotation-vs-permutation',
          'document rotation is the worst noising: worse than sentence permutation',
          `BART Table 1: document rotation ${bart(B.documentRotation)} vs sentence shuffling ${bart(B.sentenceShuffling)}`,
          'document-rotation',
          'sentence-permutation',
          'less',
        ),
      ],
    },
    {
      id: 'encoder-variants',
      title: 'SpanBERT: span masking beats token masking; ALBERT: sharing costs little at equal compute',
      claims: [
        claim(
          'span-masking-vs-mlm',
          'masking contiguous whole-word spans gives a better encoder than masking random tokens',
          'SpanBERT (Joshi et al. 2020): span masking beats random-token masking (its ablation, with the span boundary objective); ANCHORS.md gives no numbers',
          'span-masking',
          'mlm',
          'greater',
        ),
        claim(
          'albert-vs-mlm',
          'an encoder with a factorized embedding and one block shared by all layers matches BERT at the same compute, or falls short by less than 2 points',
          'ALBERT (Lan et al. 2019): factorized embedding and cross-layer sharing cut parameters at a small cost in accuracy; ANCHORS.md gives no numbers',
          'albert-mlm',
          'mlm',
          'notLess',
        ),
      ],
    },
    {
      id: 'electra',
      title: 'ELECTRA beats MLM at equal compute',
      claims: [
        claim(
          'electra-vs-mlm',
          'replaced token detection gives a better encoder than masked language modelling for the same training compute',
          `ELECTRA: ELECTRA-Small ${E.electra} vs BERT-Small ${E.bert} GLUE dev at 1.4e18 FLOPs`,
          'electra',
          'mlm',
          'greater',
        ),
      ],
    },
  ];
}
