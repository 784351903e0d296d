/**
 * The workloads `pnpm bench` times (see bench.ts for the list), their tokens and FLOPs per
 * step, and the peak FLOP/s that MFU is stated against. Pure data and arithmetic: no tfjs.
 */
import fs from 'node:fs';
import os from 'node:os';
import { UserError } from '@pretrain-lab/runtime';
import { countParams } from '@pretrain-lab/scaling';

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
  /** Pre-norm blocks (the nsp default) or BERT's post-norm. */
  preNorm: boolean;
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
    vocabSize: 1000,
    seqLen: 64,
    dModel: 64,
    numLayers: 2,
    numHeads: 2,
    dFF: 256,
    dropout: 0,
    preNorm: true,
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
    dropout: 0,
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

export function findWorkload(name: string): Workload {
  const w = Object.hasOwn(WORKLOADS, name)
    ? WORKLOADS[name as WorkloadName]
    : sweepShapes().find((s) => s.name === name);
  if (!w) throw new UserError(`unknown workload '${name}'; valid: ${WORKLOAD_NAMES.join(', ')}`);
  return w;
}

export function describeWorkload(w: Workload): string {
  const common = `V${w.vocabSize} d${w.dModel} L${w.numLayers} H${w.numHeads} B${w.batchSize}`;
  if (w.kind === 'gpt') return `GPT ${common} T${w.seqLen}`;
  if (w.kind === 'bert')
    return `BERT ${common} T${w.seqLen} FF${w.dFF} drop${w.dropout}${w.preNorm ? ' pre-norm' : ''}`;
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
