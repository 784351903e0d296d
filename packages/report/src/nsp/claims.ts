/**
 * The NSP ablation's claims (RoBERTa Tables 1 and 2; ALBERT's SOP), each judged on every task ×
 * evaluation cell by ablation/claims.ts. Variants are found by what they are (input format and
 * masking, VariantInfo.fields), so a renamed row is still found; a claim whose rows the run
 * lacks names experiments/nsp's default row and comes out 'not run'.
 */
import type { AblationSummary } from '@pretrain-lab/experiment/schema';
import type { Claim } from '../ablation/claims.js';
import { ALBERT_SOP_ANCHOR, ROBERTA_TABLE1 as T1 } from './anchors.js';

/** The no-pretraining row's name, as experiments/nsp writes it. */
export const NSP_BASELINE = 'no pretraining';

/** experiments/nsp/config.ts's default rows, by role. */
export const NSP_ROLES = {
  segment: { name: 'SEGMENT-PAIR + NSP', format: 'segment-pair', masking: 'dynamic' },
  sentence: { name: 'SENTENCE-PAIR + NSP', format: 'sentence-pair', masking: 'dynamic' },
  sop: { name: 'SEGMENT-PAIR + SOP', format: 'segment-pair-sop', masking: 'dynamic' },
  full: { name: 'FULL-SENTENCES', format: 'full-sentences', masking: 'dynamic' },
  doc: { name: 'DOC-SENTENCES', format: 'doc-sentences', masking: 'dynamic' },
  docStatic: { name: 'DOC-SENTENCES, static masking', format: 'doc-sentences', masking: 'static' },
} as const;
export type NspRole = keyof typeof NSP_ROLES;

/** The run's variant for a role: by (format, masking), else by the default name. */
export function roleVariant(s: AblationSummary, role: NspRole): string {
  const r = NSP_ROLES[role];
  const hit = s.variants.find(
    (v) => v.pretrained && v.fields.format === r.format && v.fields.masking === r.masking,
  );
  return hit?.name ?? r.name;
}

export interface NspClaimGroup {
  id: string;
  title: string;
  claims: Claim[];
}

const EQUAL_MARGIN = 0.02;
const t1 = (r: { squad20: number; mnli: number; sst2: number }) =>
  [r.squad20, r.mnli, r.sst2].map((x) => x.toFixed(1)).join(' / ');

export function nspClaimGroups(s: AblationSummary): NspClaimGroup[] {
  const v = (role: NspRole) => roleVariant(s, role);
  const baseline = s.baseline ?? NSP_BASELINE;
  // Every pretrained row of the run, then any default row it lacks (listed as 'not run').
  const pretrained = s.variants.filter((x) => x.pretrained).map((x) => x.name);
  for (const role of Object.keys(NSP_ROLES) as NspRole[])
    if (!pretrained.includes(v(role))) pretrained.push(v(role));

  const pretrainText = 'a pretrained encoder beats the same encoder trained from random initialisation';
  const pretrainAnchor =
    'implicit in every row of RoBERTa; T5 (ANCHORS.md): no pretraining 66.22 GLUE vs 83.28 pretrained; Deshpande et al. 2023: MLM pretraining helps GLUE from about 1.25M parameters';
  const noNspText = 'removing the NSP loss matches or slightly improves downstream performance';
  const noNspAnchor =
    'RoBERTa Table 2: FULL-SENTENCES 90.4/79.1 · 84.7 · 92.5 · 64.8 and DOC-SENTENCES 90.6/79.7 · 84.7 · 92.7 · 65.6 vs SEGMENT-PAIR + NSP 90.4/78.7 · 84.0 · 92.9 · 64.2 (SQuAD 1.1/2.0 · MNLI-m · SST-2 · RACE): −0.4 to +1.4 points';
  const noNsp = (role: 'full' | 'doc'): Claim[] => [
    {
      id: `no-nsp-${role}-greater`,
      text: noNspText,
      anchor: noNspAnchor,
      a: v(role),
      b: v('segment'),
      direction: 'greater',
    },
    {
      id: `no-nsp-${role}-equal`,
      text: noNspText,
      anchor: noNspAnchor,
      a: v(role),
      b: v('segment'),
      direction: 'equal',
      margin: EQUAL_MARGIN,
    },
  ];
  return [
    {
      id: 'pretraining',
      title: 'Pretraining beats no pretraining',
      claims: pretrained.map((name) => ({
        id: `pretraining-${name}`,
        text: pretrainText,
        anchor: pretrainAnchor,
        a: name,
        b: baseline,
        direction: 'greater',
      })),
    },
    {
      id: 'no-nsp',
      title: 'Removing NSP matches or slightly improves',
      claims: [...noNsp('full'), ...noNsp('doc')],
    },
    {
      id: 'sentence-pair',
      title: 'Single-sentence pairs hurt',
      claims: [
        {
          id: 'sentence-pair-less',
          text: 'pairs of single sentences (SENTENCE-PAIR) are worse than pairs of multi-sentence segments, both with NSP',
          anchor:
            'RoBERTa Table 2: SENTENCE-PAIR + NSP 88.7/76.2 · 82.9 · 92.1 · 63.0 vs SEGMENT-PAIR + NSP 90.4/78.7 · 84.0 · 92.9 · 64.2: 0.8 to 2.5 points lower',
          a: v('sentence'),
          b: v('segment'),
          direction: 'less',
        },
      ],
    },
    {
      id: 'doc-vs-full',
      title: 'DOC-SENTENCES beats FULL-SENTENCES',
      claims: [
        {
          id: 'doc-vs-full-greater',
          text: 'inputs that stay within one document are slightly better than inputs that cross documents',
          anchor:
            'RoBERTa Table 2: DOC-SENTENCES minus FULL-SENTENCES is +0.2, +0.6, 0.0, +0.2 and +0.8 points',
          a: v('doc'),
          b: v('full'),
          direction: 'greater',
        },
      ],
    },
    {
      id: 'masking',
      title: 'Dynamic masking is about equal to static',
      claims: [
        {
          id: 'masking-equal',
          text: 'a fresh mask each time a sequence is seen performs about as well as a few fixed masks',
          anchor: `RoBERTa Table 1: dynamic ${t1(T1.dynamic)} vs static ${t1(T1.static)} (SQuAD 2.0 / MNLI-m / SST-2): within 0.4 points either way`,
          a: v('doc'),
          b: v('docStatic'),
          direction: 'equal',
          margin: EQUAL_MARGIN,
        },
      ],
    },
    {
      id: 'sop',
      title: 'Sentence-order prediction beats next-sentence prediction',
      claims: [
        {
          id: 'sop-greater',
          text: 'sentence-order prediction (negatives: the same two neighbouring segments, swapped) gives a better encoder than NSP (negatives: a segment from another document)',
          anchor: ALBERT_SOP_ANCHOR,
          a: v('sop'),
          b: v('segment'),
          direction: 'greater',
        },
      ],
    },
  ];
}
