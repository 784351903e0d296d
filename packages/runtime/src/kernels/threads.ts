/**
 * A second thread for the big matmuls. tfjs-wasm's memory is not shared in Node, so the worker
 * runs its own instance of our kernels (the shared-memory build of asm/kernels.ts) on a
 * SharedArrayBuffer-backed WebAssembly.Memory: operands of the worker's half are copied in,
 * the main thread computes its half in place on the tfjs heap meanwhile, and the worker's
 * result is copied back. Split by batch for batched shapes (attention), otherwise by rows of C,
 * columns of C or the reduction dimension, whichever copies fewest bytes; only for products
 * large enough that the split pays (see `worthSplitting`).
 *
 * Dispatch: the main thread bumps a sequence number in a SharedArrayBuffer and notifies; the
 * worker spins on it for a short while after each job (sub-microsecond dispatch for
 * back-to-back matmuls) and otherwise sleeps in Atomics.wait. The worker is unref'd: it never
 * keeps the process alive. If it fails to start, everything runs on one thread with a note.
 * PRETRAIN_LAB_THREADS=1 disables it, =2 forces it; unset, it starts only when the 1-minute
 * load average leaves a core idle (on a shared 2-core machine the copies then cost more than
 * the second thread gains), and a per-shape self-tuner keeps splitting only where it pays.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { AsmInstance, SgemmFn } from './asm-module.js';
import { WASM_RELAXED_SIMD_SHARED_BASE64, WASM_SIMD_SHARED_BASE64 } from './wasm-binary.js';

// Control words (Int32Array over a SharedArrayBuffer).
const SEQ = 0; // bumped by the main thread per job
const DONE = 1; // set to SEQ by the worker when the job is finished
const STATUS = 2; // 0 ok, 1 the job threw
const CMD = 3; // 1 sgemm, 2 exit
const ARGS = 4; // 17 sgemm arguments (the last is the scratch pointer)
const CMD_SGEMM = 1;
const CMD_EXIT = 2;

const PAGE = 65536;
const MAX_PAGES = 16384; // 1 GiB address space reserved; pages are touched only as used

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
function main() {
  const { module, memory, ctrl, spin } = workerData;
  const c = new Int32Array(ctrl);
  let k;
  try {
    k = new WebAssembly.Instance(module, { env: { memory } }).exports;
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String((e && e.message) || e) });
    return;
  }
  parentPort.postMessage({ ok: true });
  let seen = 0;
  for (;;) {
    let n = 0;
    while (Atomics.load(c, ${SEQ}) === seen) {
      if (++n > spin) { Atomics.wait(c, ${SEQ}, seen); n = 0; }
    }
    seen = Atomics.load(c, ${SEQ});
    if (c[${CMD}] === ${CMD_EXIT}) { Atomics.store(c, ${DONE}, seen); Atomics.notify(c, ${DONE}); return; }
    try {
      const a = ${ARGS};
      k.sgemm(c[a], c[a + 1], c[a + 2], c[a + 3], c[a + 4], c[a + 5], c[a + 6], c[a + 7], c[a + 8],
        c[a + 9], c[a + 10], c[a + 11], c[a + 12], c[a + 13], c[a + 14], c[a + 15], c[a + 16]);
      c[${STATUS}] = 0;
    } catch (e) {
      c[${STATUS}] = 1;
    }
    Atomics.store(c, ${DONE}, seen);
    Atomics.notify(c, ${DONE});
  }
}
main();
`;

export interface ThreadInfo {
  threads: number;
  note: string;
}

interface Pool {
  worker: Worker;
  memory: WebAssembly.Memory;
  ctrl: Int32Array;
  workBytes: number;
  seq: number;
  dead: boolean;
}

let pool: Pool | null = null;
/** How many products were split across threads / run on one (for tests and profiling). */
export const threadStats = { split: 0, single: 0, byKind: { batch: 0, M: 0, N: 0, K: 0 } };

/** Threads asked for: PRETRAIN_LAB_THREADS, else min(2, available cores). At most 2. */
export function requestedThreads(): number {
  const env = process.env.PRETRAIN_LAB_THREADS;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const n = env !== undefined && env.trim() !== '' ? Math.floor(Number(env)) : Math.min(2, cores);
  if (!Number.isFinite(n) || n < 1) return 1;
  return Math.min(2, n);
}

/**
 * Starts the worker and points `asm.sgemm` at the splitting dispatcher. Resolves with the
 * thread count in use (1 with a note when threads are off or failed to start).
 */
export async function startThreads(
  asm: AsmInstance,
  opts: { timeoutMs?: number; workerSource?: string } = {},
): Promise<ThreadInfo> {
  const want = requestedThreads();
  if (want < 2) return { threads: 1, note: 'threads: 1 (PRETRAIN_LAB_THREADS=1 or one core)' };
  const forced = (process.env.PRETRAIN_LAB_THREADS ?? '').trim() !== '';
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const load = os.loadavg()[0];
  if (!forced && load > cores - 0.5) {
    // Other work already holds about a core: a second thread measured slower here (its copies
    // buy nothing when it has no core of its own). PRETRAIN_LAB_THREADS=2 forces it.
    return {
      threads: 1,
      note: `threads: 1 (load average ${load.toFixed(1)} on ${cores} cores: no idle core for a second thread; PRETRAIN_LAB_THREADS=2 forces two)`,
    };
  }
  if (pool && !pool.dead && !opts.workerSource) {
    asm.sgemm = makeDispatcher(asm, pool);
    return { threads: 2, note: 'threads: 2 (large matmuls split across a worker thread)' };
  }
  const started = await spawnPool(asm, opts.timeoutMs ?? 10_000, opts.workerSource ?? WORKER_SOURCE);
  if ('error' in started)
    return {
      threads: 1,
      note: `threads: 1 (worker thread failed to start: ${started.error}; running on one thread)`,
    };
  if (pool) await stopThreads();
  pool = started;
  asm.sgemm = makeDispatcher(asm, started);
  return { threads: 2, note: 'threads: 2 (large matmuls split across a worker thread)' };
}

async function spawnPool(
  asm: AsmInstance,
  timeoutMs: number,
  source: string,
): Promise<Pool | { error: string }> {
  let worker: Worker | null = null;
  try {
    const b64 = asm.variant === 'relaxed-simd' ? WASM_RELAXED_SIMD_SHARED_BASE64 : WASM_SIMD_SHARED_BASE64;
    const module = new WebAssembly.Module(Buffer.from(b64, 'base64'));
    const workBytes = asm.workBytes;
    const memory = new WebAssembly.Memory({
      initial: Math.ceil((workBytes + (8 << 20)) / PAGE),
      maximum: MAX_PAGES,
      shared: true,
    });
    const ctrl = new Int32Array(new SharedArrayBuffer(128));
    const w = new Worker(source, {
      eval: true,
      workerData: { module, memory, ctrl: ctrl.buffer, spin: 2_000 },
    });
    worker = w;
    w.unref();
    const p: Pool = { worker: w, memory, ctrl, workBytes, seq: 0, dead: false };
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker did not start within ${timeoutMs} ms`)),
        timeoutMs,
      );
      w.once('message', (m: { ok: boolean; error?: string }) => {
        clearTimeout(timer);
        if (m.ok) resolve();
        else reject(new Error(m.error ?? 'worker failed'));
      });
      w.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      w.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`worker exited (code ${code})`));
      });
    });
    w.on('error', () => {
      p.dead = true;
    });
    w.on('exit', () => {
      p.dead = true;
    });
    return p;
  } catch (e) {
    if (worker) await worker.terminate().catch(() => undefined);
    return { error: (e as Error).message };
  }
}

/** Stops the worker (tests; the process never waits for it anyway). */
export async function stopThreads(asm?: AsmInstance): Promise<void> {
  const p = pool;
  pool = null;
  if (asm) {
    const { exports, work } = asm;
    asm.sgemm = (batch, M, N, K, a, ars, acs, sa, b, brs, bcs, sb, c, ldc, sc, accumulate) =>
      exports.sgemm(batch, M, N, K, a, ars, acs, sa, b, brs, bcs, sb, c, ldc, sc, accumulate, work);
  }
  if (!p) return;
  p.dead = true;
  p.ctrl[CMD] = CMD_EXIT;
  Atomics.add(p.ctrl, SEQ, 1);
  Atomics.notify(p.ctrl, SEQ);
  await p.worker.terminate();
}

const extent = (rows: number, cols: number, rs: number, cs: number): number =>
  rows === 0 || cols === 0 ? 0 : (rows - 1) * rs + (cols - 1) * cs + 1;

/** Single-thread time vs split time, from measured rates (PLATFORM-NOTES / PERF-NOTES). */
function worthSplitting(flops: number, copyBytes: number): boolean {
  const single = flops / 40e9;
  const split = flops / 80e9 + copyBytes / 8e9 + 60e-6;
  return split < 0.85 * single;
}

interface Region {
  src: number; // byte offset on the tfjs heap
  elems: number;
}

function makeDispatcher(asm: AsmInstance, p: Pool): SgemmFn {
  const { exports, work } = asm;
  const local: SgemmFn = (batch, M, N, K, a, ars, acs, sa, b, brs, bcs, sb, c, ldc, sc, accumulate) =>
    exports.sgemm(batch, M, N, K, a, ars, acs, sa, b, brs, bcs, sb, c, ldc, sc, accumulate, work);
  let heapBuf: ArrayBuffer | null = null;
  let heapU8 = new Uint8Array(0);
  let heapF32 = new Float32Array(0);
  const heap = () => {
    if (heapBuf !== asm.memory.buffer) {
      heapBuf = asm.memory.buffer;
      heapU8 = new Uint8Array(heapBuf);
      heapF32 = new Float32Array(heapBuf);
    }
  };

  /** Makes room for `bytes` after the worker's scratch; false if the shared memory cannot grow. */
  const ensure = (bytes: number): boolean => {
    const need = p.workBytes + bytes;
    const have = p.memory.buffer.byteLength;
    if (need <= have) return true;
    const pages = Math.ceil((need - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) return false;
    try {
      p.memory.grow(pages);
      return true;
    } catch {
      return false;
    }
  };

  /** Copies regions onto the shared memory after the scratch; returns their worker addresses. */
  const copyIn = (regions: Array<Region | null>, sizes: number[]): number[] | null => {
    let total = 0;
    for (let i = 0; i < regions.length; i++) total += sizes[i] * 4 + 32;
    if (!ensure(total)) return null;
    const shared = new Uint8Array(p.memory.buffer);
    let cursor = p.workBytes;
    const out: number[] = [];
    heap();
    for (let i = 0; i < regions.length; i++) {
      const r = regions[i];
      const dst = ((cursor + 15) & ~15) + (r ? r.src & 15 : 0);
      if (r && r.elems > 0) shared.set(heapU8.subarray(r.src, r.src + r.elems * 4), dst);
      out.push(dst);
      cursor = dst + sizes[i] * 4;
    }
    return out;
  };

  const post = (args: number[]): number => {
    const c = p.ctrl;
    for (let i = 0; i < args.length; i++) c[ARGS + i] = args[i];
    c[ARGS + 16] = 0; // the worker's scratch is at the start of its memory
    c[CMD] = CMD_SGEMM;
    p.seq = Atomics.add(c, SEQ, 1) + 1;
    Atomics.notify(c, SEQ);
    return p.seq;
  };

  /** Waits for job `seq`; false if the worker is gone (the caller then computes its part). */
  const wait = (seq: number): boolean => {
    const c = p.ctrl;
    let n = 0;
    const t0 = Date.now();
    while (Atomics.load(c, DONE) !== seq) {
      if (++n > 1 << 10) {
        Atomics.wait(c, DONE, Atomics.load(c, DONE), 50);
        n = 0;
        if (p.dead || Date.now() - t0 > 120_000) {
          p.dead = true;
          return false;
        }
      }
    }
    return c[STATUS] === 0;
  };

  let didSplit = false;
  const splitRun: SgemmFn = (batch, M, N, K, a, ars, acs, sa, b, brs, bcs, sb, c, ldc, sc, accumulate) => {
    didSplit = false;
    const flops = 2 * batch * M * N * K;
    // Our callers write C densely (ldc == N, sc == M * N); anything else stays on one thread.
    if (p.dead || flops < 4e6 || ldc !== N || (batch > 1 && sc !== M * N)) {
      threadStats.single++;
      return local(batch, M, N, K, a, ars, acs, sa, b, brs, bcs, sb, c, ldc, sc, accumulate);
    }
    const acc = accumulate !== 0;
    if (batch >= 2) {
      // Split by batch: the main thread takes [0, b1), the worker [b1, batch).
      const b1 = batch >> 1;
      const nb = batch - b1;
      const eA = (sa === 0 ? 0 : (nb - 1) * sa) + extent(M, K, ars, acs);
      const eB = (sb === 0 ? 0 : (nb - 1) * sb) + extent(K, N, brs, bcs);
      const eC = nb * M * N;
      if (!worthSplitting(flops, 4 * (eA + eB + (acc ? 2 : 1) * eC))) {
        threadStats.single++;
        return local(batch, M, N, K, a, ars, acs, sa, b, brs, bcs, sb, c, ldc, sc, accumulate);
      }
      const cW = c + b1 * sc * 4;
      const at = copyIn(
        [
          { src: a + b1 * sa * 4, elems: eA },
          { src: b + b1 * sb * 4, elems: eB },
          acc ? { src: cW, elems: eC } : null,
        ],
        [eA, eB, eC],
      );
      if (!at) return local(batch, M, N, K, a, ars, acs, sa, b, brs, bcs, sb, c, ldc, sc, accumulate);
      const seq = post([nb, M, N, K, at[0], ars, acs, sa, at[1], brs, bcs, sb, at[2], N, M * N, accumulate]);
      local(b1, M, N, K, a, ars, acs, sa, b, brs, bcs, sb, c, ldc, sc, accumulate);
      if (!wait(seq))
        return local(
          nb,
          M,
          N,
          K,
          a + b1 * sa * 4,
          ars,
          acs,
          sa,
          b + b1 * sb * 4,
          brs,
          bcs,
          sb,
          cW,
          ldc,
          sc,
          accumulate,
        );
      heap();
      heapU8.set(new Uint8Array(p.memory.buffer, at[2], eC * 4), cW);
      threadStats.split++;
      threadStats.byKind.batch++;
      didSplit = true;
      return;
    }
    // One product: split rows of C (M), columns of C (N) or the reduction (K).
    const m1 = (M >> 1) & ~3;
    const n1 = (N >> 1) & ~7;
    const k1 = (K >> 1) & ~3;
    const eAfull = extent(M, K, ars, acs);
    const eBfull = extent(K, N, brs, bcs);
    const cand: Array<{ kind: 'M' | 'N' | 'K'; bytes: number }> = [];
    if (m1 >= 4)
      cand.push({
        kind: 'M',
        bytes: 4 * (extent(M - m1, K, ars, acs) + eBfull + (acc ? 2 : 1) * (M - m1) * N),
      });
    if (n1 >= 8)
      cand.push({
        kind: 'N',
        bytes: 4 * (eAfull + extent(K, N - n1, brs, bcs) + (acc ? 2 : 1) * M * (N - n1)),
      });
    if (k1 >= 16)
      cand.push({
        kind: 'K',
        bytes: 4 * (extent(M, K - k1, ars, acs) + extent(K - k1, N, brs, bcs) + 2 * M * N),
      });
    cand.sort((x, y) => x.bytes - y.bytes);
    const best = cand[0];
    if (!best || !worthSplitting(flops, best.bytes)) {
      threadStats.single++;
      return local(batch, M, N, K, a, ars, acs, sa, b, brs, bcs, sb, c, ldc, sc, accumulate);
    }
    if (best.kind === 'M') {
      const M2 = M - m1;
      const eA = extent(M2, K, ars, acs);
      const cW = c + m1 * N * 4;
      const at = copyIn(
        [
          { src: a + m1 * ars * 4, elems: eA },
          { src: b, elems: eBfull },
          acc ? { src: cW, elems: M2 * N } : null,
        ],
        [eA, eBfull, M2 * N],
      );
      if (!at) return local(1, M, N, K, a, ars, acs, 0, b, brs, bcs, 0, c, ldc, 0, accumulate);
      const seq = post([1, M2, N, K, at[0], ars, acs, 0, at[1], brs, bcs, 0, at[2], N, 0, accumulate]);
      local(1, m1, N, K, a, ars, acs, 0, b, brs, bcs, 0, c, ldc, 0, accumulate);
      if (!wait(seq))
        return local(1, M2, N, K, a + m1 * ars * 4, ars, acs, 0, b, brs, bcs, 0, cW, ldc, 0, accumulate);
      heap();
      heapU8.set(new Uint8Array(p.memory.buffer, at[2], M2 * N * 4), cW);
    } else if (best.kind === 'N') {
      const N2 = N - n1;
      const eB = extent(K, N2, brs, bcs);
      // The worker's C is a compact [M, N2] block; copy it in and out row by row.
      const at = copyIn(
        [{ src: a, elems: eAfull }, { src: b + n1 * bcs * 4, elems: eB }, null],
        [eAfull, eB, M * N2],
      );
      if (!at) return local(1, M, N, K, a, ars, acs, 0, b, brs, bcs, 0, c, ldc, 0, accumulate);
      if (acc) {
        const shared = new Float32Array(p.memory.buffer);
        for (let i = 0; i < M; i++)
          shared.set(heapF32.subarray((c >> 2) + i * N + n1, (c >> 2) + i * N + N), (at[2] >> 2) + i * N2);
      }
      const seq = post([1, M, N2, K, at[0], ars, acs, 0, at[1], brs, bcs, 0, at[2], N2, 0, accumulate]);
      local(1, M, n1, K, a, ars, acs, 0, b, brs, bcs, 0, c, ldc, 0, accumulate);
      if (!wait(seq))
        return local(
          1,
          M,
          N2,
          K,
          a,
          ars,
          acs,
          0,
          b + n1 * bcs * 4,
          brs,
          bcs,
          0,
          c + n1 * 4,
          ldc,
          0,
          accumulate,
        );
      heap();
      const shared = new Float32Array(p.memory.buffer);
      for (let i = 0; i < M; i++)
        heapF32.set(
          shared.subarray((at[2] >> 2) + i * N2, (at[2] >> 2) + (i + 1) * N2),
          (c >> 2) + i * N + n1,
        );
    } else {
      const K2 = K - k1;
      const eA = extent(M, K2, ars, acs);
      const eB = extent(K2, N, brs, bcs);
      const at = copyIn(
        [{ src: a + k1 * acs * 4, elems: eA }, { src: b + k1 * brs * 4, elems: eB }, null],
        [eA, eB, M * N],
      );
      if (!at) return local(1, M, N, K, a, ars, acs, 0, b, brs, bcs, 0, c, ldc, 0, accumulate);
      const seq = post([1, M, N, K2, at[0], ars, acs, 0, at[1], brs, bcs, 0, at[2], N, 0, 0]);
      local(1, M, N, k1, a, ars, acs, 0, b, brs, bcs, 0, c, ldc, 0, accumulate);
      if (!wait(seq))
        return local(1, M, N, K2, a + k1 * acs * 4, ars, acs, 0, b + k1 * brs * 4, brs, bcs, 0, c, ldc, 0, 1);
      heap();
      const part = new Float32Array(p.memory.buffer, at[2], M * N);
      const dst = heapF32.subarray(c >> 2, (c >> 2) + M * N);
      for (let i = 0; i < M * N; i++) dst[i] += part[i];
    }
    threadStats.split++;
    threadStats.byKind[best.kind]++;
    didSplit = true;
  };

  // Self-tuning: per product shape, time the split and the one-thread run (three of each,
  // then the faster one, probing the other every 32nd call), so that a machine whose second
  // core is busy with other work does not pay for copies that buy nothing.
  const tune = new Map<
    string,
    { single: number; split: number; nSingle: number; nSplit: number; calls: number }
  >();
  const ema = (old: number, n: number, dt: number) => (n === 0 ? dt : 0.7 * old + 0.3 * dt);
  return (batch, M, N, K, a, ars, acs, sa, b, brs, bcs, sb, c, ldc, sc, accumulate) => {
    if (p.dead || 2 * batch * M * N * K < 4e6 || !autotune)
      return splitRun(batch, M, N, K, a, ars, acs, sa, b, brs, bcs, sb, c, ldc, sc, accumulate);
    const key = `${batch},${M},${N},${K},${ars},${acs},${sa},${brs},${bcs},${sb},${accumulate}`;
    let t = tune.get(key);
    if (!t) {
      t = { single: 0, split: 0, nSingle: 0, nSplit: 0, calls: 0 };
      tune.set(key, t);
    }
    t.calls++;
    let trySplit: boolean;
    if (t.nSplit < 3 || t.nSingle < 3) trySplit = t.nSplit <= t.nSingle;
    else trySplit = t.calls % 32 === 0 ? t.split > t.single : t.split <= t.single;
    const t0 = performance.now();
    if (trySplit) {
      splitRun(batch, M, N, K, a, ars, acs, sa, b, brs, bcs, sb, c, ldc, sc, accumulate);
      const dt = performance.now() - t0;
      if (didSplit) {
        t.split = ema(t.split, t.nSplit, dt);
        t.nSplit++;
      } else {
        t.split = Number.POSITIVE_INFINITY; // not worth splitting: never try again
        t.nSplit = 1 << 30;
      }
    } else {
      threadStats.single++;
      local(batch, M, N, K, a, ars, acs, sa, b, brs, bcs, sb, c, ldc, sc, accumulate);
      t.single = ema(t.single, t.nSingle, performance.now() - t0);
      t.nSingle++;
    }
  };
}

/** Self-tuning on (default) or off (tests that need every eligible product split). */
let autotune = true;
export function setThreadAutotune(on: boolean): void {
  autotune = on;
}
