/**
 * `pnpm bench`: one fp32 AdamW training step (forward + backward + clip + update + loss read
 * back) of each experiment's own workload, on every backend and kernel set that loads, and with
 * `--vs-torch` the same workloads in PyTorch (tools/reference/bench_torch.py: the fixture model
 * code, same shapes, same optimizer) in the same invocation.
 *
 *     GPT-ref      GPT V256 T128 d128 L4 H4 B32, tied (the reference step of docs/performance.md)
 *     scaling-min  GPT V1024 T64 d16 L1 H2 B16, tied (the smallest model of experiments/scaling)
 *     scaling-max  GPT V1024 T64 d96 L4 H4 B16, tied (the largest)
 *     nsp          BERT as experiments/nsp's defaults: V4000, 64 positions, d64 L2 H2 FF256,
 *                  post-norm, dropout 0.1, B32 T64, MLM labels at 15% of the real positions,
 *                  random NSP labels, the last 8 positions of every other row padded,
 *                  token types 0 / 1 by halves
 *     spans        T5 v1.0 as experiments/spans's defaults: V2000, d64 L2 H4 FF256, dropout 0.1,
 *                  B32, encoder length 64 (row b has 4 * (b % 4) padded positions), decoder
 *                  length 20 (row b ends with b % 3 ignored labels)
 *
 * Each (backend, workload) runs in its own process, so kernels and memory do not mix; a backend
 * that does not load becomes a note. Per row: median step time over the timed steps after
 * warm-up, tokens/s, achieved GFLOP/s and model FLOPs utilisation (flopsPerToken and peakFor
 * below), peak resident memory, tensors leaked per timed step window, and the loss after the
 * last step (a speed-up that breaks training shows at once).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BERT, GPT, resolveBERTConfig, resolveGPTConfig, resolveT5Config, T5 } from '@pretrain-lab/models';
import {
  type BackendName,
  initBackend,
  opSeed,
  parseBackendName,
  Rng,
  UserError,
} from '@pretrain-lab/runtime';
import { countParams } from '@pretrain-lab/scaling';
import { ADAMW_DEFAULTS, AdamW } from '@pretrain-lab/train';
import * as tf from '@tensorflow/tfjs';
import { repoRoot } from './runs.js';

/** The models' ForwardContext (from @pretrain-lab/layers, which this package does not depend on). */
type ForwardContext = NonNullable<Parameters<GPT['loss']>[2]>;

interface WorkloadBase {
  name: string;
  vocabSize: number;
  dModel: number;
  numLayers: number;
  numHeads: number;
  batchSize: number;
}

export interface GPTWorkload extends WorkloadBase {
  kind: 'gpt';
  seqLen: number;
}

export interface BERTWorkload extends WorkloadBase {
  kind: 'bert';
  seqLen: number;
  dFF: number;
  dropout: number;
  /** Fraction of all B * T positions that carry an MLM label (drawn among the real ones). */
  mlmRate: number;
  /** Padded positions at the end of every other row. */
  paddedTail: number;
}

export interface T5Workload extends WorkloadBase {
  kind: 't5';
  dFF: number;
  dropout: number;
  encLen: number;
  decLen: number;
}

export type Workload = GPTWorkload | BERTWorkload | T5Workload;
/** The old name: every workload is a shape. */
export type BenchShape = Workload;

export const GPT_REF: GPTWorkload = {
  kind: 'gpt',
  name: 'GPT-ref',
  vocabSize: 256,
  seqLen: 128,
  dModel: 128,
  numLayers: 4,
  numHeads: 4,
  batchSize: 32,
};

export const WORKLOADS = {
  'GPT-ref': GPT_REF,
  // experiments/scaling: tokenizer.vocabSize 1024, seqLen 64, batchSize 16, tied; models[0] and models[6].
  'scaling-min': {
    kind: 'gpt',
    name: 'scaling-min',
    vocabSize: 1024,
    seqLen: 64,
    dModel: 16,
    numLayers: 1,
    numHeads: 2,
    batchSize: 16,
  },
  'scaling-max': {
    kind: 'gpt',
    name: 'scaling-max',
    vocabSize: 1024,
    seqLen: 64,
    dModel: 96,
    numLayers: 4,
    numHeads: 4,
    batchSize: 16,
  },
  // experiments/nsp/config.ts defaults (tokenizer.vocabSize, model.*, pretrain.batchSize).
  nsp: {
    kind: 'bert',
    name: 'nsp',
    vocabSize: 4000,
    seqLen: 64,
    dModel: 64,
    numLayers: 2,
    numHeads: 2,
    dFF: 256,
    dropout: 0.1,
    batchSize: 32,
    mlmRate: 0.15,
    paddedTail: 8,
  },
  // experiments/spans/config.ts defaults. Decoder length 20 as specified for this benchmark; the
  // experiment's own pretraining targets are randomSpansHelper(64, 0.15, 3).targetsLength = 14.
  spans: {
    kind: 't5',
    name: 'spans',
    vocabSize: 2000,
    dModel: 64,
    numLayers: 2,
    numHeads: 4,
    dFF: 256,
    dropout: 0.1,
    batchSize: 32,
    encLen: 64,
    decLen: 20,
  },
} as const satisfies Record<string, Workload>;

export type WorkloadName = keyof typeof WORKLOADS;
export const WORKLOAD_NAMES = Object.keys(WORKLOADS) as WorkloadName[];

/** Target of ours / PyTorch tokens/s per workload (none for nsp and spans). */
export const TORCH_TARGETS: Partial<Record<WorkloadName, number>> = {
  'GPT-ref': 1.6,
  'scaling-min': 1.5,
  'scaling-max': 1.6,
};

/** The opt-in width sweep (--sweep): GPT-ref at widths 64, 128, 256, 512. */
export function sweepShapes(): GPTWorkload[] {
  return [64, 128, 256, 512].map((d) => ({ ...GPT_REF, name: `width-${d}`, dModel: d }));
}

/** `--workloads a,b` (default all five); an unknown name is a one-line UserError listing the valid ones. */
export function parseWorkloads(value?: string): Workload[] {
  if (value === undefined || value.trim() === '') return WORKLOAD_NAMES.map((n) => WORKLOADS[n]);
  const out: Workload[] = [];
  for (const raw of value.split(',')) {
    const name = raw.trim();
    if (!name) continue;
    if (!Object.hasOwn(WORKLOADS, name))
      throw new UserError(`unknown workload '${name}'; valid: ${WORKLOAD_NAMES.join(', ')}`);
    const w = WORKLOADS[name as WorkloadName];
    if (!out.includes(w)) out.push(w);
  }
  if (out.length === 0)
    throw new UserError(`--workloads: no workload named; valid: ${WORKLOAD_NAMES.join(', ')}`);
  return out;
}

function findWorkload(name: string): Workload {
  const w = Object.hasOwn(WORKLOADS, name)
    ? WORKLOADS[name as WorkloadName]
    : sweepShapes().find((s) => s.name === name);
  if (!w) throw new UserError(`unknown workload '${name}'; valid: ${WORKLOAD_NAMES.join(', ')}`);
  return w;
}

export function describeWorkload(w: Workload): string {
  const common = `V${w.vocabSize} d${w.dModel} L${w.numLayers} H${w.numHeads} B${w.batchSize}`;
  if (w.kind === 'gpt') return `GPT ${common} T${w.seqLen}`;
  if (w.kind === 'bert') return `BERT ${common} T${w.seqLen} FF${w.dFF} drop${w.dropout}`;
  return `T5 ${common} S${w.encLen} T${w.decLen} FF${w.dFF} drop${w.dropout}`;
}

/** Tokens one step processes: B * T (GPT, BERT, padding included); B * (encoder + decoder length) (T5). */
export function tokensPerStep(w: Workload): number {
  return w.kind === 't5' ? w.batchSize * (w.encLen + w.decLen) : w.batchSize * w.seqLen;
}

/**
 * Training FLOPs per token (forward + backward = 3 x forward, 2 flops per multiply-add), the
 * Kaplan / nanoGPT count: 6N for the non-embedding matrices N plus 12 L d T for attention
 * itself (QK^T and the weighted sum of values over T keys, counted at the full context even
 * when causal). Embeddings, vocabulary projections (GPT's tied head, BERT's MLM decoder, T5's
 * tied output), norms, biases, softmax and the optimizer are not counted, so at small widths
 * (scaling-min: the head is ~5x the rest) MFU understates the work actually done.
 * - GPT:  6 * 12 L d^2 + 12 L d T (countParams().nonEmbedding is 12 L d^2 at dFF = 4d).
 * - BERT: the same per input token with N = 2 L d (2d + dFF) and bidirectional attention over T;
 *   tokens = B * T. The MLM transform, pooler and NSP head are heads, not counted.
 * - T5 (inner width a = H * dKV = d here): per row, encoder S * (6 Le 2d(2a + dFF) + 12 Le a S);
 *   decoder Tdec * (6 Ld (2d(2a + dFF) + 2d a) + 12 Ld a (Tdec + S)) (self-attention, cross-
 *   attention q and o, feed-forward; attention over Tdec then S keys) plus 6 Ld 2d a S for the
 *   cross-attention's k and v on the encoder output; divided by the row's S + Tdec tokens.
 */
export function flopsPerToken(w: Workload): number {
  const d = w.dModel;
  const L = w.numLayers;
  if (w.kind === 'gpt') {
    const N = countParams({
      vocabSize: w.vocabSize,
      seqLen: w.seqLen,
      dModel: d,
      numLayers: L,
      tieEmbeddings: true,
    }).nonEmbedding;
    return 6 * N + 12 * L * d * w.seqLen;
  }
  if (w.kind === 'bert') return 6 * (2 * L * d * (2 * d + w.dFF)) + 12 * L * d * w.seqLen;
  const a = d; // numHeads * dKV with dKV = dModel / numHeads (T5_DEFAULTS)
  const S = w.encLen;
  const T = w.decLen;
  const enc = S * (6 * L * 2 * d * (2 * a + w.dFF) + 12 * L * a * S);
  const dec =
    T * (6 * L * (2 * d * (2 * a + w.dFF) + 2 * d * a) + 12 * L * a * (T + S)) + 6 * L * 2 * d * a * S;
  return (enc + dec) / (S + T);
}

/** The clock MFU's peak assumes: the highest `cpu MHz` in /proc/cpuinfo, else os.cpus()[0].speed, else 3.0 GHz. */
export function cpuClock(): { ghz: number; source: string } {
  try {
    const mhz = [...fs.readFileSync('/proc/cpuinfo', 'utf8').matchAll(/^cpu MHz\s*:\s*([\d.]+)/gm)].map((m) =>
      Number(m[1]),
    );
    const max = Math.max(0, ...mhz.filter(Number.isFinite));
    if (max > 0) return { ghz: max / 1000, source: '/proc/cpuinfo max cpu MHz' };
  } catch {
    // not Linux
  }
  const speed = os.cpus()[0]?.speed ?? 0;
  if (speed > 0) return { ghz: speed / 1000, source: 'os.cpus()[0].speed' };
  return { ghz: 3.0, source: 'assumed (no clock readable)' };
}

function cpuHasAvx512(): boolean {
  try {
    return /^flags\s*:.*\bavx512f\b/m.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

export interface Peak {
  /** Peak GFLOP/s of one thread, and the threads it is multiplied by. */
  gflopsPerThread: number;
  threads: number;
  gflops: number;
  formula: string;
}

/**
 * Peak FLOP/s MFU is stated against, a constant of the kernel set (not measured), times the
 * threads in use:
 * - native-avx2: 2 FMA units x 8 floats (256-bit) x 2 flops = 32 flop/cycle/thread x GHz;
 *   native-avx512: 2 x 16 x 2 = 64. tfjs-node (libtensorflow's Eigen): the same, by the CPU's
 *   avx512f flag, on every core. PyTorch ('torch', for its rows): the same, on its threads.
 * - wasm kernels and stock tfjs-wasm: 128-bit wasm SIMD, 2 FMA x 4 floats x 2 flops =
 *   16 flop/cycle/thread x GHz (the relaxed-SIMD ceiling; 48 GFLOP/s at 3.0 GHz).
 * - tfjs-cpu: scalar JavaScript, 2 flop/cycle.
 * GHz from cpuClock().
 */
export function peakFor(kernels: string, threads: number, clock = cpuClock()): Peak {
  const ghz = clock.ghz;
  let perCycle: number;
  let what: string;
  let n = Math.max(1, threads);
  // The native set names its ISA (native-avx2, native-avx512); the others run whatever the CPU has.
  const native = kernels.startsWith('native') || /avx/i.test(kernels);
  const avx512 = native ? /avx-?512/i.test(kernels) : cpuHasAvx512();
  if (native || kernels.startsWith('tfjs-node') || kernels === 'torch') {
    perCycle = avx512 ? 64 : 32;
    what = `2 FMA x ${avx512 ? '16 floats (AVX-512)' : '8 floats (AVX2)'} x 2 flops`;
    // tfjs-node reports no thread count: libtensorflow's pool uses every core.
    if (kernels.startsWith('tfjs-node')) n = os.cpus().length;
  } else if (kernels === 'tfjs-cpu') {
    perCycle = 2;
    what = 'scalar JS, 2 flops';
  } else {
    perCycle = 16;
    what = '2 FMA x 4 floats (128-bit wasm SIMD) x 2 flops';
  }
  const perThread = perCycle * ghz;
  return {
    gflopsPerThread: Math.round(perThread * 10) / 10,
    threads: n,
    gflops: Math.round(perThread * n * 10) / 10,
    formula: `${what} = ${perCycle} flop/cycle x ${ghz.toFixed(2)} GHz x ${n} thread${n === 1 ? '' : 's'}`,
  };
}

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
        preNorm: false,
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
type ChildReport = BenchResult | { error: string; stage: 'backend' | 'workload' };

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

function runChild(backend: BackendName, workload: string, steps: number, warmup: number): ChildReport {
  const args = [
    ...process.execArgv,
    process.argv[1],
    'bench',
    '--internal-one',
    backend,
    '--workloads',
    workload,
    '--steps',
    String(steps),
    '--warmup',
    String(warmup),
  ];
  const r = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 24,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as ChildReport;
  } catch {
    const why = (r.stderr || r.error?.message || '').trim().split('\n').pop() ?? '';
    return { error: `exit ${r.status}${why ? `: ${why.replace(/^error:\s*/, '')}` : ''}`, stage: 'workload' };
  }
}

/** The first Python that imports torch: PRETRAIN_LAB_PYTHON, then python3 on PATH, then Debian's. */
function pythonWithTorch(): string | null {
  const candidates = [process.env.PRETRAIN_LAB_PYTHON, 'python3', '/usr/bin/python3'].filter(
    (c): c is string => Boolean(c),
  );
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

export interface TorchRow {
  name: string;
  torch: string;
  threads: number;
  tokensPerStep: number;
  tokensPerSec: number;
  medianStepMs: number;
  loss: number;
  gflops: number;
  mfu: number;
}

interface TorchReport {
  torch: string;
  threads: number;
  openblasThreads: string | null;
  loadAvg1m: number | null;
  results: {
    name: string;
    tokensPerSec: number;
    medianStepMs: number;
    loss: number;
    tokensPerStep: number;
  }[];
}

/** tools/reference/bench_torch.py over the same workloads, in one Python process. */
function torchBench(
  names: string[],
  steps: number,
  warmup: number,
): { rows: TorchRow[]; info: Omit<TorchReport, 'results'> } | { error: string } {
  const py = pythonWithTorch();
  if (!py)
    return {
      error:
        'PyTorch reference not available: no python3 here imports torch (Debian: apt-get install python3-torch libopenblas0-pthread)',
    };
  const script = path.join(repoRoot(), 'tools', 'reference', 'bench_torch.py');
  const r = spawnSync(
    py,
    [script, '--workloads', names.join(','), '--steps', String(steps), '--warmup', String(warmup)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 24 },
  );
  let rep: TorchReport;
  try {
    if (r.status !== 0) throw new Error();
    rep = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as TorchReport;
  } catch {
    return {
      error: `PyTorch reference failed (${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop()})`,
    };
  }
  const peak = peakFor('torch', rep.threads);
  const rows = rep.results.map((t) => {
    const gflops = (flopsPerToken(findWorkload(t.name)) * t.tokensPerSec) / 1e9;
    return {
      name: t.name,
      torch: rep.torch,
      threads: rep.threads,
      tokensPerStep: t.tokensPerStep,
      tokensPerSec: Math.round(t.tokensPerSec),
      medianStepMs: t.medianStepMs,
      loss: t.loss,
      gflops: Math.round(gflops * 100) / 100,
      mfu: Math.round((gflops / peak.gflops) * 1000) / 1000,
    };
  });
  const { results: _, ...info } = rep;
  return { rows, info };
}

export interface TorchRatio {
  name: string;
  /** Our fastest row on this workload (among the project's kernel sets when any ran). */
  backend: string;
  kernels: string;
  tokensPerSec: number;
  torchTokensPerSec: number;
  /** ours / torch tokens/s. */
  ratio: number;
  target: number | null;
}

/** Per workload: our best tokens/s (rows with the project's kernels first) over PyTorch's. */
export function torchRatios(results: BenchResult[], torch: TorchRow[]): TorchRatio[] {
  const out: TorchRatio[] = [];
  for (const t of torch) {
    const rows = results.filter((r) => r.name === t.name);
    const pool = rows.some((r) => r.customKernels) ? rows.filter((r) => r.customKernels) : rows;
    if (pool.length === 0) continue;
    const best = pool.reduce((a, b) => (b.tokensPerSec > a.tokensPerSec ? b : a));
    out.push({
      name: t.name,
      backend: best.backend,
      kernels: best.kernels,
      tokensPerSec: best.tokensPerSec,
      torchTokensPerSec: t.tokensPerSec,
      ratio: Math.round((best.tokensPerSec / t.tokensPerSec) * 1000) / 1000,
      target: TORCH_TARGETS[t.name as WorkloadName] ?? null,
    });
  }
  return out;
}

const DEFAULT_BACKENDS: BackendName[] = ['native', 'wasm', 'wasm-stock', 'tensorflow'];

export async function benchCommand(opts: {
  json?: boolean;
  vsTorch?: boolean;
  backend?: string;
  workloads?: string;
  steps: string;
  warmup?: string;
  sweep?: boolean;
  internalOne?: string;
}): Promise<void> {
  const steps = Number(opts.steps);
  if (!Number.isInteger(steps) || steps < 1)
    throw new UserError(`--steps: expected a positive integer, got '${opts.steps}'`);
  const warmup = Number(opts.warmup ?? '3');
  if (!Number.isInteger(warmup) || warmup < 0)
    throw new UserError(`--warmup: expected a non-negative integer, got '${opts.warmup}'`);
  if (opts.internalOne) {
    // A child: one workload on one backend, one JSON line on stdout.
    const b = parseBackendName(opts.internalOne);
    const w = findWorkload(opts.workloads ?? '');
    let report: ChildReport;
    try {
      await initBackend(b);
    } catch (e) {
      process.stdout.write(`${JSON.stringify({ error: firstLine(e), stage: 'backend' })}\n`);
      return;
    }
    try {
      report = await benchShape(w, b, steps, warmup);
    } catch (e) {
      report = { error: firstLine(e), stage: 'workload' };
    }
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const workloads = parseWorkloads(opts.workloads);
  const backends = opts.backend
    ? opts.backend
        .split(',')
        .filter((b) => b.trim())
        .map((b) => parseBackendName(b.trim()))
    : DEFAULT_BACKENDS;
  const results: BenchResult[] = [];
  const notes: string[] = [];
  for (const b of backends) {
    let list: Workload[] = [...workloads, ...(opts.sweep ? sweepShapes() : [])];
    if (b === 'wasm-stock') {
      list = list.filter((w) => w.name === GPT_REF.name);
      notes.push(
        list.length > 0
          ? 'wasm-stock runs GPT-ref only: stock tfjs-wasm is ~20x slower than our kernels (seconds a GPT-ref step; the other workloads would take minutes)'
          : 'wasm-stock skipped: it runs GPT-ref only (stock tfjs-wasm is ~20x slower), which --workloads leaves out',
      );
    }
    for (const w of list) {
      if (!opts.json) process.stderr.write(`bench: ${w.name} on ${b} ...\n`);
      // The widest sweep shape takes seconds a step: at most 3 timed steps after 1 warm-up.
      const big = w.name.startsWith('width-') && w.dModel >= 512;
      const r = runChild(b, w.name, big ? Math.min(steps, 3) : steps, big ? Math.min(warmup, 1) : warmup);
      if ('error' in r) {
        if (r.stage === 'backend') {
          notes.push(`backend ${b} does not load here: ${r.error}`);
          break;
        }
        notes.push(`${w.name} on ${b} failed: ${r.error}`);
      } else results.push(r);
    }
  }
  let torchRows: TorchRow[] = [];
  let torchInfo: Omit<TorchReport, 'results'> | null = null;
  if (opts.vsTorch) {
    if (!opts.json) process.stderr.write(`bench: PyTorch (${workloads.map((w) => w.name).join(', ')}) ...\n`);
    const t = torchBench(
      workloads.map((w) => w.name),
      steps,
      warmup,
    );
    if ('error' in t) notes.push(t.error);
    else {
      torchRows = t.rows;
      torchInfo = t.info;
    }
  }
  const ratios = torchRatios(results, torchRows);
  const clock = cpuClock();
  const peakNote = `MFU = achieved / peak FLOP/s; peak per thread = flop/cycle x clock (${clock.ghz.toFixed(2)} GHz, ${clock.source}): native AVX2 2 FMA x 8 floats x 2 flops = 32 flop/cycle (AVX-512: 64), 128-bit wasm SIMD 2 FMA x 4 floats x 2 flops = 16, times the threads in use`;
  const flopsNote =
    'FLOPs per token: 6N (non-embedding matrices) + 12 L d T (attention), Kaplan/nanoGPT; BERT the same over its encoder, T5 per encoder + decoder token (cross-attention included); vocabulary projections not counted';
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          workloads: workloads.map((w) => ({
            name: w.name,
            shape: describeWorkload(w),
            tokensPerStep: tokensPerStep(w),
          })),
          results,
          torch: torchRows,
          torchInfo,
          ratios,
          peak: { clockGHz: clock.ghz, clockSource: clock.source, formula: peakNote },
          flops: flopsNote,
          notes,
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  const torchOf = new Map(torchRows.map((t) => [t.name, t]));
  const head = [
    'workload',
    'backend',
    'kernels',
    'thr',
    'tokens/s',
    'step ms',
    'GFLOP/s',
    'MFU',
    'RSS MiB',
    'tensors+',
    'loss',
    'vs torch',
  ];
  const order = [...workloads, ...(opts.sweep ? sweepShapes() : [])].map((w) => w.name);
  const rows: string[][] = [];
  for (const name of order) {
    for (const r of results.filter((x) => x.name === name)) {
      const t = torchOf.get(name);
      rows.push([
        r.name,
        r.backend,
        r.kernels,
        String(r.threads),
        r.tokensPerSec.toLocaleString('en-US'),
        r.medianStepMs.toFixed(1),
        r.gflops.toFixed(2),
        `${(r.mfu * 100).toFixed(1)}%`,
        String(r.peakRssMiB),
        String(r.numTensorsGrowth),
        r.lossAfter.toFixed(4),
        t ? `${(r.tokensPerSec / t.tokensPerSec).toFixed(2)}x` : '',
      ]);
    }
    const t = torchOf.get(name);
    if (t)
      rows.push([
        t.name,
        'torch',
        `torch ${t.torch}`,
        String(t.threads),
        t.tokensPerSec.toLocaleString('en-US'),
        t.medianStepMs.toFixed(1),
        t.gflops.toFixed(2),
        `${(t.mfu * 100).toFixed(1)}%`,
        '',
        '',
        t.loss.toFixed(4),
        '1.00x',
      ]);
  }
  if (torchRows.length === 0) {
    head.pop();
    for (const r of rows) r.pop();
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) =>
    r.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(`${fmt(head)}\n${rows.map(fmt).join('\n')}\n`);
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  if (torchInfo)
    process.stdout.write(
      `PyTorch ${torchInfo.torch}, ${torchInfo.threads} threads, OPENBLAS_NUM_THREADS=${torchInfo.openblasThreads}, load ${torchInfo.loadAvg1m}\n`,
    );
  process.stdout.write(`${peakNote}.\n${flopsNote}.\n`);
  if (opts.vsTorch) {
    const nameWidth = Math.max(...workloads.map((w) => w.name.length));
    for (const w of workloads) {
      const r = ratios.find((x) => x.name === w.name);
      const target = TORCH_TARGETS[w.name as WorkloadName];
      const tail = target ? ` (target ${target}x)` : '';
      process.stdout.write(
        r
          ? `${w.name.padEnd(nameWidth)}  ratio vs torch: ${r.ratio.toFixed(2)}x${tail}  [${r.backend}, ${r.kernels}]\n`
          : `${w.name.padEnd(nameWidth)}  ratio vs torch: n/a${tail}\n`,
      );
    }
  }
}
