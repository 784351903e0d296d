/**
 * Registers the fused block kernels (blocks.ts, head-optim.ts) on tfjs-wasm for one kernel set,
 * and their gradients once. Each gradient runs ONE backward kernel that returns every input's
 * gradient; it runs in the gradient function's body (the backward pass's scope disposes what
 * is not used) rather than in the per-input closures, whose tidy would dispose the siblings.
 * All kernels save all their inputs (`saveAllInputs`), in the key order the ops build them.
 */
import * as tf from '@tensorflow/tfjs';
import type { AsmInstance } from './asm-module.js';
import { attentionKernels } from './attention-core.js';
import { BK, blockKernels, inputNames } from './blocks.js';
import { registerOnWasm } from './fused.js';
import { headOptimKernels } from './head-optim.js';

/** Runs a kernel; its outputs as an array (runKernel returns a lone tensor for one output). */
function run(name: string, inputs: tf.NamedTensorMap, attrs: object = {}): tf.Tensor[] {
  const out = tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as
    | tf.Tensor
    | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}

/** Gradients by name -> by input index (the forward kernels take array inputs). */
function byIndex(g: Record<string, () => tf.Tensor>, names: string[]): Record<string, () => tf.Tensor> {
  const out: Record<string, () => tf.Tensor> = {};
  names.forEach((n, i) => {
    out[String(i)] = g[n];
  });
  return out;
}

/** The gradient of a kernel's first output: a lone dy, or the first of several. */
const first = (dys: tf.Tensor | tf.Tensor[]): tf.Tensor => (Array.isArray(dys) ? dys[0] : dys);

/** Gradient stand-in for inputs no loss can depend on (ids, masks). */
const zeros = (t: tf.Tensor) => () => tf.zeros(t.shape);

let gradientsRegistered = false;
function registerGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  tf.registerGradient({
    kernelName: BK.attn,
    saveAllInputs: true,
    outputsToSave: [false, true],
    gradFunc: (dys, saved, attrs) => {
      const a = attrs as unknown as { mode: string; hasBias: boolean; hasPad: boolean; hasDrop: boolean };
      const names = inputNames.attn(a);
      const byName: tf.NamedTensorMap = {};
      names.forEach((n, i) => {
        byName[n] = saved[i];
      });
      const probs = saved[names.length];
      const dy = first(dys);
      const srcs = names.filter((n) => n !== 'bias' && n !== 'keyPadding' && n !== 'dropMask');
      const inputs: tf.NamedTensorMap = { probs, dy };
      if (a.hasDrop) inputs.dropMask = byName.dropMask;
      if (a.hasBias) inputs.bias = byName.bias; // its shape sets the bias gradient's
      for (const n of srcs) inputs[n] = byName[n];
      const outs = run(BK.attnGrad, inputs, attrs);
      const g: Record<string, () => tf.Tensor> = {};
      srcs.forEach((n, i) => {
        g[n] = () => outs[i];
      });
      if (a.hasBias) g.bias = () => outs[srcs.length];
      if (a.hasPad) g.keyPadding = zeros(byName.keyPadding);
      if (a.hasDrop) g.dropMask = zeros(byName.dropMask);
      return byIndex(g, names);
    },
  });
  tf.registerGradient({
    kernelName: BK.linear,
    saveAllInputs: true,
    outputsToSave: [false, true],
    gradFunc: (dys, saved, attrs) => {
      const a = attrs as unknown as { act: string; hasBias: boolean };
      const [x, w] = saved;
      const u = a.act !== 'none' ? saved[a.hasBias ? 3 : 2] : undefined;
      const dy = first(dys);
      const outs = run(BK.linearGrad, u ? { x, w, dy, u } : { x, w, dy }, attrs);
      const g: Record<string, () => tf.Tensor> = { x: () => outs[0], w: () => outs[1] };
      if (a.hasBias) g.b = () => outs[2];
      return byIndex(g, inputNames.linear(a));
    },
  });
  tf.registerGradient({
    kernelName: BK.addNorm,
    saveAllInputs: true,
    outputsToSave: [true, false],
    gradFunc: (dys, saved, attrs) => {
      const [dSum, dNormed] = dys as tf.Tensor[]; // tfjs passes zeros for an output no loss uses
      const gamma = saved[2];
      const sum = saved[4];
      const inputs: tf.NamedTensorMap = { sum, gamma };
      if (dNormed) inputs.dNormed = dNormed;
      if (dSum) inputs.dSum = dSum;
      const [dx, dg, db] = run(BK.addNormGrad, inputs, attrs);
      const g = { x: () => dx, delta: () => tf.clone(dx), gamma: () => dg, beta: () => db };
      return byIndex(g, inputNames.addNorm());
    },
  });
  tf.registerGradient({
    kernelName: BK.embed,
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const a = attrs as unknown as { hasPos: boolean; hasType: boolean };
      const [table, ids] = saved;
      let i = 2;
      const pos = a.hasPos ? saved[i++] : null;
      const typeTable = a.hasType ? saved[i++] : null;
      const typeIds = a.hasType ? saved[i++] : null;
      const inputs: tf.NamedTensorMap = { ids, dy: dy as tf.Tensor };
      if (typeIds) inputs.typeIds = typeIds;
      const outs = run(BK.embedGrad, inputs, {
        V: table.shape[0],
        P: pos ? pos.shape[0] : 0,
        G: typeTable ? typeTable.shape[0] : 0,
      });
      const g: Record<string, () => tf.Tensor> = { table: () => outs[0], ids: zeros(ids) };
      let j = 1;
      if (pos) {
        const dp = outs[j++];
        g.pos = () => dp;
      }
      if (typeTable && typeIds) {
        const dt = outs[j++];
        g.typeTable = () => dt;
        g.typeIds = zeros(typeIds);
      }
      return byIndex(g, inputNames.embed(a));
    },
  });
  tf.registerGradient({
    kernelName: BK.vocabCE,
    saveAllInputs: true,
    outputsToSave: [false, true],
    gradFunc: (dys, saved, attrs) => {
      const a = attrs as unknown as { hasBias: boolean };
      const [h, table, targets] = saved;
      const logits = saved[a.hasBias ? 4 : 3];
      const dy = first(dys);
      const outs = run(BK.vocabCEGrad, { h, table, targets, logits, dy }, attrs);
      const g: Record<string, () => tf.Tensor> = {
        h: () => outs[0],
        table: () => outs[1],
        targets: zeros(targets),
      };
      if (a.hasBias) g.bias = () => outs[2];
      return byIndex(g, inputNames.vocabCE(a));
    },
  });
}

/** Registers every fused block kernel on the wasm backend for this kernel set; returns their names. */
export function registerBlockKernels(asm: AsmInstance, add: tf.KernelFunc, mul: tf.KernelFunc): string[] {
  const b = blockKernels;
  const h = headOptimKernels;
  const kernels: Array<[string, tf.KernelFunc]> = [
    [BK.attn, attentionKernels.attnFwd(asm, mul) as unknown as tf.KernelFunc],
    [BK.attnGrad, attentionKernels.attnBwd(asm, mul) as unknown as tf.KernelFunc],
    [BK.linear, b.linearFwd(asm) as unknown as tf.KernelFunc],
    [BK.linearGrad, b.linearBwd(asm) as unknown as tf.KernelFunc],
    [BK.addNorm, b.addNormFwd(asm, add) as unknown as tf.KernelFunc],
    [BK.addNormGrad, b.addNormBwd(asm, add) as unknown as tf.KernelFunc],
    [BK.embed, b.embedFwd() as unknown as tf.KernelFunc],
    [BK.embedGrad, b.embedBwd() as unknown as tf.KernelFunc],
    [BK.vocabCE, h.vocabCEFwd(asm) as unknown as tf.KernelFunc],
    [BK.vocabCEGrad, h.vocabCEBwd(asm) as unknown as tf.KernelFunc],
    [BK.adamwAll, h.adamwAll(asm) as unknown as tf.KernelFunc],
  ];
  registerOnWasm(kernels);
  registerGradients();
  return kernels.map(([n]) => n);
}

/** True when the fused block kernels may be used: wasm is active and they are registered. */
export function blocksActive(): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(BK.attn, 'wasm') !== undefined;
}

/**
 * Runs a forward block kernel whose outputs after the first `visible` are internals saved for
 * its gradient (attention probabilities, the pre-activation, the logits). Those are dropped
 * from the tape node, so the backward pass does not allocate zero gradients for them (tfjs
 * fills every output without a gradient with zeros), and disposed here: the gradient reads the
 * copies the engine saved. Engine internals (`state.activeTape`), pinned with tfjs 4.22.0; if
 * they differ the step is only slower, never wrong.
 */
export function runBlock(name: string, inputs: tf.Tensor[], attrs: object, visible = 1): tf.Tensor[] {
  const outs = run(name, inputs as unknown as tf.NamedTensorMap, attrs);
  if (outs.length <= visible) return outs;
  const tape = (
    tf.engine() as unknown as {
      state: { activeTape: Array<{ kernelName: string; outputs: tf.Tensor[] }> | null };
    }
  ).state.activeTape;
  const node = tape && tape.length > 0 ? tape[tape.length - 1] : null;
  if (node && node.kernelName === name && node.outputs.length === outs.length && node.outputs[0] === outs[0])
    node.outputs = node.outputs.slice(0, visible);
  for (const t of outs.slice(visible)) t.dispose();
  return outs.slice(0, visible);
}
