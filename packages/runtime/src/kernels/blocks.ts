/**
 * Fused block kernels: a whole attention core (attention-core.ts), a linear layer with its activation, a residual
 * add with the LayerNorm after it, the token + position (+ type) embedding, the vocabulary
 * projection with its cross-entropy, and AdamW over every parameter at once. Each is ONE tfjs
 * kernel forward and ONE backward, so a training step is a few dozen kernel calls instead of
 * hundreds (tfjs costs ~10-40 us per op with its gradient, more than the math of a small model).
 *
 * They are written once against the kernel-set interface (AsmInstance: sgemm, row kernels,
 * copies, on byte offsets of tfjs-wasm's heap) and so run on both kernel sets: the
 * AssemblyScript one (asm-module.ts) and the native C++ one (native.ts). Ops in ../blocks.ts
 * call them when they are registered and fall back to composite tf ops elsewhere.
 *
 * Heap views: every allocation (makeOutput, _malloc) may grow the wasm memory and detach
 * earlier Float32Array views, so views are made only after the last allocation of a kernel.
 */
import type * as tf from '@tensorflow/tfjs';
import type { AsmInstance } from './asm-module.js';
import { offsetOf, type WasmBackendInternals } from './wasm-internals.js';

export const BK = {
  attn: 'PretrainLabAttnCore',
  attnGrad: 'PretrainLabAttnCoreGrad',
  linear: 'PretrainLabLinear2',
  linearGrad: 'PretrainLabLinear2Grad',
  addNorm: 'PretrainLabAddLayerNorm',
  addNormGrad: 'PretrainLabAddLayerNormGrad',
  embed: 'PretrainLabEmbed',
  embedGrad: 'PretrainLabEmbedGrad',
  vocabCE: 'PretrainLabVocabCE',
  vocabCEGrad: 'PretrainLabVocabCEGrad',
  adamwAll: 'PretrainLabAdamWAll',
} as const;

type Args = Parameters<tf.KernelFunc>[0];
type TI = tf.TensorInfo;
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

/**
 * Input order of each forward kernel. They take their inputs as an ARRAY (tfjs saves all
 * inputs for the gradient only for array inputs), in the order these lists give; the ops
 * (../blocks.ts), the kernels and the gradients (register-blocks.ts) all read it from here.
 */
export const inputNames = {
  attn: (a: { mode: string; hasBias: boolean; hasPad: boolean; hasDrop?: boolean }): string[] => [
    ...(a.mode === 'qkv' ? ['qkv'] : a.mode === 'q_kv' ? ['q', 'kv'] : ['q', 'k', 'v']),
    ...(a.hasBias ? ['bias'] : []),
    ...(a.hasPad ? ['keyPadding'] : []),
    ...(a.hasDrop ? ['dropMask'] : []),
  ],
  linear: (a: { hasBias: boolean }): string[] => (a.hasBias ? ['x', 'w', 'b'] : ['x', 'w']),
  addNorm: (): string[] => ['x', 'delta', 'gamma', 'beta'],
  embed: (a: { hasPos: boolean; hasType: boolean }): string[] => [
    'table',
    'ids',
    ...(a.hasPos ? ['pos'] : []),
    ...(a.hasType ? ['typeTable', 'typeIds'] : []),
  ],
  vocabCE: (a: { hasBias: boolean }): string[] =>
    a.hasBias ? ['h', 'table', 'targets', 'bias'] : ['h', 'table', 'targets'],
};

/** Array inputs (forward kernels) or named ones (backward kernels), as a record by name. */
export function named(inputs: unknown, names: string[]): Record<string, TI> {
  if (!Array.isArray(inputs)) return inputs as Record<string, TI>;
  const out: Record<string, TI> = {};
  names.forEach((n, i) => {
    out[n] = inputs[i] as TI;
  });
  return out;
}

/** Heap scratch for one kernel call: malloc'd blocks freed together. */
class Scratch {
  private readonly raw: number[] = [];
  constructor(private readonly backend: WasmBackendInternals) {}
  floats(n: number): number {
    const p = this.backend.wasm._malloc(n * 4 + 64) >>> 0;
    this.raw.push(p);
    return (p + 63) & ~63;
  }
  free(): void {
    for (const p of this.raw) this.backend.wasm._free(p);
  }
}

function f32(backend: WasmBackendInternals, ptr: number, n: number): Float32Array {
  return new Float32Array(backend.wasm.asm.memory.buffer, ptr, n);
}
function i32(backend: WasmBackendInternals, ptr: number, n: number): Int32Array {
  return new Int32Array(backend.wasm.asm.memory.buffer, ptr, n);
}

// ---- linear (+ GELU or ReLU): y = act(x @ w + b) over the last axis of x, any rank --------------------

interface LinearAttrs {
  act: 'none' | 'gelu' | 'relu';
  hasBias: boolean;
}

function linearFwd(asm: AsmInstance) {
  return (args: Args): TI[] => {
    const backend = args.backend as WasmBackendInternals;
    const a = args.attrs as unknown as LinearAttrs;
    const { x, w, b } = named(args.inputs, inputNames.linear(a)) as { x: TI; w: TI; b?: TI };
    const In = w.shape[0];
    const Out = w.shape[1];
    const N = In === 0 ? 0 : size(x.shape) / In;
    const shape = [...x.shape.slice(0, -1), Out];
    const u = backend.makeOutput(shape, 'float32');
    const y = a.act !== 'none' ? backend.makeOutput(shape, 'float32') : null;
    const uo = offsetOf(backend, u);
    if (N * Out > 0) {
      if (a.hasBias && b) asm.exports.broadcastRows(offsetOf(backend, b), uo, N, Out);
      if (In > 0)
        asm.sgemm(
          1,
          N,
          Out,
          In,
          offsetOf(backend, x),
          In,
          1,
          0,
          offsetOf(backend, w),
          Out,
          1,
          0,
          uo,
          Out,
          0,
          a.hasBias ? 1 : 0,
        );
      else if (!a.hasBias) f32(backend, uo, N * Out).fill(0);
      if (y && a.act === 'gelu') asm.exports.geluFwd(uo, offsetOf(backend, y), N * Out, asm.work);
      else if (y && asm.exports.reluFwd) asm.exports.reluFwd(uo, offsetOf(backend, y), N * Out);
      else if (y) {
        const us = f32(backend, uo, N * Out);
        const ys = f32(backend, offsetOf(backend, y), N * Out);
        for (let i = 0; i < us.length; i++) ys[i] = Math.max(us[i], 0);
      }
    }
    // outputs: [y] or [y, u] (u, the pre-activation, is saved for the gradient)
    return y ? [y, u] : [u];
  };
}

function linearBwd(asm: AsmInstance) {
  return (args: Args): TI[] => {
    const backend = args.backend as WasmBackendInternals;
    const { x, w, dy, u } = args.inputs as { x: TI; w: TI; dy: TI; u?: TI };
    const a = args.attrs as unknown as LinearAttrs;
    const In = w.shape[0];
    const Out = w.shape[1];
    const N = In === 0 ? 0 : size(x.shape) / In;
    const dx = backend.makeOutput(x.shape, 'float32');
    const dw = backend.makeOutput(w.shape, 'float32');
    const db = a.hasBias ? backend.makeOutput([Out], 'float32') : null;
    const sc = new Scratch(backend);
    try {
      let g = offsetOf(backend, dy);
      if (a.act !== 'none' && u && N * Out > 0) {
        const du = sc.floats(N * Out);
        if (a.act === 'gelu') asm.exports.geluBwd(offsetOf(backend, u), g, du, N * Out, asm.work);
        else if (asm.exports.reluBwd) asm.exports.reluBwd(offsetOf(backend, u), g, du, N * Out);
        else {
          const us = f32(backend, offsetOf(backend, u), N * Out);
          const gs = f32(backend, g, N * Out);
          const ds = f32(backend, du, N * Out);
          for (let i = 0; i < us.length; i++) ds[i] = us[i] > 0 ? gs[i] : 0;
        }
        g = du;
      }
      const dxo = offsetOf(backend, dx);
      const dwo = offsetOf(backend, dw);
      if (N * In > 0) {
        if (Out > 0) asm.sgemm(1, N, In, Out, g, Out, 1, 0, offsetOf(backend, w), 1, Out, 0, dxo, In, 0, 0);
        else f32(backend, dxo, N * In).fill(0);
      }
      if (In * Out > 0) {
        if (N > 0) asm.sgemm(1, In, Out, N, offsetOf(backend, x), 1, In, 0, g, Out, 1, 0, dwo, Out, 0, 0);
        else f32(backend, dwo, In * Out).fill(0);
      }
      if (db && Out > 0) {
        const work = sc.floats(2 * Out + 4);
        asm.exports.colSum(g, offsetOf(backend, db), N, Out, work);
      }
    } finally {
      sc.free();
    }
    return db ? [dx, dw, db] : [dx, dw];
  };
}

// ---- residual add + LayerNorm: sum = x + delta, normed = LN(sum) ------------------------------

function addNormFwd(asm: AsmInstance, add: tf.KernelFunc) {
  return (args: Args): TI[] => {
    const backend = args.backend as WasmBackendInternals;
    const { x, delta, gamma, beta } = named(args.inputs, inputNames.addNorm());
    const { eps } = args.attrs as unknown as { eps: number };
    const sum = add({ inputs: { a: x, b: delta }, backend, attrs: {} }) as TI;
    const normed = backend.makeOutput(x.shape, 'float32');
    const C = x.shape[x.shape.length - 1];
    const rows = C === 0 ? 0 : size(x.shape) / C;
    if (rows > 0) {
      asm.exports.layerNormFwd(
        offsetOf(backend, sum),
        offsetOf(backend, gamma),
        offsetOf(backend, beta),
        offsetOf(backend, normed),
        rows,
        C,
        eps,
        asm.work,
      );
    }
    return [sum, normed];
  };
}

function addNormBwd(asm: AsmInstance, add: tf.KernelFunc) {
  return (args: Args): TI[] => {
    const backend = args.backend as WasmBackendInternals;
    const { sum, gamma, dNormed, dSum } = args.inputs as { sum: TI; gamma: TI; dNormed?: TI; dSum?: TI };
    const { eps } = args.attrs as unknown as { eps: number };
    const C = sum.shape[sum.shape.length - 1];
    const rows = C === 0 ? 0 : size(sum.shape) / C;
    const dg = backend.makeOutput([C], 'float32');
    const dbeta = backend.makeOutput([C], 'float32');
    if (!dNormed) {
      f32(backend, offsetOf(backend, dg), C).fill(0);
      f32(backend, offsetOf(backend, dbeta), C).fill(0);
      const copy = backend.makeOutput(sum.shape, 'float32');
      asm.exports.copyBlocks(
        offsetOf(backend, dSum!),
        offsetOf(backend, copy),
        1,
        1,
        4 * size(sum.shape),
        0,
        0,
        0,
        0,
      );
      return [copy, dg, dbeta];
    }
    const dxn = backend.makeOutput(sum.shape, 'float32');
    const sc = new Scratch(backend);
    try {
      const work = sc.floats(4 * C + 16);
      if (rows > 0)
        asm.exports.layerNormBwd(
          offsetOf(backend, sum),
          offsetOf(backend, gamma),
          offsetOf(backend, dNormed),
          offsetOf(backend, dxn),
          offsetOf(backend, dg),
          offsetOf(backend, dbeta),
          rows,
          C,
          eps,
          work,
        );
    } finally {
      sc.free();
    }
    if (!dSum) return [dxn, dg, dbeta];
    const total = add({ inputs: { a: dxn, b: dSum }, backend, attrs: {} }) as TI;
    backend.disposeData(dxn.dataId);
    return [total, dg, dbeta];
  };
}

// ---- embedding: out[b, t] = token[ids[b, t]] + pos[t] + type[typeIds[b, t]] ---------------------

interface EmbedAttrs {
  hasPos: boolean;
  hasType: boolean;
}

function embedFwd() {
  return (args: Args): TI => {
    const backend = args.backend as WasmBackendInternals;
    const a = args.attrs as unknown as EmbedAttrs;
    const { table, ids, pos, typeTable, typeIds } = named(args.inputs, inputNames.embed(a));
    const [V, C] = table.shape;
    const [B, T] = ids.shape;
    const out = backend.makeOutput([B, T, C], 'float32');
    const N = B * T;
    const o = f32(backend, offsetOf(backend, out), N * C);
    const tab = f32(backend, offsetOf(backend, table), V * C);
    const id = i32(backend, offsetOf(backend, ids), N);
    const pv = a.hasPos ? f32(backend, offsetOf(backend, pos), T * C) : null;
    const G = a.hasType ? typeTable.shape[0] : 0;
    const tt = a.hasType ? f32(backend, offsetOf(backend, typeTable), G * C) : null;
    const tid = a.hasType ? i32(backend, offsetOf(backend, typeIds), N) : null;
    for (let r = 0; r < N; r++) {
      const tok = id[r];
      if (!(tok >= 0 && tok < V)) throw new Error(`embedding: token id ${tok} out of range [0, ${V})`);
      const base = r * C;
      o.set(tab.subarray(tok * C, tok * C + C), base);
      if (pv) {
        const pb = (r % T) * C;
        for (let c = 0; c < C; c++) o[base + c] += pv[pb + c];
      }
      if (tt && tid) {
        const g = tid[r];
        if (!(g >= 0 && g < G)) throw new Error(`embedding: type id ${g} out of range [0, ${G})`);
        for (let c = 0; c < C; c++) o[base + c] += tt[g * C + c];
      }
    }
    return out;
  };
}

function embedBwd() {
  return (args: Args): TI[] => {
    const backend = args.backend as WasmBackendInternals;
    const { ids, dy, typeIds } = args.inputs as Record<string, TI>;
    const { V, P, G } = args.attrs as unknown as { V: number; P: number; G: number };
    const [B, T] = ids.shape;
    const C = dy.shape[2];
    const N = B * T;
    const dt = backend.makeOutput([V, C], 'float32');
    const dp = P > 0 ? backend.makeOutput([P, C], 'float32') : null;
    const dg = G > 0 ? backend.makeOutput([G, C], 'float32') : null;
    const g = f32(backend, offsetOf(backend, dy), N * C);
    const id = i32(backend, offsetOf(backend, ids), N);
    const vt = f32(backend, offsetOf(backend, dt), V * C).fill(0);
    for (let r = 0; r < N; r++) {
      const to = id[r] * C;
      const go = r * C;
      for (let c = 0; c < C; c++) vt[to + c] += g[go + c];
    }
    const out = [dt];
    if (dp) {
      const vp = f32(backend, offsetOf(backend, dp), P * C).fill(0);
      for (let r = 0; r < N; r++) {
        const po = (r % T) * C;
        const go = r * C;
        for (let c = 0; c < C; c++) vp[po + c] += g[go + c];
      }
      out.push(dp);
    }
    if (dg) {
      const vg = f32(backend, offsetOf(backend, dg), G * C).fill(0);
      const tid = i32(backend, offsetOf(backend, typeIds), N);
      for (let r = 0; r < N; r++) {
        const to = tid[r] * C;
        const go = r * C;
        for (let c = 0; c < C; c++) vg[to + c] += g[go + c];
      }
      out.push(dg);
    }
    return out;
  };
}

export const blockKernels = {
  linearFwd,
  linearBwd,
  addNormFwd,
  addNormBwd,
  embedFwd,
  embedBwd,
  Scratch,
  f32,
  i32,
  named,
};
