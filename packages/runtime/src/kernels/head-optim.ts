/**
 * Fused kernels at the two ends of a training step: the vocabulary projection with its
 * softmax cross-entropy (logits = h @ table^T + bias, mean loss over targets >= 0; only the
 * rows with a target are projected, so an MLM loss costs its masked positions only), and
 * AdamW over every parameter in one kernel (global norm, clip coefficient, update), as
 * packages/train's AdamW and torch.optim.AdamW + clip_grad_norm_ compute them.
 *
 * On the native set the forward computes the whole head in one call (native `vocabCE`): the loss
 * and, when a gradient is being recorded (attr `grad`), the gradients at dy = 1 of h, the table
 * and the bias, with the logits of 256 rows at a time kept in cache; its saved output is those
 * gradients, flat ([N*C | V*C | V]), and the backward only copies them (times dy when dy != 1).
 * The wasm set saves the [M, V] logits and recomputes softmax and products in the backward. Both
 * give the same numbers at dy = 1, bit for bit (vocabCE equals sgemm + crossEntropyGrad + sgemm +
 * colSum exactly); at dy != 1 the native set rounds once more (dy times the dy = 1 gradient).
 */
import type * as tf from '@tensorflow/tfjs';
import type { AsmInstance } from './asm-module.js';
import { blockKernels, inputNames } from './blocks.js';
import { type AdamWPtrs, adamwOne } from './fused.js';
import { offsetOf, type WasmBackendInternals } from './wasm-internals.js';

const { Scratch, f32, i32, named } = blockKernels;
type Args = Parameters<tf.KernelFunc>[0];
type TI = tf.TensorInfo;
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

/** Rows with a target >= 0, and those targets as int32 (float targets as asm's readTarget). */
function validRows(backend: WasmBackendInternals, targets: TI): { rows: Int32Array; tgt: Int32Array } {
  const n = size(targets.shape);
  const raw =
    targets.dtype === 'int32'
      ? i32(backend, offsetOf(backend, targets), n)
      : f32(backend, offsetOf(backend, targets), n);
  const rows: number[] = [];
  const tgt: number[] = [];
  for (let r = 0; r < n; r++) {
    const v = raw[r];
    if (!(v >= 0)) continue;
    rows.push(r);
    tgt.push(v >= 2147483520 ? 2147483647 : Math.trunc(v));
  }
  return { rows: Int32Array.from(rows), tgt: Int32Array.from(tgt) };
}

/** Copies the chosen rows of h [N, C] into scratch [rows, C] (or uses h when every row is chosen). */
function compactRows(
  asm: AsmInstance,
  sc: InstanceType<typeof Scratch>,
  h: number,
  N: number,
  C: number,
  rows: Int32Array,
): number {
  if (rows.length === N) return h;
  const out = sc.floats(rows.length * C);
  for (let i = 0; i < rows.length; i++)
    asm.exports.copyBlocks(h + 4 * rows[i] * C, out + 4 * i * C, 1, 1, 4 * C, 0, 0, 0, 0);
  return out;
}

/** Attributes of the vocabulary head: a bias, and whether a gradient is being recorded. */
export interface VocabCEAttrs {
  hasBias: boolean;
  grad?: boolean;
}

/** dst [N, C] = 0 except row rows[i] = src row i ([M, C]): the compacted rows' gradient back in place. */
function scatterRows(
  backend: WasmBackendInternals,
  dst: number,
  src: number,
  rows: Int32Array,
  N: number,
  C: number,
) {
  const out = f32(backend, dst, N * C).fill(0);
  const from = f32(backend, src, rows.length * C);
  for (let i = 0; i < rows.length; i++) out.set(from.subarray(i * C, i * C + C), rows[i] * C);
}

/** The head's inputs and sizes, and the rows with a target (both forward kernels). */
function headInputs(args: Args) {
  const backend = args.backend as WasmBackendInternals;
  const { hasBias, grad } = args.attrs as unknown as VocabCEAttrs;
  const { h, table, targets, bias } = named(args.inputs, inputNames.vocabCE({ hasBias }));
  const [V, C] = table.shape;
  const N = C === 0 ? 0 : size(h.shape) / C;
  const { rows, tgt } = validRows(backend, targets);
  return { backend, hasBias, grad, h, table, bias, V, C, N, rows, tgt, M: rows.length };
}

/** Floats the native forward saves under a tape: dh [N*C] | dt [V*C] | db [V]. */
const savedSize = (N: number, V: number, C: number, hasBias: boolean) => N * C + V * C + (hasBias ? V : 0);

/** Native: loss and (when attrs.grad) the gradients in one call; saved = [dh | dt | db] flat. */
function vocabCEFused(asm: AsmInstance, args: Args): TI[] {
  const { backend, hasBias, grad, h, table, bias, V, C, N, rows, tgt, M } = headInputs(args);
  const loss = backend.makeOutput([], 'float32');
  const saved = backend.makeOutput([grad ? savedSize(N, V, C, hasBias) : 0], 'float32');
  const sc = new Scratch(backend);
  try {
    const tp = sc.floats(Math.max(1, M));
    const hc = compactRows(asm, sc, offsetOf(backend, h), N, C, rows);
    const base = offsetOf(backend, saved);
    const dh = grad ? (M === N ? base : sc.floats(Math.max(1, M * C))) : 0;
    const dt = grad ? base + 4 * N * C : 0;
    const db = grad && hasBias ? dt + 4 * V * C : 0;
    i32(backend, tp, M).set(tgt);
    let value = 0;
    const bp = hasBias ? offsetOf(backend, bias) : 0;
    if (M > 0 && V > 0)
      value = asm.exports.vocabCE!(hc, offsetOf(backend, table), bp, tp, 1, M, V, C, dh, dt, db);
    else if (grad) f32(backend, base, savedSize(N, V, C, hasBias)).fill(0);
    if (grad && M > 0 && M !== N) scatterRows(backend, base, dh, rows, N, C);
    f32(backend, offsetOf(backend, loss), 1)[0] = value;
  } finally {
    sc.free();
  }
  return [loss, saved];
}

/** Native backward: the forward's gradients at dy = 1, copied out (times dy). */
function vocabCEFusedBwd(backend: WasmBackendInternals, args: Args): TI[] {
  const { h, table, logits: saved, dy } = args.inputs as Record<string, TI>;
  const { hasBias } = args.attrs as unknown as VocabCEAttrs;
  const [V, C] = table.shape;
  const N = C === 0 ? 0 : size(h.shape) / C;
  const want = savedSize(N, V, C, hasBias);
  if (size(saved.shape) !== want)
    throw new Error('vocabCrossEntropy: the forward ran without a gradient tape, so it saved no gradient');
  const outs = [backend.makeOutput(h.shape, 'float32'), backend.makeOutput(table.shape, 'float32')];
  if (hasBias) outs.push(backend.makeOutput([V], 'float32'));
  const g = f32(backend, offsetOf(backend, dy), 1)[0];
  const src = f32(backend, offsetOf(backend, saved), want);
  let at = 0;
  for (const o of outs) {
    const n = size(o.shape);
    const out = f32(backend, offsetOf(backend, o), n);
    const part = src.subarray(at, at + n);
    if (g === 1) out.set(part);
    else for (let i = 0; i < n; i++) out[i] = g * part[i];
    at += n;
  }
  return outs;
}

function vocabCEFwd(asm: AsmInstance) {
  return (args: Args): TI[] => {
    if (asm.exports.vocabCE) return vocabCEFused(asm, args);
    const { backend, hasBias, h, table, bias, V, C, N, rows, tgt, M } = headInputs(args);
    const loss = backend.makeOutput([], 'float32');
    const logits = backend.makeOutput([M, V], 'float32');
    const sc = new Scratch(backend);
    try {
      const tp = sc.floats(Math.max(1, M));
      const work = sc.floats(64);
      const hc = compactRows(asm, sc, offsetOf(backend, h), N, C, rows);
      i32(backend, tp, M).set(tgt);
      const lo = offsetOf(backend, logits);
      let value = 0;
      if (M > 0 && V > 0) {
        if (hasBias) asm.exports.broadcastRows(offsetOf(backend, bias), lo, M, V);
        if (C > 0)
          asm.sgemm(1, M, V, C, hc, C, 1, 0, offsetOf(backend, table), 1, C, 0, lo, V, 0, hasBias ? 1 : 0);
        else if (!hasBias) f32(backend, lo, M * V).fill(0);
        const grad = asm.exports.crossEntropyGrad;
        value = grad ? grad(lo, tp, 1, M, V, lo) : asm.exports.crossEntropyFwd(lo, tp, 1, M, V, work);
      }
      f32(backend, offsetOf(backend, loss), 1)[0] = value;
    } finally {
      sc.free();
    }
    return [loss, logits];
  };
}

function vocabCEBwd(asm: AsmInstance) {
  return (args: Args): TI[] => {
    const backend = args.backend as WasmBackendInternals;
    if (asm.exports.vocabCE) return vocabCEFusedBwd(backend, args);
    const { h, table, targets, logits, dy } = args.inputs as Record<string, TI>;
    const { hasBias } = args.attrs as unknown as { hasBias: boolean };
    const [V, C] = table.shape;
    const N = C === 0 ? 0 : size(h.shape) / C;
    const dh = backend.makeOutput(h.shape, 'float32');
    const dt = backend.makeOutput(table.shape, 'float32');
    const db = hasBias ? backend.makeOutput([V], 'float32') : null;
    const { rows, tgt } = validRows(backend, targets);
    const M = rows.length;
    const sc = new Scratch(backend);
    try {
      const tp = sc.floats(Math.max(1, M));
      const work = sc.floats(Math.max(64, 2 * V + 4));
      const g = f32(backend, offsetOf(backend, dy), 1)[0];
      // The forward saved dl at dy = 1 (native) or the logits (wasm).
      const saved = !!asm.exports.crossEntropyGrad;
      const dl = saved && g === 1 ? offsetOf(backend, logits) : sc.floats(Math.max(1, M * V));
      const hc = compactRows(asm, sc, offsetOf(backend, h), N, C, rows);
      const dhc = M === N ? offsetOf(backend, dh) : sc.floats(Math.max(1, M * C));
      i32(backend, tp, M).set(tgt);
      const dto = offsetOf(backend, dt);
      if (M > 0 && V > 0) {
        if (!saved) asm.exports.crossEntropyBwd(offsetOf(backend, logits), tp, 1, M, V, g, dl, work);
        else if (g !== 1) {
          const src = f32(backend, offsetOf(backend, logits), M * V);
          const out = f32(backend, dl, M * V);
          for (let i = 0; i < M * V; i++) out[i] = g * src[i];
        }
      }
      if (M > 0 && C > 0) {
        if (V > 0) asm.sgemm(1, M, C, V, dl, V, 1, 0, offsetOf(backend, table), C, 1, 0, dhc, C, 0, 0);
        else f32(backend, dhc, M * C).fill(0);
      }
      if (V * C > 0) {
        if (M > 0) asm.sgemm(1, V, C, M, dl, 1, V, 0, hc, C, 1, 0, dto, C, 0, 0);
        else f32(backend, dto, V * C).fill(0);
      }
      if (db && V > 0) {
        if (M > 0) asm.exports.colSum(dl, offsetOf(backend, db), M, V, work);
        else f32(backend, offsetOf(backend, db), V).fill(0);
      }
      if (M !== N) scatterRows(backend, offsetOf(backend, dh), dhc, rows, N, C);
    } finally {
      sc.free();
    }
    return db ? [dh, dt, db] : [dh, dt];
  };
}

/** Attributes of one AdamW step over n parameters (decays[i]: weight decay of parameter i). */
export interface AdamWAllAttrs {
  n: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  bc1: number;
  bc2Sqrt: number;
  gradClip: number;
  decays: number[];
}

function adamwAll(asm: AsmInstance) {
  return (args: Args): TI[] => {
    const backend = args.backend as WasmBackendInternals;
    const inputs = args.inputs as Record<string, TI>;
    const a = args.attrs as unknown as AdamWAllAttrs;
    const norm = backend.makeOutput([], 'float32');
    const outs: TI[][] = [[], [], []];
    for (let i = 0; i < a.n; i++)
      for (let j = 0; j < 3; j++) outs[j].push(backend.makeOutput(inputs[`p${i}`].shape, 'float32'));
    const sc = new Scratch(backend);
    try {
      const clipPtr = sc.floats(1);
      // Global norm and clip coefficient in float32, as the composite path computes them.
      let total = 0;
      for (let i = 0; i < a.n; i++) {
        const g = inputs[`g${i}`];
        const n = size(g.shape);
        if (n > 0) total += asm.exports.sumSquares(offsetOf(backend, g), n);
      }
      const fr = Math.fround;
      const nrm = fr(Math.sqrt(fr(total)));
      f32(backend, offsetOf(backend, norm), 1)[0] = nrm;
      const clip = a.gradClip > 0 ? Math.min(1, fr(fr(a.gradClip) / fr(nrm + fr(1e-6)))) : 1;
      f32(backend, clipPtr, 1)[0] = clip;
      for (let i = 0; i < a.n; i++) {
        const p = inputs[`p${i}`];
        const n = size(p.shape);
        if (n === 0) continue;
        const ptrs = [
          p,
          inputs[`m${i}`],
          inputs[`v${i}`],
          inputs[`g${i}`],
          outs[0][i],
          outs[1][i],
          outs[2][i],
        ];
        adamwOne(
          asm,
          ptrs.map((t) => offsetOf(backend, t)) as AdamWPtrs,
          a.gradClip > 0 ? clipPtr : 0,
          n,
          a,
          a.decays[i],
        );
      }
    } finally {
      sc.free();
    }
    return [norm, ...outs[0], ...outs[1], ...outs[2]];
  };
}

export const headOptimKernels = { vocabCEFwd, vocabCEBwd, adamwAll };
