/**
 * "What was run", computed from the run's config.json (experiments/nsp/config.ts: corpus,
 * pretrain.documents and selfPretrain, evals, probe, finetune) and its summary.json; no run's
 * numbers are written here by hand.
 */
import type { AblationSummary, EvalSpec } from '@pretrain-lab/experiment/schema';
import { evalsText } from '../ablation/summary.js';
import { describeCorpus, listText } from '../compare.js';
import { fmtInt, fmtSig } from '../format.js';

type Obj = Record<string, any>;

const count = (n: number, one: string) => `${fmtInt(n)} ${one}${n === 1 ? '' : 's'}`;

/** Non-embedding weights of the encoder (attention 4·d², feed-forward 2·d·d_ff per layer). */
export function encoderWeights(model: Obj | undefined): number | null {
  if (!model?.numLayers || !model.dModel) return null;
  const dFF = model.dFF ?? 4 * model.dModel;
  return model.numLayers * (4 * model.dModel * model.dModel + 2 * model.dModel * dFF);
}

const range = (xs: number[], fmt: (x: number) => string) => {
  if (xs.length === 0) return 'n/a';
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return fmt(lo) === fmt(hi) ? fmt(lo) : `${fmt(lo)} to ${fmt(hi)}`;
};

function pretrainLine(cfg: Obj, s: AblationSummary): string {
  const p: Obj = cfg.pretrain ?? {};
  const recs = s.pretrain;
  const docs =
    p.documents === undefined
      ? 'the training documents'
      : p.documents === 0
        ? 'every training document'
        : `${fmtInt(p.documents)} training documents (one seeded choice, shared by every row)`;
  const self: Obj | undefined = p.selfPretrain;
  const selfText =
    self && Array.isArray(self.tasks) && self.tasks.length > 0
      ? `, plus the unlabelled training inputs of ${listText(self.tasks.map((t: string) => `\`${t}\``))}, each cut to its first ${self.maxWords} words (self-pretraining, Krishna et al. 2023)`
      : '; no self-pretraining on task inputs';
  const diverged = recs.filter((r) => r.status === 'diverged').length;
  const parts = [
    `- Pretraining data: ${docs}${selfText}.`,
    `- Pretraining budget: ${p.tokens !== undefined ? fmtInt(p.tokens) : 'n/a'} real (non-padding) tokens per variant and seed, the same for every format (actually ${range(
      recs.map((r) => r.tokens),
      fmtInt,
    )}, ${range(
      recs.map((r) => r.epochs),
      (x) => x.toFixed(2),
    )} epochs), batch ${p.batchSize ?? 'n/a'}, peak lr ${p.lr ?? 'n/a'}; static masking keeps ${p.staticCopies ?? 'n/a'} fixed mask${p.staticCopies === 1 ? '' : 's'} per sequence; ${range(
      recs.map((r) => r.tokensPerSec),
      fmtInt,
    )} tokens/s${diverged ? `; ${diverged} of ${recs.length} pretrainings diverged (their last good checkpoint was evaluated)` : ''}. RoBERTa's base ablation trained on about 1M steps × 256 × 512 tokens.`,
  ];
  return parts.join('\n');
}

/** The "## What was run" section. */
export function whatWasRun(cfg: Obj, s: AblationSummary): string[] {
  const m: Obj | undefined = cfg.model;
  const weights = encoderWeights(m);
  const ft: Obj = cfg.finetune ?? {};
  const probe: Obj = cfg.probe ?? {};
  const evals: EvalSpec[] = Array.isArray(cfg.evals) ? cfg.evals : s.evals;
  const tasks = s.tasks.map(
    (t) =>
      `\`${t.name}\` (${t.classes ?? '?'} classes, ${fmtInt(t.trainExamples)} labelled training and ${fmtInt(t.testExamples)} test examples, ${t.metric})`,
  );
  const variants = s.variants.map((v) => {
    if (!v.pretrained) return `${v.name} (random initialisation, evaluated the same way)`;
    const f = v.fields;
    const pair = f.pair ? `, ${String(f.pair).toUpperCase()}` : ', no pair objective';
    return `${v.name} (${f.format ?? '?'}, ${f.masking ?? '?'} masking${pair})`;
  });
  const units = s.pretrain.length + s.results.length;
  const planned =
    s.seeds.length *
    (s.variants.filter((v) => v.pretrained).length + s.variants.length * s.tasks.length * s.evals.length);
  return [
    '## What was run',
    '',
    `- Corpus: ${describeCorpus(cfg.corpus)}, documents split with seed ${cfg.splitSeed ?? 'n/a'}; WordPiece tokenizer of ${fmtInt(cfg.tokenizer?.vocabSize)} tokens${cfg.tokenizer?.lowercase ? ', lowercased' : ''}, trained on the corpus's training documents (not on the self-pretraining inputs).`,
    m
      ? `- Model: BERT encoder, ${m.numLayers} layer${m.numLayers === 1 ? '' : 's'}, d_model ${m.dModel}, ${m.numHeads} heads, d_ff ${m.dFF}, sequence length ${m.maxLen}${weights ? ` (${fmtInt(weights)} weights outside embeddings; RoBERTa-base has about 85M)` : ''}.`
      : '- Model: not recorded in config.json.',
    pretrainLine(cfg, s),
    `- Evaluations of every row on every task: ${evalsText(evals)} labelled training examples (the same examples for every row of a seed). Probe: a linear classifier on the frozen encoder's mean-pooled states, ${probe.steps ?? 'n/a'} steps, lr ${probe.lr ?? 'n/a'}, L2 ${probe.l2 ?? 'n/a'}. Fine-tune: the whole encoder and a classifier on the [CLS] vector, ${ft.steps ?? 'n/a'} steps, batch ${ft.batchSize ?? 'n/a'}, lr ${ft.lr ?? 'n/a'}; at most ${fmtInt(ft.maxTestExamples)} test examples per task.`,
    `- Tasks: ${tasks.length ? listText(tasks) : 'none ran'}.`,
    `- Seeds: ${listText(s.seeds)} (${s.seeds.length}); each seed fixes the pretraining, the fine-tuning data order and the head's initialisation, shared by every row, so rows are compared seed by seed.`,
    `- Variants: ${listText(variants)}.`,
    `- Units of work: ${count(s.pretrain.length, 'pretraining')} and ${count(s.results.length, 'evaluation')} (${fmtInt(units)} of ${fmtInt(planned)} planned).`,
    '',
  ];
}

/** "860x smaller than RoBERTa-base", or a phrase without a number. */
export const scaleText = (cfg: Obj): string => {
  const w = encoderWeights(cfg.model);
  return w
    ? `${85e6 / w >= 100 ? fmtInt(85e6 / w) : fmtSig(85e6 / w, 2)}x smaller than RoBERTa-base (${fmtInt(w)} weights outside embeddings)`
    : 'far smaller than RoBERTa-base';
};
