/**
 * "What was run", computed from the run's config.json (experiments/spans/config.ts: corpus,
 * tokenizer, model, meanSpans at spanRate, rates at rateSpan, pretrain, evals, finetune) and its
 * summary.json; no run's numbers are written here by hand.
 */
import type { AblationSummary, EvalSpec, PretrainRecord } from '@pretrain-lab/experiment/schema';
import { evalsText } from '../ablation/summary.js';
import { describeCorpus, listText } from '../compare.js';
import { fmtInt, fmtSig } from '../format.js';

type Obj = Record<string, any>;

/** Display names of the metrics experiments/spans computes. */
export const METRIC_LABEL: Record<string, string> = {
  accuracy: 'accuracy',
  macroF1: 'macro-F1',
  exactMatch: 'exact match',
  rougeL: 'ROUGE-L',
  greedyAccuracy: 'accuracy of greedy decoding (fine-tuning; an output that is no label counts wrong)',
};
export const metricLabel = (m: string): string => METRIC_LABEL[m] ?? m;

const pct = (rate: number) => `${Math.round(100 * rate)}%`;
const count = (n: number, one: string) => `${fmtInt(n)} ${one}${n === 1 ? '' : 's'}`;

/**
 * Weights outside the embeddings: encoder layers 4d² (self-attention) + 2·d·d_ff, decoder layers
 * 8d² (self- and cross-attention) + 2·d·d_ff; layer norms and position buckets left out.
 */
export function t5Weights(model: Obj | undefined): number | null {
  if (!model?.numLayers || !model.dModel) return null;
  const d = model.dModel;
  const ff = 2 * d * (model.dFF ?? 4 * d);
  return model.numLayers * (4 * d * d + ff) + (model.numDecoderLayers ?? model.numLayers) * (8 * d * d + ff);
}

/** "12" or "12 to 20" over the pretraining records, by `pick`; 'n/a' when none has it. */
export function recordRange(
  recs: readonly PretrainRecord[],
  pick: (p: PretrainRecord) => unknown,
  fmt: (x: number) => string,
): string {
  const xs = recs.map(pick).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  if (xs.length === 0) return 'n/a';
  const lo = fmt(Math.min(...xs));
  const hi = fmt(Math.max(...xs));
  return lo === hi ? lo : `${lo} to ${hi}`;
}

function settingsLine(cfg: Obj, s: AblationSummary): string {
  const spans: number[] = Array.isArray(cfg.meanSpans) ? cfg.meanSpans : [];
  const rates: number[] = Array.isArray(cfg.rates) ? cfg.rates : [];
  const spanText = spans.map((m) => (m === 1 ? '1 (i.i.d.)' : String(m)));
  const pretrained = s.variants.filter((v) => v.pretrained).length;
  const sweeps = [
    spans.length
      ? `mean span${spans.length === 1 ? '' : 's'} ${listText(spanText)} at ${pct(cfg.spanRate)} corruption`
      : '',
    rates.length
      ? `corruption rate${rates.length === 1 ? '' : 's'} ${listText(rates.map(pct))} at mean span ${cfg.rateSpan}`
      : '',
  ].filter(Boolean);
  return `- Settings: ${sweeps.length ? listText(sweeps) : 'not recorded in config.json'} (${count(pretrained, 'pretrained setting')}, a setting in both sweeps counted once)${s.baseline ? `, and \`${s.baseline}\`: the same model from random initialisation, fine-tuned the same way` : ''}.`;
}

function pretrainLine(cfg: Obj, s: AblationSummary): string {
  const p: Obj = cfg.pretrain ?? {};
  const recs = s.pretrain;
  const planned =
    p.steps && p.batchSize && p.inputLength ? fmtInt(p.steps * p.batchSize * p.inputLength) : 'n/a';
  const diverged = recs.filter((r) => r.status === 'diverged').length;
  const x = (k: string) => (r: PretrainRecord) => r.extra[k];
  return [
    `- Pretraining: ${p.steps ?? 'n/a'} steps of ${p.batchSize ?? 'n/a'} inputs of ${p.inputLength ?? 'n/a'} tokens per setting and seed, ${planned} input tokens, the same for every setting, as T5 gives every setting the same steps and input length; actually ${recordRange(recs, (r) => r.tokens, fmtInt)} tokens, ${recordRange(
      recs,
      (r) => r.epochs,
      (v) => v.toFixed(2),
    )} epochs.`,
    `Each input is cut from ${recordRange(recs, x('rawTokensPerExample'), fmtInt)} raw tokens (T5's random_spans_helper: enough that the corrupted input fills ${p.inputLength ?? 'n/a'} tokens), and its target has ${recordRange(recs, x('targetLength'), (v) => v.toFixed(1))} tokens on average.`,
    `AdamW, peak lr ${p.lr ?? 'n/a'} after ${p.warmupSteps ?? 'n/a'} warmup steps, decaying to ${p.minLrRatio ?? 'n/a'} of it; ${recordRange(recs, (r) => r.tokensPerSec, fmtInt)} tokens/s${diverged ? `; ${diverged} of ${recs.length} pretrainings diverged (their last good checkpoint was evaluated)` : ''}. T5 pretrained on 2^35 ≈ 34B tokens for these tables (section 3.1).`,
  ].join(' ');
}

/** The "## What was run" section. */
export function whatWasRun(cfg: Obj, s: AblationSummary): string[] {
  const m: Obj | undefined = cfg.model;
  const weights = t5Weights(m);
  const ft: Obj = cfg.finetune ?? {};
  const evals: EvalSpec[] = Array.isArray(cfg.evals) ? cfg.evals : s.evals;
  const tasks = s.tasks.map((t) => {
    const what =
      t.kind === 'classification'
        ? `classification, ${t.classes ?? '?'} classes, ${metricLabel(t.metric)}`
        : `generation, ${metricLabel(t.metric)}`;
    return `\`${t.name}\` (${what}; ${fmtInt(t.trainExamples)} labelled training and ${fmtInt(t.testExamples)} test examples)`;
  });
  const units = s.pretrain.length + s.results.length;
  const planned =
    s.seeds.length *
    (s.variants.filter((v) => v.pretrained).length + s.variants.length * s.tasks.length * s.evals.length);
  const layers = m?.numDecoderLayers ?? m?.numLayers;
  // Runs that rank the label texts record greedy decoding's accuracy beside the headline.
  const ranked = s.results.some((r) => r.method === 'finetune' && r.scores.greedyAccuracy !== undefined);
  return [
    '## What was run',
    '',
    `- Corpus: ${describeCorpus(cfg.corpus)}, documents split with seed ${cfg.splitSeed ?? 'n/a'} (the split the Brown tasks use, so no held-out document is pretrained on); Unigram tokenizer of ${fmtInt(cfg.tokenizer?.vocabSize)} tokens, 100 of them T5's sentinels, trained on the training documents.`,
    m
      ? `- Model: T5-style encoder-decoder, ${m.numLayers} encoder and ${layers} decoder layer${layers === 1 ? '' : 's'}, d_model ${m.dModel}, ${m.numHeads} heads, d_ff ${m.dFF}, dropout ${m.dropout ?? 'n/a'}${weights ? ` (${fmtInt(weights)} weights outside embeddings; T5's baseline has about 220M parameters in all)` : ''}.`
      : '- Model: not recorded in config.json.',
    settingsLine(cfg, s),
    pretrainLine(cfg, s),
    `- Evaluations of every row on every task: ${evalsText(evals)} labelled training examples (the same examples for every row). Full fine-tuning of a copy of the model, text to text with a task prefix as in T5, ${ft.steps ?? 'n/a'} steps, batch ${ft.batchSize ?? 'n/a'}, lr ${ft.lr ?? 'n/a'}; inputs cut to ${ft.maxInputLength ?? 'n/a'} tokens and targets to ${ft.maxTargetLength ?? 'n/a'}; greedy decoding of at most ${fmtInt(ft.maxTestExamples)} test examples per task, scored on the decoded text${ranked ? "; on classification tasks the headline accuracy is rank classification instead (the label text, with </s>, to which the fine-tuned model gives the highest log-likelihood), with greedy decoding's accuracy (an output that is no label counts wrong, as in T5) kept as a second score" : ''}.`,
    `- Tasks: ${tasks.length ? listText(tasks) : 'none ran'}. Claims are judged on each task's headline metric, the one named; exact match counts a prediction right only if it equals the target up to runs of white space, case and punctuation included.`,
    `- Seeds: ${listText(s.seeds)} (${s.seeds.length}); each seed fixes the pretraining, the fine-tuning data order and the initialisation, shared by every row, so rows are compared seed by seed.`,
    `- Units of work: ${count(s.pretrain.length, 'pretraining')} and ${count(s.results.length, 'evaluation')} (${fmtInt(units)} of ${fmtInt(planned)} planned).`,
    '',
  ];
}

/** "860x smaller than T5's baseline", or a phrase without a number. */
export const scaleText = (cfg: Obj): string => {
  const w = t5Weights(cfg.model);
  return w
    ? `about ${fmtSig(220e6 / w, 2)}x smaller than T5's baseline (${fmtInt(w)} weights outside embeddings against about 220M parameters in all)`
    : "far smaller than T5's baseline";
};
