/**
 * The span-corruption study: a Unigram tokenizer with T5's 100 sentinels, then for each seed
 * and each (mean span, rate) setting a T5-style model pretrained on span corruption for the
 * same number of input tokens, then fine-tuned text to text ("classify genre: ...") on every
 * task, scored by exact match or ROUGE on held-out examples.
 *
 * Resume works as in the NSP experiment: run-state.json lists finished units; an unfinished
 * pretraining continues from its checkpoint; an unfinished fine-tuning starts again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type ExperimentContext, RunLedger, writeJSONAtomic } from '@pretrain-lab/experiment';
import { checkSplits, documentText, IndexStream, loadCorpus, splitDocuments } from '@pretrain-lab/data';
import { resolveT5Config, T5 } from '@pretrain-lab/models';
import { randomSpansHelper, spanCorruption } from '@pretrain-lab/objectives';
import { Rng } from '@pretrain-lab/runtime';
import { mean, meanStd } from '@pretrain-lab/scaling';
import {
  accuracy,
  loadTask,
  macroF1,
  meanRouge,
  type Task,
  TaskUnavailableError,
  textToText,
} from '@pretrain-lab/tasks';
import { loadTokenizer, saveTokenizer, UnigramTokenizer } from '@pretrain-lab/tokenizers';
import { loadCheckpoint, train } from '@pretrain-lab/train';
import * as tf from '@tensorflow/tfjs';
import { BASELINE, type SpansConfig, settings } from './config.js';

interface Seq2SeqBatch {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  labels: Int32Array;
  rows: number;
  inLen: number;
  outLen: number;
}

interface TaskData {
  name: string;
  kind: 'classification' | 'generation';
  labels: string[];
  train: { inputs: Int32Array[]; targets: Int32Array[] };
  test: { inputs: Int32Array[]; targets: string[] };
}

const PREFIX: Record<string, string> = {
  'brown-genre': 'classify genre',
  spam: 'classify spam',
  'spam-subject': 'subject',
  'kjv-web-paraphrase': 'paraphrase',
};

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** Pad rows of ids to one batch: inputs with pad and a mask, labels with -100. */
function collate(
  inputs: readonly Int32Array[],
  targets: readonly Int32Array[],
  inLen: number,
  outLen: number,
  padId: number,
): Seq2SeqBatch {
  const rows = inputs.length;
  const inputIds = new Int32Array(rows * inLen).fill(padId);
  const attentionMask = new Int32Array(rows * inLen);
  const labels = new Int32Array(rows * outLen).fill(-100);
  for (let r = 0; r < rows; r++) {
    const x = inputs[r].subarray(0, inLen);
    inputIds.set(x, r * inLen);
    attentionMask.fill(1, r * inLen, r * inLen + x.length);
    labels.set(targets[r].subarray(0, outLen), r * outLen);
  }
  return { inputIds, attentionMask, labels, rows, inLen, outLen };
}

function lossOf(model: T5, b: Seq2SeqBatch, ctx: Parameters<T5['loss']>[1]) {
  return model.loss(
    {
      inputIds: tf.tensor2d(b.inputIds, [b.rows, b.inLen], 'int32'),
      attentionMask: tf.tensor2d(b.attentionMask, [b.rows, b.inLen], 'int32'),
      labels: tf.tensor2d(b.labels, [b.rows, b.outLen], 'int32'),
    },
    ctx,
  );
}

function withEos(ids: Int32Array, max: number, eos: number): Int32Array {
  const out = new Int32Array(Math.min(ids.length, max - 1) + 1);
  out.set(ids.subarray(0, max - 1));
  out[out.length - 1] = eos;
  return out;
}

function loadTextTask(name: string, tok: UnigramTokenizer, cfg: SpansConfig): TaskData | { skipped: string } {
  let task: Task;
  try {
    task = loadTask(name, { seed: cfg.splitSeed });
  } catch (e) {
    if (e instanceof TaskUnavailableError || (e as Error).name === 'TaskUnavailableError')
      return { skipped: `${name}: ${(e as Error).message}` };
    throw e;
  }
  const t2t = textToText(task, PREFIX[name] ?? name);
  const f = cfg.finetune;
  const rng = Rng.derive(cfg.splitSeed, `task/${name}`);
  const pick = <T>(xs: readonly T[], max: number) => {
    if (xs.length <= max) return xs.slice();
    const idx = Array.from(rng.permutation(xs.length).subarray(0, max)).sort((a, b) => a - b);
    return idx.map((i) => xs[i]);
  };
  const train = pick(t2t.train, f.maxTrainExamples);
  const test = pick(t2t.test, f.maxTestExamples);
  return {
    name,
    kind: task.kind === 'generation' ? 'generation' : 'classification',
    labels: task.labels,
    train: {
      inputs: train.map((e) => withEos(tok.encode(e.input), f.maxInputLength, tok.eosId)),
      targets: train.map((e) => withEos(tok.encode(e.target), f.maxTargetLength, tok.eosId)),
    },
    test: {
      inputs: test.map((e) => withEos(tok.encode(e.input), f.maxInputLength, tok.eosId)),
      targets: test.map((e) => e.target),
    },
  };
}

export async function runSpans(cfg: SpansConfig, ctx: ExperimentContext): Promise<void> {
  const dir = ctx.run.dir;
  const metrics = ctx.metrics; // metrics.jsonl and the TensorBoard event files beside it
  const ledger = new RunLedger(dir, metrics, {
    pretrain: [] as Record<string, unknown>[],
    finetune: [] as Record<string, unknown>[],
    skippedTasks: [] as string[],
  });
  const state = ledger.state;

  // Tokenizer: Unigram (SentencePiece-style) with <pad>=0, </s>=1, <unk>=2 and 100 sentinels at the end.
  const splits = splitDocuments(loadCorpus(cfg.corpus), { seed: cfg.splitSeed });
  checkSplits(cfg.corpus, splits);
  const tokPath = path.join(dir, 'tokenizer.json');
  let tok: UnigramTokenizer;
  if (fs.existsSync(tokPath)) tok = loadTokenizer(tokPath) as UnigramTokenizer;
  else {
    const t0 = Date.now();
    tok = UnigramTokenizer.train(splits.train.map(documentText), { vocabSize: cfg.tokenizer.vocabSize });
    saveTokenizer(tok, tokPath);
    ctx.log(
      `Unigram tokenizer, vocabulary ${tok.vocabSize} (100 sentinels), trained in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  const stream = (docs: typeof splits.train) => {
    const parts = docs.map((d) => tok.encode(documentText(d)));
    const total = parts.reduce((a, p) => a + p.length, 0);
    const out = new Int32Array(total);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  const trainStream = stream(splits.train);
  const valStream = stream(splits.validation);
  ctx.log(
    `corpus ${cfg.corpus}: ${trainStream.length.toLocaleString('en-US')} training tokens, ${valStream.length.toLocaleString('en-US')} validation`,
  );

  const tasks: TaskData[] = [];
  for (const name of cfg.finetune.tasks) {
    const t = loadTextTask(name, tok, cfg);
    if ('skipped' in t) {
      ctx.log(`task skipped: ${t.skipped}`);
      if (!state.skippedTasks.includes(t.skipped)) state.skippedTasks.push(t.skipped);
      continue;
    }
    ctx.log(
      `task ${t.name} (${t.kind}): ${t.train.inputs.length} training and ${t.test.inputs.length} test examples`,
    );
    tasks.push(t);
  }
  if (tasks.length === 0) throw new Error('no fine-tuning task is available; see the notes above');

  const modelConfig = resolveT5Config({
    vocabSize: tok.vocabSize,
    dModel: cfg.model.dModel,
    numLayers: cfg.model.numLayers,
    numHeads: cfg.model.numHeads,
    dFF: cfg.model.dFF,
    dropout: cfg.model.dropout,
    padId: 0,
    decoderStartId: 0,
    eosId: tok.eosId,
  });
  const sentinel = (k: number) => tok.sentinelId(k);

  const pretrain = async (s: ReturnType<typeof settings>[number], seed: number): Promise<T5> => {
    const key = `pretrain/${s.name}/${seed}`;
    const ckDir = path.join(dir, 'checkpoints', `pretrain-${slug(s.name)}-s${seed}`);
    const model = new T5(modelConfig, seed);
    if (ledger.isDone(key)) {
      const ck = loadCheckpoint(ckDir);
      model.params.assign(Object.fromEntries(Object.entries(ck.weights).map(([k, w]) => [k, w.data])));
      return model;
    }
    if (!fs.existsSync(path.join(ckDir, 'state.json'))) ledger.rewind();
    const p = cfg.pretrain;
    // As T5's random_spans_helper: raw tokens per example so that the corrupted inputs fill inputLength.
    const { tokensLength, targetsLength } = randomSpansHelper(p.inputLength, s.rate, s.meanSpan);
    const chunks = Math.floor(trainStream.length / tokensLength);
    const chunk = (src: Int32Array, i: number) => src.subarray(i * tokensLength, (i + 1) * tokensLength);
    const corrupt = (src: Int32Array, i: number, rngSeed: number, epoch: number) =>
      spanCorruption(chunk(src, i), {
        noiseDensity: s.rate,
        meanNoiseSpanLength: s.meanSpan,
        rng: Rng.derive(rngSeed, `spans/${i}/${epoch}`),
        sentinelId: sentinel,
        eosId: tok.eosId,
      });
    const order = new IndexStream(
      chunks,
      p.batchSize,
      seed,
      `chunks of ${tokensLength} training tokens (corpus '${cfg.corpus}', ${trainStream.length} tokens)`,
    );
    const source = {
      next: (): Seq2SeqBatch => {
        const { indices, epoch } = order.next();
        const ex = Array.from(indices, (i) => corrupt(trainStream, i, seed, epoch));
        return collate(
          ex.map((e) => e.inputs),
          ex.map((e) => e.targets),
          p.inputLength,
          targetsLength,
          0,
        );
      },
      getPosition: () => order.getPosition(),
      setPosition: (pos: any) => order.setPosition(pos),
    };
    const valChunks = Math.min(p.evalExamples, Math.floor(valStream.length / tokensLength));
    const valBatches: Seq2SeqBatch[] = [];
    for (let st = 0; st < valChunks; st += p.batchSize) {
      const ex = Array.from({ length: Math.min(p.batchSize, valChunks - st) }, (_, j) =>
        corrupt(valStream, st + j, cfg.splitSeed, 0),
      );
      valBatches.push(
        collate(
          ex.map((e) => e.inputs),
          ex.map((e) => e.targets),
          p.inputLength,
          targetsLength,
          0,
        ),
      );
    }
    const meanTarget = mean(
      valBatches.flatMap((b) =>
        Array.from(
          { length: b.rows },
          (_, r) => b.labels.subarray(r * b.outLen, (r + 1) * b.outLen).filter((x) => x >= 0).length,
        ),
      ),
    );
    ctx.log(
      `${s.name} | seed ${seed}: ${tokensLength} raw tokens -> ${p.inputLength} inputs and ${targetsLength} targets (mean ${meanTarget.toFixed(1)})`,
    );
    const result = await train<Seq2SeqBatch>({
      name: `${s.name} | seed ${seed}`,
      model,
      train: source,
      lossFn: (b, fctx) => lossOf(model, b, fctx),
      evalSets: { val: () => valBatches },
      tokensIn: (b) => b.rows * b.inLen,
      weightOf: (b) => b.rows,
      cfg: {
        steps: p.steps,
        lr: p.lr,
        minLr: p.lr * p.minLrRatio,
        warmupSteps: p.warmupSteps,
        adamw: { beta1: 0.9, beta2: 0.98, eps: 1e-8, weightDecay: p.weightDecay, gradClip: 1.0 },
        evalEvery: p.evalEvery,
        logEvery: p.logEvery,
        checkpointEvery: p.checkpointEvery,
        seed,
      },
      metrics,
      rowExtra: { phase: 'pretrain', variant: s.name, seed, meanSpan: s.meanSpan, rate: s.rate },
      checkpointDir: ckDir,
      resume: true,
      runConfig: { experiment: 'spans', setting: s.name, seed },
      extraFiles: { 'tokenizer.json': fs.readFileSync(tokPath, 'utf8') },
      progress: ctx.progress,
    });
    ctx.progress.done(
      `${s.name} | seed ${seed}: val loss ${result.finalLoss.val.toFixed(3)}, ${Math.round(result.tokensPerSec)} input tokens/s`,
    );
    if (result.status === 'diverged')
      ctx.log(
        `${s.name} | seed ${seed}: diverged (${result.divergence?.reason}); kept its last good checkpoint`,
      );
    const summary = {
      status: result.status,
      setting: s.name,
      meanSpan: s.meanSpan,
      rate: s.rate,
      seed,
      steps: result.steps,
      tokens: result.tokens,
      finalLoss: result.finalLoss.val,
      rawTokensPerExample: tokensLength,
      targetLength: meanTarget,
      inputLength: p.inputLength,
      tokensPerSec: Math.round(result.tokensPerSec),
    };
    ledger.finish(key, (st) => st.pretrain.push(summary));
    return model;
  };

  const finetune = async (variant: string, seed: number, pretrained: T5, task: TaskData) => {
    const key = `finetune/${variant}/${seed}/${task.name}`;
    if (ledger.isDone(key)) return;
    ledger.rewind();
    const f = cfg.finetune;
    // Full fine-tuning of a copy, so the pretrained weights serve every task.
    const model = new T5(modelConfig, seed);
    model.params.assign(
      Object.fromEntries(
        await Promise.all(
          [...pretrained.params.vars].map(async ([k, v]) => [k, (await v.data()) as Float32Array] as const),
        ),
      ),
    );
    const order = new IndexStream(task.train.inputs.length, f.batchSize, seed, `${task.name} examples`);
    const source = {
      next: (): Seq2SeqBatch => {
        const { indices } = order.next();
        return collate(
          Array.from(indices, (i) => task.train.inputs[i]),
          Array.from(indices, (i) => task.train.targets[i]),
          f.maxInputLength,
          f.maxTargetLength,
          0,
        );
      },
      getPosition: () => order.getPosition(),
      setPosition: (pos: any) => order.setPosition(pos),
    };
    const name = `${variant} | seed ${seed} | ${task.name}`;
    const result = await train<Seq2SeqBatch>({
      name,
      model,
      train: source,
      lossFn: (b, fctx) => lossOf(model, b, fctx),
      evalSets: {},
      tokensIn: (b) => b.rows * b.inLen,
      cfg: {
        steps: f.steps,
        lr: f.lr,
        minLr: 0,
        warmupSteps: Math.max(1, Math.round(f.warmupFraction * f.steps)),
        adamw: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, gradClip: 1.0 },
        evalEvery: f.steps,
        logEvery: Math.max(1, Math.floor(f.steps / 10)),
        checkpointEvery: 0,
        seed,
      },
      metrics,
      rowExtra: { phase: 'finetune', variant, seed, task: task.name },
      progress: ctx.progress,
    });
    // Test: greedy decoding, the answer is the generated text.
    const predictions: string[] = [];
    for (let st = 0; st < task.test.inputs.length; st += 32) {
      const rows = task.test.inputs.slice(st, st + 32);
      const b = collate(
        rows,
        rows.map(() => new Int32Array(0)),
        f.maxInputLength,
        1,
        0,
      );
      const ids = tf.tensor2d(b.inputIds, [b.rows, b.inLen], 'int32');
      const mask = tf.tensor2d(b.attentionMask, [b.rows, b.inLen], 'int32');
      const out = await model.greedy(ids, mask, { maxLength: f.maxTargetLength });
      tf.dispose([ids, mask]);
      for (const o of out)
        predictions.push(tok.decode(Array.from(o).filter((x) => x !== tok.eosId && x !== 0)).trim());
    }
    const gold = task.test.targets;
    const res: Record<string, unknown> = {
      status: result.status,
      variant,
      seed,
      task: task.name,
      kind: task.kind,
      testExamples: gold.length,
      trainLoss: result.trainLoss,
    };
    if (task.kind === 'classification') {
      res.accuracy = accuracy(gold, predictions);
      res.macroF1 = macroF1(gold, predictions);
    } else {
      const r = meanRouge(gold, predictions);
      res.rouge1 = r.rouge1.fmeasure;
      res.rouge2 = r.rouge2.fmeasure;
      res.rougeL = r.rougeL.fmeasure;
    }
    res.examples = predictions.slice(0, 3).map((p, i) => ({ target: gold[i], prediction: p }));
    const { examples: _x, ...row } = res;
    metrics.append({
      model: name,
      phase: 'finetune',
      split: 'test',
      step: result.steps,
      ...(row as Record<string, string | number>),
    });
    const score =
      task.kind === 'classification'
        ? `accuracy ${((res.accuracy as number) * 100).toFixed(1)}%`
        : `ROUGE-L ${((res.rougeL as number) * 100).toFixed(1)}`;
    ctx.progress.done(`${name}: ${score}`);
    model.dispose();
    ledger.finish(key, (st) => st.finetune.push(res));
  };

  const all = settings(cfg);
  for (const seed of cfg.seeds) {
    if (cfg.baseline) {
      const fresh = new T5(modelConfig, seed);
      for (const task of tasks) await finetune(BASELINE, seed, fresh, task);
      fresh.dispose();
    }
    for (const s of all) {
      const pending = tasks.some((t) => !ledger.isDone(`finetune/${s.name}/${seed}/${t.name}`));
      if (ledger.isDone(`pretrain/${s.name}/${seed}`) && !pending) continue;
      const model = await pretrain(s, seed);
      for (const task of tasks) await finetune(s.name, seed, model, task);
      model.dispose();
    }
  }

  // Summary in T5 Tables 6-7's layout: one row per setting, mean and std over seeds.
  const row = (name: string, extra: Record<string, unknown>) => {
    const pre = state.pretrain.filter((r: any) => r.setting === name);
    const cells: Record<string, unknown> = {};
    for (const t of tasks) {
      const rs = state.finetune.filter((r: any) => r.variant === name && r.task === t.name);
      if (rs.length === 0) continue;
      cells[t.name] =
        t.kind === 'classification'
          ? {
              metric: 'accuracy',
              accuracy: meanStd(rs.map((r: any) => r.accuracy)),
              macroF1: meanStd(rs.map((r: any) => r.macroF1)),
              n: rs.length,
            }
          : {
              metric: 'rouge',
              rouge1: meanStd(rs.map((r: any) => r.rouge1)),
              rouge2: meanStd(rs.map((r: any) => r.rouge2)),
              rougeL: meanStd(rs.map((r: any) => r.rougeL)),
              n: rs.length,
            };
    }
    return {
      setting: name,
      ...extra,
      pretrainLoss: pre.length ? meanStd(pre.map((r: any) => r.finalLoss)) : null,
      targetLength: pre.length ? { mean: mean(pre.map((r: any) => r.targetLength)) } : null,
      inputLength: pre.length ? { mean: mean(pre.map((r: any) => r.inputLength)) } : null,
      tokensPerSec: pre.length ? { mean: mean(pre.map((r: any) => r.tokensPerSec)) } : null,
      tasks: cells,
    };
  };
  writeJSONAtomic(path.join(dir, 'summary.json'), {
    tasks: tasks.map((t) => t.name),
    seeds: cfg.seeds,
    table: all.map((s) => row(s.name, { meanSpan: s.meanSpan, rate: s.rate, group: s.group })),
    baseline: cfg.baseline ? row(BASELINE, { meanSpan: null, rate: null, group: null }) : null,
    pretrain: state.pretrain,
    finetune: state.finetune,
    skippedTasks: state.skippedTasks,
  });
}
