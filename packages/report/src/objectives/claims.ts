/**
 * The objectives comparison's claims (T5 Tables 2 and 4, BART Table 1, ELECTRA), each judged on
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
  electra: 'ELECTRA (encoder)',
  'causal-lm': 'causal LM (decoder)',
  'bert-style': 'BERT-style (encoder-decoder)',
  'span-corruption': 'span corruption (encoder-decoder)',
  'prefix-lm': 'prefix LM (encoder-decoder)',
  deshuffle: 'deshuffling (encoder-decoder)',
  'text-infilling': 'BART text infilling (encoder-decoder)',
  'token-deletion': 'BART token deletion (encoder-decoder)',
};

const roleOf = (v: AblationSummary['variants'][number]) =>
  v.fields.objective === 'none' ? `none:${v.fields.architecture}` : String(v.fields.objective);

/** The run's row for a role, else the default row's name (then the claim is 'not run'). */
export function roleVariant(s: AblationSummary, role: string): string {
  return s.variants.find((v) => roleOf(v) === role)?.name ?? OBJECTIVE_ROWS[role] ?? role;
}

export interface ObjectivesClaimGroup {
  id: string;
  title: string;
  claims: Claim[];
}

const bart = (x: readonly number[]) => `${x[0]} / ${x[1]}`;

export function objectivesClaimGroups(s: AblationSummary): ObjectivesClaimGroup[] {
  const v = (role: string) => roleVariant(s, role);
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
  });
  const pretrained = s.variants.filter((x) => x.pretrained);
  return [
    {
      id: 'pretraining',
      title: 'Pretraining beats no pretraining',
      claims: pretrained.map((x) => ({
        id: `pretraining-${roleOf(x)}`,
        text: 'a pretrained model beats the same architecture from random initialisation',
        anchor: `T5: no pretraining ${T.noPretraining} vs ${T.encoderDecoderDenoising} GLUE pretrained`,
        a: x.name,
        b: v(`none:${x.fields.architecture}`),
        direction: 'greater' as const,
      })),
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
      title: 'BART Table 1: text infilling is the best noising',
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
