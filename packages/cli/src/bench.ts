/**
 * `pnpm bench`: the GPT-ref training step (vocab 256, context 128, width 128, 4 layers,
 * 4 heads, MLP 4x, batch 32, fp32, AdamW) and a width sweep (64, 128, 256, 512 at 4 layers),
 * on each backend that loads. Median tokens/s over the timed steps after warm-up, achieved
 * GFLOP/s and model FLOPs utilisation (flops per token = 6N + 12 L d T, as nanoGPT/llm.c),
 * peak resident memory, and the loss after the timed steps (a speed-up that breaks training
 * shows at once). Each backend runs in its own process so kernels and memory do not mix.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { GPT, resolveGPTConfig } from '@pretrain-lab/models';
import { type BackendName, initBackend, parseBackendName, Rng, UserError } from '@pretrain-lab/runtime';
import { countParams } from '@pretrain-lab/scaling';
import { ADAMW_DEFAULTS, AdamW } from '@pretrain-lab/train';
import * as tf from '@tensorflow/tfjs';
import { repoRoot } from './runs.js';

export interface BenchShape {
  name: string;
  vocabSize: number;
  seqLen: number;
  dModel: number;
  numLayers: number;
  numHeads: number;
  batchSize: number;
}

export interface BenchResult extends BenchShape {
  backend: string;
  customKernels: boolean;
  steps: number;
  medianStepMs: number;
  tokensPerSec: number;
  flopsPerToken: number;
  gflops: number;
  mfu: number;
  peakRssMiB: number;
  numTensorsGrowth: number;
  lossAfter: number;
}

export const GPT_REF: BenchShape = {
  name: 'GPT-ref',
  vocabSize: 256,
  seqLen: 128,
  dModel: 128,
  numLayers: 4,
  numHeads: 4,
  batchSize: 32,
};

/**
 * Peak FLOP/s MFU is stated against: 128-bit wasm SIMD, one fused multiply-add of 4 floats per
 * cycle per core (PLATFORM-NOTES: about 16 flop/cycle measured as the relaxed-SIMD ceiling),
 * at an assumed 3.0 GHz, times the threads in use.
 */
export const PEAK_GFLOPS_PER_THREAD = 48;

export function flopsPerToken(s: BenchShape): number {
  const N = countParams({
    vocabSize: s.vocabSize,
    seqLen: s.seqLen,
    dModel: s.dModel,
    numLayers: s.numLayers,
    tieEmbeddings: true,
  }).nonEmbedding;
  return 6 * N + 12 * s.numLayers * s.dModel * s.seqLen;
}

export async function benchShape(
  shape: BenchShape,
  backend: BackendName,
  steps: number,
  warmup = 3,
): Promise<BenchResult> {
  const info = await initBackend(backend);
  const cfg = resolveGPTConfig({
    vocabSize: shape.vocabSize,
    seqLen: shape.seqLen,
    dModel: shape.dModel,
    numLayers: shape.numLayers,
    numHeads: shape.numHeads,
    tieEmbeddings: true,
  });
  const model = new GPT(cfg, 1);
  const opt = new AdamW(model.params.vars, model.params.noDecay, ADAMW_DEFAULTS);
  const rng = new Rng(7);
  const B = shape.batchSize;
  const T = shape.seqLen;
  // A fixed random batch: timing does not depend on the data.
  const seq = Int32Array.from({ length: B * (T + 1) }, () => rng.int(shape.vocabSize));
  const inputs = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    inputs.set(seq.subarray(b * (T + 1), b * (T + 1) + T), b * T);
    targets.set(seq.subarray(b * (T + 1) + 1, (b + 1) * (T + 1)), b * T);
  }
  const x = tf.tensor2d(inputs, [B, T], 'int32');
  const y = tf.tensor2d(targets, [B, T], 'int32');
  const vars = [...model.params.vars.values()];
  const times: number[] = [];
  let lossAfter = Number.NaN;
  let peakRss = process.memoryUsage().rss;
  let tensorsAfterWarmup = 0;
  for (let i = 0; i < warmup + steps; i++) {
    if (i === warmup) tensorsAfterWarmup = tf.memory().numTensors;
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(() => model.loss(x, y), vars);
    const named = new Map(Object.entries(grads).map(([k, g]) => [model.params.nameOf(k), g as tf.Tensor]));
    const norm = opt.apply(named, 1e-3);
    lossAfter = (await value.data())[0];
    tf.dispose([value, norm, ...Object.values(grads)]);
    const ms = performance.now() - t0;
    if (i >= warmup) times.push(ms);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const growth = tf.memory().numTensors - tensorsAfterWarmup;
  tf.dispose([x, y]);
  opt.dispose();
  model.dispose();
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const tokensPerSec = (B * T) / (median / 1000);
  const fpt = flopsPerToken(shape);
  const gflops = (fpt * tokensPerSec) / 1e9;
  return {
    ...shape,
    backend: info.name,
    customKernels: info.customKernels,
    steps,
    medianStepMs: Math.round(median * 10) / 10,
    tokensPerSec: Math.round(tokensPerSec),
    flopsPerToken: fpt,
    gflops: Math.round(gflops * 100) / 100,
    mfu: Math.round((gflops / (PEAK_GFLOPS_PER_THREAD * Math.max(1, info.threads))) * 1000) / 1000,
    peakRssMiB: Math.round(peakRss / 2 ** 20),
    numTensorsGrowth: growth,
    lossAfter,
  };
}

export function sweepShapes(): BenchShape[] {
  return [64, 128, 256, 512].map((d) => ({ ...GPT_REF, name: `width-${d}`, dModel: d }));
}

function runChild(
  backend: string,
  opts: { steps: string; sweep: boolean },
): BenchResult[] | { error: string } {
  const args = [
    ...process.execArgv,
    process.argv[1],
    'bench',
    '--internal-one',
    backend,
    '--steps',
    opts.steps,
    ...(opts.sweep ? [] : ['--no-sweep']),
  ];
  const r = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as BenchResult[];
  } catch {
    return { error: `backend ${backend} did not report (exit ${r.status})` };
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

function torchBench(): { tokensPerSec: number; torch: string; loss: number } | { error: string } {
  const py = pythonWithTorch();
  if (!py)
    return {
      error:
        'PyTorch reference not available: no python3 here imports torch (Debian: apt-get install python3-torch libopenblas0-pthread)',
    };
  const script = path.join(repoRoot(), 'tools', 'reference', 'bench_gpt.py');
  const r = spawnSync(py, [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0)
    return {
      error: `PyTorch reference failed (${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`,
    };
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
}

export async function benchCommand(opts: {
  json?: boolean;
  vsTorch?: boolean;
  backend?: string;
  steps: string;
  sweep: boolean;
  internalOne?: string;
}): Promise<void> {
  const steps = Number(opts.steps);
  if (!Number.isInteger(steps) || steps < 1)
    throw new UserError(`--steps: expected a positive integer, got '${opts.steps}'`);
  if (opts.internalOne) {
    const b = parseBackendName(opts.internalOne);
    const out = [await benchShape(GPT_REF, b, steps)];
    if (opts.sweep)
      for (const s of sweepShapes())
        out.push(
          await benchShape(s, b, s.dModel >= 512 ? Math.min(steps, 3) : steps, s.dModel >= 512 ? 1 : 3),
        );
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  const backends = (opts.backend ?? 'wasm,wasm-stock,tensorflow')
    .split(',')
    .map((b) => parseBackendName(b.trim()));
  const results: BenchResult[] = [];
  const notes: string[] = [];
  for (const b of backends) {
    if (!opts.json) process.stderr.write(`bench: ${b} ...\n`);
    const r = runChild(b, { steps: opts.steps, sweep: opts.sweep && b !== 'wasm-stock' });
    if ('error' in r) notes.push(r.error);
    else results.push(...r);
  }
  const torch = opts.vsTorch ? torchBench() : null;
  const ref = results.find((r) => r.name === 'GPT-ref' && r.backend === 'wasm');
  const ratio = torch && !('error' in torch) && ref ? ref.tokensPerSec / torch.tokensPerSec : null;
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ results, torch, ratioToTorch: ratio, peakGflopsPerThread: PEAK_GFLOPS_PER_THREAD, notes }, null, 2)}\n`,
    );
    return;
  }
  const head = ['workload', 'backend', 'd', 'tokens/s', 'step ms', 'GFLOP/s', 'MFU', 'peak RSS MiB', 'loss'];
  const rows = results.map((r) => [
    r.name,
    r.backend,
    String(r.dModel),
    r.tokensPerSec.toLocaleString('en-US'),
    String(r.medianStepMs),
    String(r.gflops),
    `${(r.mfu * 100).toFixed(1)}%`,
    String(r.peakRssMiB),
    r.lossAfter.toFixed(4),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padStart(widths[i])).join('  ');
  process.stdout.write(`${fmt(head)}\n${rows.map(fmt).join('\n')}\n`);
  if (torch) {
    if ('error' in torch) process.stdout.write(`PyTorch: ${torch.error}\n`);
    else
      process.stdout.write(
        `PyTorch ${torch.torch}: ${Math.round(torch.tokensPerSec).toLocaleString('en-US')} tokens/s on GPT-ref; ours/PyTorch = ${ratio?.toFixed(3)}\n`,
      );
  }
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  process.stdout.write(
    `MFU against ${PEAK_GFLOPS_PER_THREAD} GFLOP/s per thread (128-bit wasm SIMD FMA at ~3 GHz).\n`,
  );
}
