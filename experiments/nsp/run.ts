/**
 * The NSP ablation: for each seed, pretrain one encoder per input format / masking variant on
 * the same token budget, then fine-tune it (and a randomly initialised encoder, the
 * no-pretraining row) on every task; report test accuracy and macro-F1.
 *
 * Resume: run-state.json lists finished units (a pretraining or a fine-tuning) with the metrics
 * length at that point; an unfinished pretraining continues from its checkpoint; a fine-tuning
 * that did not finish starts again (it is short). Pretrained encoders are read back from
 * their final checkpoint when a resumed run still has fine-tuning to do.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type ExperimentContext, RunLedger, writeJSONAtomic } from '@pretrain-lab/cli';
import { documentText, IndexStream } from '@pretrain-lab/data';
import { BERT, resolveBERTConfig } from '@pretrain-lab/models';
import {
  type BertExample,
  buildBertInputs,
  formatHasNsp,
  type MlmOptions,
  maskBatch,
} from '@pretrain-lab/objectives';
import { meanStd } from '@pretrain-lab/scaling';
import { accuracy, macroF1 } from '@pretrain-lab/tasks';
import { loadTokenizer, saveTokenizer, WordPieceTokenizer } from '@pretrain-lab/tokenizers';
import { loadCheckpoint, train } from '@pretrain-lab/train';
import * as tf from '@tensorflow/tfjs';
import { BASELINE, type NspConfig, type NspVariant, unitName } from './config.js';
import { corpusSplits, type EncodedTask, encodeDocuments, encodeTask, specialIds } from './data.js';

interface PretrainResult {
  /** 'diverged': stopped by the trainer's divergence check; its encoder is the last good checkpoint. */
  status: 'completed' | 'diverged';
  variant: string;
  format: string;
  masking: string;
  seed: number;
  steps: number;
  tokens: number;
  finalMlmLoss: number;
  finalNspLoss: number | null;
  tokensPerSec: number;
}

interface FinetuneResult {
  status: 'completed' | 'diverged';
  variant: string;
  seed: number;
  task: string;
  accuracy: number;
  macroF1: number;
  testExamples: number;
  trainLoss: number;
}

interface RunState {
  pretrain: PretrainResult[];
  finetune: FinetuneResult[];
  skippedTasks: string[];
}

interface EncoderBatch {
  inputIds: Int32Array;
  tokenTypeIds: Int32Array;
  attentionMask: Int32Array;
  rows: number;
}
interface PretrainBatch extends EncoderBatch {
  mlmLabels: Int32Array;
  nspLabels: Int32Array | null;
}
interface ClassifyBatch extends EncoderBatch {
  labels: Int32Array;
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

function gatherRows(
  examples: readonly BertExample[],
  indices: ArrayLike<number>,
  maxLen: number,
): EncoderBatch & { nsp: Int32Array } {
  const rows = indices.length;
  const inputIds = new Int32Array(rows * maxLen);
  const tokenTypeIds = new Int32Array(rows * maxLen);
  const attentionMask = new Int32Array(rows * maxLen);
  const nsp = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const ex = examples[indices[r]];
    inputIds.set(ex.inputIds, r * maxLen);
    tokenTypeIds.set(ex.tokenTypeIds, r * maxLen);
    attentionMask.set(ex.attentionMask, r * maxLen);
    nsp[r] = ex.nspLabel;
  }
  return { inputIds, tokenTypeIds, attentionMask, rows, nsp };
}

function tensors(b: EncoderBatch, T: number) {
  return {
    inputIds: tf.tensor2d(b.inputIds, [b.rows, T], 'int32'),
    tokenTypeIds: tf.tensor2d(b.tokenTypeIds, [b.rows, T], 'int32'),
    attentionMask: tf.tensor2d(b.attentionMask, [b.rows, T], 'int32'),
  };
}

const realTokens = (b: EncoderBatch) => b.attentionMask.reduce((a, x) => a + x, 0);

export async function runNsp(cfg: NspConfig, ctx: ExperimentContext): Promise<void> {
  const dir = ctx.run.dir;
  const metrics = ctx.metrics; // metrics.jsonl and the TensorBoard event files beside it
  const ledger = new RunLedger<RunState>(dir, metrics, { pretrain: [], finetune: [], skippedTasks: [] });
  const state = ledger.state;
  const T = cfg.model.maxLen;

  // Data and tokenizer (trained on the training documents only).
  const splits = corpusSplits(cfg.corpus, cfg.splitSeed);
  const tokPath = path.join(dir, 'tokenizer.json');
  let tok: WordPieceTokenizer;
  if (fs.existsSync(tokPath)) tok = loadTokenizer(tokPath) as WordPieceTokenizer;
  else {
    tok = WordPieceTokenizer.train(splits.train.map(documentText), {
      vocabSize: cfg.tokenizer.vocabSize,
      lowercase: cfg.tokenizer.lowercase,
    });
    saveTokenizer(tok, tokPath);
  }
  const ids = specialIds(tok);
  const inputIds = { clsId: ids.clsId, sepId: ids.sepId, padId: ids.padId };
  const trainDocs = encodeDocuments(splits.train, tok);
  const valDocs = encodeDocuments(splits.validation, tok);
  ctx.log(
    `corpus ${cfg.corpus}: ${splits.train.length} training documents, ${splits.validation.length} validation; WordPiece vocabulary ${tok.vocabSize}`,
  );
  const mlmOpts: MlmOptions = {
    vocabSize: tok.vocabSize,
    maskId: ids.maskId,
    specialIds: [ids.padId, ids.clsId, ids.sepId, ids.maskId],
  };

  const tasks: EncodedTask[] = [];
  for (const name of cfg.finetune.tasks) {
    const t = encodeTask(name, tok, ids, {
      maxLen: T,
      splitSeed: cfg.splitSeed,
      maxTrain: cfg.finetune.maxTrainExamples,
      maxTest: cfg.finetune.maxTestExamples,
    });
    if ('skipped' in t) {
      ctx.log(`task skipped: ${t.skipped}`);
      if (!state.skippedTasks.includes(t.skipped)) state.skippedTasks.push(t.skipped);
      continue;
    }
    ctx.log(
      `task ${t.name}: ${t.labels.length} classes, ${t.train.examples.length} training and ${t.test.examples.length} test examples`,
    );
    tasks.push(t);
  }
  if (tasks.length === 0) throw new Error('no fine-tuning task is available; see the notes above');

  const modelConfig = (nsp: boolean) =>
    resolveBERTConfig({
      vocabSize: tok.vocabSize,
      maxLen: T,
      dModel: cfg.model.dModel,
      numLayers: cfg.model.numLayers,
      numHeads: cfg.model.numHeads,
      dFF: cfg.model.dFF,
      dropout: cfg.model.dropout,
      preNorm: cfg.model.preNorm,
      nsp,
    });

  const pretrain = async (v: NspVariant, seed: number): Promise<BERT> => {
    const key = `pretrain/${v.name}/${seed}`;
    const ckDir = path.join(dir, 'checkpoints', `pretrain-${slug(v.name)}-s${seed}`);
    const nsp = formatHasNsp(v.format);
    const model = new BERT(modelConfig(nsp), seed);
    if (ledger.isDone(key)) {
      const ck = loadCheckpoint(ckDir);
      model.params.assign(Object.fromEntries(Object.entries(ck.weights).map(([k, w]) => [k, w.data])));
      return model;
    }
    if (!fs.existsSync(path.join(ckDir, 'state.json'))) ledger.rewind();
    const examples = buildBertInputs(trainDocs, { format: v.format, ...inputIds, maxLen: T, seed });
    const valExamples = buildBertInputs(valDocs, {
      format: v.format,
      ...inputIds,
      maxLen: T,
      seed: cfg.splitSeed,
    }).slice(0, cfg.pretrain.evalExamples);
    const meanReal = examples.reduce((a, e) => a + e.length, 0) / examples.length;
    const p = cfg.pretrain;
    const steps = Math.max(1, Math.round(p.tokens / (p.batchSize * meanReal)));
    const order = new IndexStream(examples.length, p.batchSize, seed, 'examples');
    const masking = { masking: v.masking, seed, numCopies: p.staticCopies };
    const source = {
      next: (): PretrainBatch => {
        const { indices, epoch } = order.next();
        const b = gatherRows(examples, indices, T);
        const m = maskBatch(b.inputIds, T, { ...masking, epoch }, mlmOpts, { sequenceIndices: indices });
        return { ...b, inputIds: m.inputs, mlmLabels: m.labels, nspLabels: nsp ? b.nsp : null };
      },
      getPosition: () => order.getPosition(),
      setPosition: (pos: any) => order.setPosition(pos),
    };
    // Validation: the same masks every time (epoch 0 of a fixed seed).
    const valBatches: PretrainBatch[] = [];
    for (let s = 0; s < valExamples.length; s += p.batchSize) {
      const idx = Int32Array.from({ length: Math.min(p.batchSize, valExamples.length - s) }, (_, i) => s + i);
      const b = gatherRows(valExamples, idx, T);
      const m = maskBatch(b.inputIds, T, { masking: 'dynamic', seed: cfg.splitSeed, epoch: 0 }, mlmOpts, {
        sequenceIndices: idx,
      });
      valBatches.push({ ...b, inputIds: m.inputs, mlmLabels: m.labels, nspLabels: nsp ? b.nsp : null });
    }
    ctx.log(
      `${unitName(v.name, seed)}: ${examples.length} inputs (mean ${meanReal.toFixed(1)} real tokens), ${steps} steps of ${p.batchSize}`,
    );
    const result = await train<PretrainBatch>({
      name: unitName(v.name, seed),
      model,
      train: source,
      lossFn: (b, fctx) => {
        const t = tensors(b, T);
        const out = model.pretrainLoss(
          {
            ...t,
            mlmLabels: tf.tensor2d(b.mlmLabels, [b.rows, T], 'int32'),
            nspLabels: b.nspLabels ? tf.tensor1d(b.nspLabels, 'int32') : null,
          },
          fctx,
        );
        const parts: Record<string, tf.Scalar> = { mlm: out.mlmLoss };
        if (out.nspLoss) parts.nsp = out.nspLoss;
        return { loss: out.loss, parts };
      },
      evalSets: { val: () => valBatches },
      tokensIn: realTokens,
      weightOf: (b) => b.rows,
      cfg: {
        steps,
        lr: p.lr,
        minLr: p.lr * p.minLrRatio,
        warmupSteps: Math.max(1, Math.round(p.warmupFraction * steps)),
        adamw: { beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: p.weightDecay, gradClip: 1.0 },
        evalEvery: p.evalEvery,
        logEvery: p.logEvery,
        checkpointEvery: p.checkpointEvery,
        seed,
      },
      metrics,
      rowExtra: { phase: 'pretrain', variant: v.name, seed },
      checkpointDir: ckDir,
      resume: true,
      runConfig: { experiment: 'nsp', variant: v.name, seed },
      extraFiles: { 'tokenizer.json': fs.readFileSync(tokPath, 'utf8') },
      progress: ctx.progress,
    });
    ctx.progress.done(
      `${unitName(v.name, seed)}: val MLM ${result.finalLoss['val.mlm']?.toFixed(3)}${nsp ? `, NSP ${result.finalLoss['val.nsp']?.toFixed(3)}` : ''}`,
    );
    if (result.status === 'diverged')
      ctx.log(
        `${unitName(v.name, seed)}: diverged (${result.divergence?.reason}); kept its last good checkpoint`,
      );
    const summary: PretrainResult = {
      status: result.status,
      variant: v.name,
      format: v.format,
      masking: v.masking,
      seed,
      steps: result.steps,
      tokens: result.tokens,
      finalMlmLoss: result.finalLoss['val.mlm'],
      finalNspLoss: nsp ? result.finalLoss['val.nsp'] : null,
      tokensPerSec: Math.round(result.tokensPerSec),
    };
    ledger.finish(key, (s) => s.pretrain.push(summary));
    return model;
  };

  const finetune = async (variant: string, seed: number, encoder: BERT, task: EncodedTask) => {
    const key = `finetune/${variant}/${seed}/${task.name}`;
    if (ledger.isDone(key)) return;
    ledger.rewind();
    const model = encoder.withClassifier(task.labels.length, seed);
    const f = cfg.finetune;
    const order = new IndexStream(task.train.examples.length, f.batchSize, seed, `${task.name} examples`);
    const source = {
      next: (): ClassifyBatch => {
        const { indices } = order.next();
        const b = gatherRows(task.train.examples, indices, T);
        return { ...b, labels: Int32Array.from(indices, (i) => task.train.labels[i]) };
      },
      getPosition: () => order.getPosition(),
      setPosition: (pos: any) => order.setPosition(pos),
    };
    const name = `${unitName(variant, seed)} | ${task.name}`;
    const result = await train<ClassifyBatch>({
      name,
      model,
      train: source,
      lossFn: (b, fctx) =>
        model.classificationLoss({ ...tensors(b, T), labels: tf.tensor1d(b.labels, 'int32') }, fctx),
      evalSets: {},
      tokensIn: realTokens,
      cfg: {
        steps: f.steps,
        lr: f.lr,
        minLr: 0,
        warmupSteps: Math.max(1, Math.round(f.warmupFraction * f.steps)),
        adamw: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: f.weightDecay, gradClip: 1.0 },
        evalEvery: f.steps,
        logEvery: Math.max(1, Math.floor(f.steps / 10)),
        checkpointEvery: 0,
        seed,
      },
      metrics,
      rowExtra: { phase: 'finetune', variant, seed, task: task.name },
      progress: ctx.progress,
    });
    // Test: argmax of the classifier, scored against the gold labels.
    const predicted: string[] = [];
    const gold: string[] = [];
    for (let s = 0; s < task.test.examples.length; s += 64) {
      const idx = Int32Array.from({ length: Math.min(64, task.test.examples.length - s) }, (_, i) => s + i);
      const b = gatherRows(task.test.examples, idx, T);
      const arg = tf.tidy(() => {
        const t = tensors(b, T);
        return tf.argMax(model.classifyLogits(t.inputIds, t.tokenTypeIds, t.attentionMask), -1);
      });
      const values = await arg.data();
      arg.dispose();
      for (let i = 0; i < idx.length; i++) {
        predicted.push(task.labels[values[i]]);
        gold.push(task.labels[task.test.labels[idx[i]]]);
      }
    }
    const res: FinetuneResult = {
      status: result.status,
      variant,
      seed,
      task: task.name,
      accuracy: accuracy(gold, predicted),
      macroF1: macroF1(gold, predicted),
      testExamples: gold.length,
      trainLoss: result.trainLoss,
    };
    metrics.append({
      model: name,
      phase: 'finetune',
      split: 'test',
      variant,
      seed,
      task: task.name,
      step: result.steps,
      accuracy: res.accuracy,
      macroF1: res.macroF1,
    });
    ctx.progress.done(
      `${name}: test accuracy ${(res.accuracy * 100).toFixed(1)}%, macro-F1 ${(res.macroF1 * 100).toFixed(1)}`,
    );
    model.dispose();
    ledger.finish(key, (s) => s.finetune.push(res));
  };

  for (const seed of cfg.seeds) {
    if (cfg.baseline) {
      const encoder = new BERT(modelConfig(false), seed); // random init: the no-pretraining row
      for (const task of tasks) await finetune(BASELINE, seed, encoder, task);
      encoder.dispose();
    }
    for (const v of cfg.variants) {
      const pending = tasks.some((t) => !ledger.isDone(`finetune/${v.name}/${seed}/${t.name}`));
      if (ledger.isDone(`pretrain/${v.name}/${seed}`) && !pending) continue;
      const encoder = await pretrain(v, seed);
      for (const task of tasks) await finetune(v.name, seed, encoder, task);
      encoder.dispose();
    }
  }

  writeJSONAtomic(
    path.join(dir, 'summary.json'),
    summarize(
      cfg,
      state,
      tasks.map((t) => t.name),
    ),
  );
}

/** Mean and sample standard deviation over seeds, per variant and task (RoBERTa Table 2's layout). */
export function summarize(cfg: NspConfig, state: RunState, tasks: string[]) {
  const rows = [...(cfg.baseline ? [BASELINE] : []), ...cfg.variants.map((v) => v.name)].map((variant) => {
    const cells: Record<
      string,
      { accuracy: { mean: number; std: number }; macroF1: { mean: number; std: number }; n: number }
    > = {};
    for (const task of tasks) {
      const rs = state.finetune.filter((r) => r.variant === variant && r.task === task);
      if (rs.length === 0) continue;
      const acc = rs.map((r) => r.accuracy);
      const f1 = rs.map((r) => r.macroF1);
      cells[task] = {
        accuracy: meanStd(acc),
        macroF1: meanStd(f1),
        n: rs.length,
      };
    }
    const pre = state.pretrain.filter((r) => r.variant === variant);
    const v = cfg.variants.find((x) => x.name === variant);
    return {
      variant,
      format: v?.format ?? null,
      masking: v?.masking ?? null,
      nsp: v ? formatHasNsp(v.format) : null,
      pretrainMlmLoss: pre.length ? meanStd(pre.map((r) => r.finalMlmLoss)) : null,
      pretrainNspLoss:
        pre.length && pre[0].finalNspLoss !== null ? meanStd(pre.map((r) => r.finalNspLoss!)) : null,
      tasks: cells,
    };
  });
  return {
    tasks,
    seeds: cfg.seeds,
    table: rows,
    pretrain: state.pretrain,
    finetune: state.finetune,
    skippedTasks: state.skippedTasks,
  };
}
