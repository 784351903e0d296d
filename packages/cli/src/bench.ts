/**
 * `pnpm bench`: one fp32 AdamW training step (forward + backward + clip + update + loss read
 * back) of each experiment's own workload, on every backend and kernel set that loads, and with
 * `--vs-torch` the same workloads in PyTorch (tools/reference/bench_torch.py: the fixture model
 * code, same shapes, same optimizer) in the same invocation.
 *
 *     GPT-ref      GPT V256 T128 d128 L4 H4 B32, tied (the reference step of docs/performance.md)
 *     scaling-min  GPT V1024 T64 d16 L1 H2 B16, tied (the smallest model of experiments/scaling)
 *     scaling-max  GPT V1024 T64 d96 L4 H4 B16, tied (the largest)
 *     nsp          BERT as experiments/nsp's defaults: V1000, 64 positions, d64 L2 H2 FF256,
 *                  pre-norm, dropout 0, B32 T64, MLM labels at 15% of the real positions,
 *                  random NSP labels, the last 8 positions of every other row padded,
 *                  token types 0 / 1 by halves
 *     spans        T5 v1.0 as experiments/spans's defaults: V2000, d64 L2 H4 FF256, dropout 0,
 *                  B32, encoder length 64 (row b has 4 * (b % 4) padded positions), decoder
 *                  length 20 (row b ends with b % 3 ignored labels)
 *
 * Each (backend, workload) runs in its own process, so kernels and memory do not mix; a backend
 * that does not load becomes a note. With --vs-torch each workload runs in rounds (default 3):
 * ours then PyTorch's, back to back, and the ratio is the median per-round ratio with its range
 * (bench-compare.ts), so the host's slow minutes hit both sides. Per row: median step time over the timed steps after
 * warm-up, tokens/s, achieved GFLOP/s and model FLOPs utilisation (flopsPerToken and peakFor
 * below), peak resident memory, tensors leaked per timed step window, and the loss after the
 * last step (a speed-up that breaks training shows at once).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '@pretrain-lab/experiment';
import { type BackendName, initBackend, parseBackendName, UserError } from '@pretrain-lab/runtime';
import { type BenchRound, medianResults, medianTorch, pairedRatios, type TorchRow } from './bench-compare.js';
import { type BenchResult, benchShape } from './bench-step.js';
import {
  cpuClock,
  describeWorkload,
  findWorkload,
  flopsPerToken,
  GPT_REF,
  parseWorkloads,
  peakFor,
  sweepShapes,
  TORCH_TARGETS,
  tokensPerStep,
  type Workload,
  type WorkloadName,
} from './bench-workloads.js';

export * from './bench-compare.js';
export * from './bench-step.js';
export * from './bench-workloads.js';

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

const DEFAULT_BACKENDS: BackendName[] = ['native', 'wasm', 'wasm-stock', 'tensorflow'];

export async function benchCommand(opts: {
  json?: boolean;
  vsTorch?: boolean;
  backend?: string;
  workloads?: string;
  steps: string;
  warmup?: string;
  sweep?: boolean;
  rounds?: string;
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
  const rounds = Number(opts.rounds ?? (opts.vsTorch ? '3' : '1'));
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new UserError(`--rounds: expected a positive integer, got '${opts.rounds}'`);
  // Workload-major, in rounds: per workload, each backend then PyTorch, `rounds` times over, so
  // both sides of a ratio are timed within the same minute (bench-compare.ts).
  const notes: string[] = [];
  const dead = new Set<BackendName>();
  const all: Workload[] = [...workloads, ...(opts.sweep ? sweepShapes() : [])];
  if (backends.includes('wasm-stock'))
    notes.push(
      all.some((w) => w.name === GPT_REF.name)
        ? 'wasm-stock runs GPT-ref only: stock tfjs-wasm is ~20x slower than our kernels (seconds a GPT-ref step; the other workloads would take minutes)'
        : 'wasm-stock skipped: it runs GPT-ref only (stock tfjs-wasm is ~20x slower), which --workloads leaves out',
    );
  const torchNames = new Set(opts.vsTorch ? workloads.map((w) => w.name) : []);
  let torchInfo: Omit<TorchReport, 'results'> | null = null;
  let torchDown = false;
  const log: BenchRound[] = [];
  for (const w of all) {
    // The widest sweep shape takes seconds a step: at most 3 timed steps after 1 warm-up, 1 round.
    const big = w.name.startsWith('width-') && w.dModel >= 512;
    const n = big || (opts.vsTorch && !torchNames.has(w.name)) ? 1 : rounds;
    for (let round = 1; round <= n; round++) {
      const ours: BenchResult[] = [];
      for (const b of backends) {
        if (dead.has(b) || (b === 'wasm-stock' && w.name !== GPT_REF.name)) continue;
        if (!opts.json)
          process.stderr.write(`bench: ${w.name} on ${b}${n > 1 ? ` (round ${round}/${n})` : ''} ...\n`);
        const r = runChild(b, w.name, big ? Math.min(steps, 3) : steps, big ? Math.min(warmup, 1) : warmup);
        if ('error' in r) {
          if (r.stage === 'backend') {
            notes.push(`backend ${b} does not load here: ${r.error}`);
            dead.add(b);
          } else notes.push(`${w.name} on ${b} failed: ${r.error}`);
        } else ours.push(r);
      }
      let torch: TorchRow | null = null;
      if (torchNames.has(w.name) && !torchDown) {
        if (!opts.json)
          process.stderr.write(`bench: ${w.name} in PyTorch${n > 1 ? ` (round ${round}/${n})` : ''} ...\n`);
        const t = torchBench([w.name], steps, warmup);
        if ('error' in t) {
          notes.push(t.error);
          torchDown = true;
        } else {
          torch = t.rows[0] ?? null;
          torchInfo = t.info;
        }
      }
      log.push({ name: w.name, round, ours, torch });
    }
  }
  const results = medianResults(log);
  const torchRows = medianTorch(log);
  const ratios = pairedRatios(log);
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
          rounds: log,
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
          ? `${w.name.padEnd(nameWidth)}  ratio vs torch: ${r.ratio.toFixed(2)}x${tail}  [${r.backend}, ${r.kernels}; median of ${r.rounds} round${r.rounds > 1 ? `s, range ${r.ratioMin.toFixed(2)}-${r.ratioMax.toFixed(2)}` : ''}]\n`
          : `${w.name.padEnd(nameWidth)}  ratio vs torch: n/a${tail}\n`,
      );
    }
  }
}
