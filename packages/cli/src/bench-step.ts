/**
 * One benchmarked training step per workload: builds the model, a fixed seeded batch and the
 * optimizer (`build`), then times warm-up and timed steps in this process (`benchShape`).
 */
import { BERT, GPT, resolveBERTConfig, resolveGPTConfig, resolveT5Config, T5 } from '@pretrain-lab/models';
import { type BackendName, initBackend, opSeed, Rng } from '@pretrain-lab/runtime';
import { ADAMW_DEFAULTS, AdamW } from '@pretrain-lab/train';
import * as tf from '@tensorflow/tfjs';
import { describeWorkload, flopsPerToken, peakFor, tokensPerStep, type Workload } from './bench-workloads.js';

/** The models' ForwardContext (from @pretrain-lab/layers, which this package does not depend on). */
type ForwardContext = NonNullable<Parameters<GPT['loss']>[2]>;
export interface BenchResult {
  name: string;
  kind: Workload['kind'];
  shape: string;
  backend: string;
  /** BackendInfo.kernels: native-avx2, wasm-relaxed-simd, tfjs-wasm, tfjs-node, ... */
  kernels: string;
  customKernels: boolean;
  threads: number;
  warmup: number;
  steps: number;
  tokensPerStep: number;
  medianStepMs: number;
  tokensPerSec: number;
  flopsPerToken: number;
  gflops: number;
  peakGflops: number;
  mfu: number;
  peakRssMiB: number;
  numTensorsGrowth: number;
  lossAfter: number;
}

interface Built {
  vars: Map<string, tf.Variable>;
  noDecay: Set<string>;
  nameOf: (tfName: string) => string;
  loss: (ctx: ForwardContext) => tf.Scalar;
  dispose: () => void;
}

/** The model and its fixed random batch (seeded: timing does not depend on the data). */
function build(w: Workload): Built {
  const rng = new Rng(7);
  const B = w.batchSize;
  const ints = (n: number, lo: number, hi: number) =>
    Int32Array.from({ length: n }, () => lo + rng.int(hi - lo));
  if (w.kind === 'gpt') {
    const model = new GPT(
      resolveGPTConfig({
        vocabSize: w.vocabSize,
        seqLen: w.seqLen,
        dModel: w.dModel,
        numLayers: w.numLayers,
        numHeads: w.numHeads,
        tieEmbeddings: true,
      }),
      1,
    );
    const T = w.seqLen;
    const seq = ints(B * (T + 1), 0, w.vocabSize);
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      inputs.set(seq.subarray(b * (T + 1), b * (T + 1) + T), b * T);
      targets.set(seq.subarray(b * (T + 1) + 1, (b + 1) * (T + 1)), b * T);
    }
    const x = tf.tensor2d(inputs, [B, T], 'int32');
    const y = tf.tensor2d(targets, [B, T], 'int32');
    return {
      vars: model.params.vars,
      noDecay: model.params.noDecay,
      nameOf: (k) => model.params.nameOf(k),
      loss: (ctx) => model.loss(x, y, ctx),
      dispose: () => {
        tf.dispose([x, y]);
        model.dispose();
      },
    };
  }
  if (w.kind === 'bert') {
    const model = new BERT(
      resolveBERTConfig({
        vocabSize: w.vocabSize,
        maxLen: w.seqLen,
        dModel: w.dModel,
        numLayers: w.numLayers,
        numHeads: w.numHeads,
        dFF: w.dFF,
        dropout: w.dropout,
        preNorm: w.preNorm,
        nsp: true,
      }),
      1,
    );
    const T = w.seqLen;
    const ids = ints(B * T, 4, w.vocabSize); // above the [PAD] [CLS] [SEP] [MASK] ids
    const types = Int32Array.from({ length: B * T }, (_, i) => (i % T < T / 2 ? 0 : 1));
    const mask = Int32Array.from({ length: B * T }, (_, i) =>
      Math.floor(i / T) % 2 === 1 && i % T >= T - w.paddedTail ? 0 : 1,
    );
    // MLM labels at round(rate * B * T) real positions drawn without replacement, -100 elsewhere.
    const real: number[] = [];
    for (let i = 0; i < B * T; i++) if (mask[i]) real.push(i);
    const count = Math.round(w.mlmRate * B * T);
    for (let i = 0; i < count; i++) {
      const j = i + rng.int(real.length - i);
      [real[i], real[j]] = [real[j], real[i]];
    }
    const labels = new Int32Array(B * T).fill(-100);
    for (const i of real.slice(0, count)) labels[i] = ids[i];
    const batch = {
      inputIds: tf.tensor2d(ids, [B, T], 'int32'),
      tokenTypeIds: tf.tensor2d(types, [B, T], 'int32'),
      attentionMask: tf.tensor2d(mask, [B, T], 'int32'),
      mlmLabels: tf.tensor2d(labels, [B, T], 'int32'),
      nspLabels: tf.tensor1d(ints(B, 0, 2), 'int32'),
    };
    return {
      vars: model.params.vars,
      noDecay: model.params.noDecay,
      nameOf: (k) => model.params.nameOf(k),
      // mlmLoss and nspLoss are intermediates of the gradient's tidy, disposed with it.
      loss: (ctx) => model.pretrainLoss(batch, ctx).loss,
      dispose: () => {
        tf.dispose(Object.values(batch));
        model.dispose();
      },
    };
  }
  const cfg = resolveT5Config({
    vocabSize: w.vocabSize,
    dModel: w.dModel,
    numLayers: w.numLayers,
    numHeads: w.numHeads,
    dFF: w.dFF,
    dropout: w.dropout,
    padId: 0,
    decoderStartId: 0,
    eosId: 1,
  });
  const model = new T5(cfg, 1);
  const S = w.encLen;
  const T = w.decLen;
  const inputIds = new Int32Array(B * S); // pad 0
  const mask = new Int32Array(B * S);
  const labels = new Int32Array(B * T).fill(-100);
  for (let b = 0; b < B; b++) {
    const n = S - 4 * (b % 4);
    inputIds.set(ints(n - 1, 2, w.vocabSize), b * S);
    inputIds[b * S + n - 1] = cfg.eosId;
    mask.fill(1, b * S, b * S + n);
    const m = T - (b % 3);
    labels.set(ints(m - 1, 2, w.vocabSize), b * T);
    labels[b * T + m - 1] = cfg.eosId;
  }
  const batch = {
    inputIds: tf.tensor2d(inputIds, [B, S], 'int32'),
    attentionMask: tf.tensor2d(mask, [B, S], 'int32'),
    labels: tf.tensor2d(labels, [B, T], 'int32'),
  };
  return {
    vars: model.params.vars,
    noDecay: model.params.noDecay,
    nameOf: (k) => model.params.nameOf(k),
    loss: (ctx) => model.loss(batch, ctx),
    dispose: () => {
      tf.dispose(Object.values(batch));
      model.dispose();
    },
  };
}

/** Times `steps` training steps of `w` after `warmup` untimed ones, in this process. */
export async function benchShape(
  w: Workload,
  backend: BackendName,
  steps: number,
  warmup = 3,
): Promise<BenchResult> {
  const info = await initBackend(backend);
  const model = build(w);
  const opt = new AdamW(model.vars, model.noDecay, ADAMW_DEFAULTS);
  const vars = [...model.vars.values()];
  const times: number[] = [];
  let lossAfter = Number.NaN;
  let peakRss = process.memoryUsage().rss;
  let tensorsAfterWarmup = tf.memory().numTensors;
  for (let i = 0; i < warmup + steps; i++) {
    if (i === warmup) tensorsAfterWarmup = tf.memory().numTensors;
    const ctx: ForwardContext = { training: true, seed: opSeed(7, 'bench', i), site: 0 };
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(() => model.loss(ctx), vars);
    const named = new Map(Object.entries(grads).map(([k, g]) => [model.nameOf(k), g as tf.Tensor]));
    const norm = opt.apply(named, 1e-3);
    lossAfter = (await value.data())[0];
    tf.dispose([value, norm, ...Object.values(grads)]);
    const ms = performance.now() - t0;
    if (i >= warmup) times.push(ms);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const growth = tf.memory().numTensors - tensorsAfterWarmup;
  opt.dispose();
  model.dispose();
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const tokens = tokensPerStep(w);
  const tokensPerSec = tokens / (median / 1000);
  const fpt = flopsPerToken(w);
  const gflops = (fpt * tokensPerSec) / 1e9;
  const peak = peakFor(info.kernels, info.threads);
  return {
    name: w.name,
    kind: w.kind,
    shape: describeWorkload(w),
    backend: info.name,
    kernels: info.kernels,
    customKernels: info.customKernels,
    threads: peak.threads,
    warmup,
    steps,
    tokensPerStep: tokens,
    medianStepMs: Math.round(median * 10) / 10,
    tokensPerSec: Math.round(tokensPerSec),
    flopsPerToken: Math.round(fpt),
    gflops: Math.round(gflops * 100) / 100,
    peakGflops: peak.gflops,
    mfu: Math.round((gflops / peak.gflops) * 1000) / 1000,
    peakRssMiB: Math.round(peakRss / 2 ** 20),
    numTensorsGrowth: growth,
    lossAfter,
  };
}

/** What a child process prints: a result, or why not (stage 'backend': the backend did not load). */
