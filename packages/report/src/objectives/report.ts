/**
 * The objectives comparison's report (figures in charts.ts) (T5 Tables 2 and 4, BART Table 1, ELECTRA; at
 * small scale), from one results run directory of experiments/objectives alone: its
 * summary.json in the ablation schema, config.json and run.json. Every verdict is computed here
 * from the committed per-example scores (ablation/claims.ts's paired bootstrap over seeds).
 */

import { judge, pairedBootstrap } from '@pretrain-lab/experiment/paired';
import type { AblationSummary } from '@pretrain-lab/experiment/schema';
import {
  BOOTSTRAP,
  type ClaimResult,
  type ClaimVerdict,
  fmtClaimTest,
  fmtClaimVerdict,
  fmtTest,
  judgeClaims,
  VERDICT_RULE,
  verdictDetails,
} from '../ablation/claims.js';
import { evalsText, loadAblation } from '../ablation/summary.js';
import { pretrainTable, scoreTable } from '../ablation/tables.js';
import { describeCorpus, listText, runSection } from '../compare.js';
import { fmtInt, fmtSig } from '../format.js';
import { paperCell, paperTables } from './anchors.js';

export {
  OBJECTIVES_FIGURES,
  objectivesFigures,
  objectivesInContextSpec,
  objectivesScoresSpec,
} from './charts.js';

import { type ObjectivesClaimGroup, objectivesClaimGroups } from './claims.js';

interface Judged {
  group: ObjectivesClaimGroup;
  results: ClaimResult[];
}
export const judgeObjectives = (s: AblationSummary): Judged[] =>
  objectivesClaimGroups(s).map((group) => ({ group, results: judgeClaims(s, group.claims) }));

type Obj = Record<string, any>;

/** " but ... (d_ff 4x)" naming the rows of another width than the grid's, or '' when none. */
const widths = (s: AblationSummary, d: unknown): string => {
  const other = s.variants.filter((v) => v.fields.dModel !== undefined && v.fields.dModel !== d);
  return other.length
    ? ` but ${listText(other.map((v) => `${v.name} (d_model ${v.fields.dModel}, d_ff 4x)`))}`
    : '';
};

function whatWasRun(cfg: Obj, s: AblationSummary): string[] {
  const m: Obj = cfg.model ?? {};
  const p: Obj = cfg.pretrain ?? {};
  const e: Obj = cfg.electra ?? {};
  const n: Obj = cfg.noise ?? {};
  const recs = s.pretrain.filter((x) => x.steps > 0);
  const flops = recs.map((x) => Number(x.extra.flops));
  const self = p.selfPretrain?.tasks?.length
    ? `, plus the unlabelled training inputs of ${listText(p.selfPretrain.tasks.map((t: string) => `\`${t}\``))} (first ${p.selfPretrain.maxWords} words each; self-pretraining)`
    : '';
  const units = s.pretrain.filter((x) => x.steps > 0).length;
  return [
    '## What was run',
    '',
    `- Corpus: ${describeCorpus(cfg.corpus)}, every training document (split with seed ${cfg.splitSeed})${self}, as one token stream; one WordPiece tokenizer of ${fmtInt(cfg.tokenizer?.vocabSize)} tokens for every row.`,
    `- Models, one width for all${widths(s, m.dModel)}: d_model ${m.dModel}, ${m.numHeads} heads, d_ff ${m.dFF}, sequence length ${m.seqLen}. Encoder (BERT, pre-norm) and decoder-only (GPT) models have ${m.numLayers} layer${m.numLayers === 1 ? '' : 's'}; the encoder-decoder (T5 v1.0) has ${m.numLayers} in each stack, as T5 Table 2's baseline, with sentinel ids added to the vocabulary. ELECTRA: the discriminator is the encoder; the generator has ${e.numLayers} layer(s), ${e.numHeads} heads, d_ff ${e.dFF}, shares the embeddings, discriminator weight ${e.discWeight}.${cfg.albert ? ` ALBERT MLM: the encoder with a factorized embedding of width ${cfg.albert.embeddingSize} and one block shared by its ${m.numLayers} layers (no sentence-order prediction: single-segment inputs).` : ''}`,
    `- Objectives: MLM and BERT-style at ${n.mlmRate} (80/10/10); SpanBERT's span masking at ${n.mlmRate} of the tokens (whole-word spans of Geometric(0.2) words, at most 10, 80/10/10 per span${s.variants.some((v) => v.fields.objective === 'span-masking' && v.fields.sbo) ? ', plus its span boundary objective: each span token predicted from the two boundary tokens and its position in the span, by a two-layer GeLU + LayerNorm head into the tied output embedding, L = L_MLM + L_SBO, its FLOPs counted in the budget' : '; its span boundary objective is not run'}); span corruption at ${n.spanRate}, mean span ${n.meanSpan}; BART text infilling at ${n.infillingRate}, Poisson(3) spans, token deletion at ${n.deletionRate}, document rotation and sentence permutation (sentences end at '.', '?', '!' and a document's end); prefix LM with a uniform split; deshuffling a full permutation. Encoder-decoder rows reconstruct the whole input except span corruption (sentinels and spans only) and prefix LM (the suffix).`,
    `- Budget: ${fmtSig(Number(p.flops), 3)} training FLOPs per row (6 per weight per token through it plus Kaplan's attention term, each stack at its own lengths; actually ${flops.length ? `${fmtSig(Math.min(...flops), 3)} to ${fmtSig(Math.max(...flops), 3)}` : 'n/a'}), batch ${p.batchSize}, peak lr ${p.lr} with ${100 * (p.warmupFraction ?? 0)}% warmup and cosine decay to ${p.minLrRatio}x, AdamW (${p.beta1}, ${p.beta2}), weight decay ${p.weightDecay}, gradients clipped at 1. The same FLOPs buy different tokens per objective (see the pretraining table); a same-tokens view is not run.`,
    `- Evaluation of every row on every classification task: a linear probe (${cfg.probe?.steps} steps, lr ${cfg.probe?.lr}, L2 ${cfg.probe?.l2}) on the frozen model's mean-pooled last hidden states (the encoder's; the decoder-only model's causal states; the T5 encoder's) at ${evalsText(s.evals.filter((e) => e.method === 'probe'))} labelled examples, the same examples for every row. No fine-tuning and no generation task in this run.`,
    `- In context (decoder-only rows, no gradient step): label-word prompts on ${listText((cfg.inContext?.tasks ?? []).map((t: string) => `\`${t}\``))} with ${listText(cfg.inContext?.shots ?? [])} demonstrations of ${cfg.inContext?.wordsPerText} tokens each, and \`kv-recall\` with ${listText(cfg.inContext?.kvPairs ?? [])} key-value pairs, ${fmtInt(cfg.inContext?.kvPrompts)} prompts each (see "In context" below).`,
    `- Tasks: ${listText(s.tasks.map((t) => `\`${t.name}\` (${t.classes} classes, ${fmtInt(t.trainExamples)} training and ${fmtInt(t.testExamples)} test examples)`))}.`,
    `- Seeds: ${listText(s.seeds)}; each seed fixes every row's initialisation and data order, so rows are compared seed by seed. A "no pretraining" row per architecture is its random initialisation, probed the same way.`,
    `- Units of work: ${units} pretrainings and ${fmtInt(s.results.length)} evaluations.`,
    '',
  ];
}

function honestReading(judged: Judged[]): string[] {
  const L: string[] = [`Rule: ${VERDICT_RULE}`, ''];
  for (const { group, results } of judged) {
    const first = results[0];
    if (!first) continue;
    const lines = results.map(
      (r) => `${group.id === 'pretraining' ? r.claim.a : fmtClaimTest(r.claim)}: ${fmtClaimVerdict(r)}`,
    );
    L.push(`- **${group.title}** (claim: ${first.claim.text}; ${first.claim.anchor}). ${lines.join('; ')}.`);
  }
  L.push('');
  const summaryOf = (v: ClaimVerdict) => {
    const hits = judged.flatMap(({ group, results }) =>
      results
        .filter((r) => r.verdict === v)
        .map((r) => `${fmtClaimTest(r.claim)}${group.id === 'in-context' ? ', in context' : ''}`),
    );
    return hits.length ? hits.join('; ') : 'none';
  };
  L.push(`- What worked (supported): ${summaryOf('supported')}.`);
  L.push(
    `- What did not (not supported: the interval lies against the claim): ${summaryOf('not supported')}.`,
  );
  L.push(`- Within noise (this run cannot tell): ${summaryOf('within noise')}.`);
  L.push(`- Not run (a row it needs is absent): ${summaryOf('not run')}.`, '');
  L.push(
    `At this scale a verdict says what these small models did on these small tasks, not what the papers' models do on GLUE, SQuAD or MNLI; compare directions, not levels. DistilBERT (a student distilled from a trained encoder) is not a row of this experiment yet.`,
    '',
  );
  return L;
}

/** Markdown for docs/experiments/objectives.md. */
export function objectivesReport(runDir: string, figuresRelPath: string): string {
  const { run, summary: s } = loadAblation(runDir);
  const cfg = run.config as Obj;
  const rel = figuresRelPath.replace(/\/+$/, '');
  const judged = judgeObjectives(s);
  const seeds = s.seeds.length;
  const spread = seeds > 1 ? `mean ± sample standard deviation over ${seeds} seeds` : 'one seed';
  const L: string[] = [
    '# Pretraining objectives compared on one compute budget',
    '',
    `This report compares, at small scale, the pretraining objectives of the textbook's section: masked language modelling (BERT), replaced token detection (ELECTRA), left-to-right language modelling (GPT) and the encoder-decoder denoising objectives of T5 and BART, each pretrained on the same corpus for the same training FLOPs and probed on the same tasks beside a random model of each architecture (T5 Tables 2 and 4, BART Table 1, ELECTRA). Every claim is tested cell by cell with a paired bootstrap over seeds and test examples. It was generated from \`${run.dir.split('/').slice(-2).join('/')}\` alone.`,
    '',
    ...runSection(run),
    ...whatWasRun(cfg, s),
    '## Figures',
    '',
    `![Probe accuracy per objective, by task and probe size](${rel}/objectives-scores.svg)`,
    '',
    `![In-context accuracy of the decoder-only rows](${rel}/objectives-in-context.svg)`,
    '',
    '## Pretraining',
    '',
    `Final validation losses in nats (each row's own objective on held-out text, so levels differ between rows; ELECTRA's \`val\` is mlm + ${cfg.electra?.discWeight ?? 50} × disc), ${spread}; tokens (input tokens through the first stack), epochs and throughput are means over seeds.`,
    '',
    ...pretrainTable(s, {
      fields: ['architecture'],
      losses: ['val', 'mlm', 'disc'],
      extraColumns: [
        {
          title: 'ELECTRA disc. accuracy',
          align: 'right',
          cell: (v) => {
            const xs = s.pretrain.filter((p) => p.variant === v.name).map((p) => p.finalLoss.discAccuracy);
            return xs.every((x) => typeof x === 'number') && xs.length
              ? `${(100 * mean(xs)).toFixed(1)}%`
              : '—';
          },
        },
        {
          title: 'steps',
          align: 'right',
          cell: (v) => fmtInt(mean(s.pretrain.filter((p) => p.variant === v.name).map((p) => p.steps))),
        },
      ],
    }),
    '',
    '## Results: ours beside the papers',
    '',
    `Probe test accuracy in percent, ${spread}, one table per task. The last column is the papers' number for the same objective (they fine-tune on GLUE, SQuAD and MNLI; we probe small classification tasks).`,
    '',
  ];
  const paper = {
    title: 'paper',
    cell: (v: { fields: Obj; pretrained: boolean }) => paperCell(v.fields.objective, v.pretrained),
  };
  for (const t of s.tasks.filter((x) => x.kind === 'classification')) {
    L.push(`**${t.name}** (${t.classes ?? '?'} classes, ${t.testExamples} test examples, ${t.metric}):`, '');
    L.push(
      ...scoreTable(s, { tasks: [t.name], losses: false, extraColumns: [paper], methods: ['probe'] }),
      '',
    );
  }
  L.push(...paperTables(), '');
  L.push(...inContextSection(s, cfg));
  L.push('## Honest reading', '', ...honestReading(judged));
  L.push(...verdictDetails(s, judged));
  L.push('## Skipped tasks', '');
  if (s.skippedTasks.length === 0) L.push('None: every configured task ran.');
  else for (const x of s.skippedTasks) L.push(`- ${x}`);
  L.push('');
  return L.join('\n');
}

/**
 * "## In context": the decoder-only rows' prompt accuracies, and per row and task whether more
 * demonstrations beat none (the paired bootstrap over the same test prompts, seed by seed).
 */
function inContextSection(s: AblationSummary, cfg: Obj): string[] {
  const ic = s.results.filter((r) => r.method === 'in-context');
  if (ic.length === 0) return [];
  const rows = s.variants.filter((v) => ic.some((r) => r.variant === v.name)).map((v) => v.name);
  const tasks = s.tasks.filter((t) => ic.some((r) => r.task === t.name)).map((t) => t.name);
  const L = [
    '## In context',
    '',
    `The decoder-only rows read prompts with no gradient step (GPT-3's zero-, one- and few-shot evaluation): \`kv-recall\` gives k key-value pairs of random tokens and then one key (accuracy of the greedy next token, the value; chance is 1 in ${cfg.inContext?.recallVocab ?? 'n/a'}, the symbols keys and values are drawn from), and label-word prompts give k demonstrations "text [SEP] label [SEP]" before the test text, scored by the label's log-probability. Accuracy in percent, ${s.seeds.length > 1 ? `mean ± sample standard deviation over ${s.seeds.length} seeds` : 'one seed'}.`,
    '',
    ...scoreTable(s, {
      tasks,
      variants: rows,
      losses: false,
      fields: ['dModel'],
      methods: ['in-context'],
      onlyEvaluated: true,
    }),
    '',
  ];
  const lines: string[] = [];
  for (const task of tasks) {
    const ks = [...new Set(ic.filter((r) => r.task === task).map((r) => r.trainExamples))].sort(
      (a, b) => a - b,
    );
    if (ks.length < 2 || ks[0] !== 0) continue;
    const kMax = ks[ks.length - 1];
    for (const name of rows) {
      const at = (k: number) =>
        ic.filter((r) => r.variant === name && r.task === task && r.trainExamples === k);
      const a = at(kMax);
      const b = at(0);
      const seeds = a.map((r) => r.seed).filter((x) => b.some((r) => r.seed === x));
      if (seeds.length === 0) continue;
      const pick = (rs: typeof a) => seeds.map((x) => rs.find((r) => r.seed === x)!.perExample);
      const t = pairedBootstrap(pick(a), pick(b), BOOTSTRAP);
      lines.push(
        `- ${name}, ${task}: ${kMax}-shot − 0-shot ${fmtTest(t)}: ${judge(t, { direction: 'greater' })}`,
      );
    }
  }
  if (lines.length)
    L.push(
      "Few-shot beats zero-shot (GPT-3: accuracy rises with the demonstrations in the prompt), per row and task, A = the most demonstrations, B = none, on the same test texts. A label-word accuracy equal to one class's share of the test set, with no spread over seeds, is a model that gives that label every time: the score sums the label's log-probabilities, uncalibrated, so a label the model finds likelier a priori (or shorter in tokens) wins whatever the text.",
      '',
      ...lines,
      '',
    );
  return L;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : 0);
