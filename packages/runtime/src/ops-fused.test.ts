/**
 * The block ops (attentionCore, residualLayerNorm, linear, embed, vocabCrossEntropy) and the
 * older layerNorm, gelu, crossEntropy and T5's rmsNorm pinned against PyTorch (fixture from
 * tools/reference/fused_ops.py; its `notes` give each op's exact semantics). Per case: every
 * forward output, and the gradient with respect to every float input in `wrt` of
 * loss = sum_o sum(output_o * dy_o) with the fixture's fixed random dy (for a scalar op, the
 * output itself), through tf.variableGrads.
 *
 * Every kernel set that loads runs every case, in this order: 'wasm' (tfjs-wasm with the
 * AssemblyScript kernels), 'native' (tfjs-wasm with the C++ addon; skipped with a printed reason
 * when the addon is not built, unless PRETRAIN_LAB_REQUIRE_NATIVE=1, which makes that a failure),
 * then 'cpu' (tfjs-cpu: the composite reference forms in blocks.ts / ops.ts).
 *
 * Tolerance (float32 against a float64 reference rounded to float32), per output and per
 * gradient tensor: max_i |got_i - ref_i| <= ATOL + RTOL * max_i |ref_i|, with ATOL = 1e-6 and
 * RTOL = 1e-4. Shapes must match exactly. A gradient tfjs reports as absent (the loss does not
 * reach that input, e.g. gamma when only `sum` is used) counts as zeros.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, ops, UserError } from './index.js';

const ATOL = 1e-6;
const RTOL = 1e-4;

interface Flat {
  shape: number[];
  data: number[];
}
interface Input extends Flat {
  dtype: 'float32' | 'int32';
}
type OpName =
  | 'attentionCore'
  | 'residualLayerNorm'
  | 'linear'
  | 'embed'
  | 'vocabCrossEntropy'
  | 'layerNorm'
  | 'gelu'
  | 'crossEntropy'
  | 'rmsNorm';
interface Case {
  op: OpName;
  name: string;
  attrs: {
    numHeads?: number;
    causal?: boolean;
    scale?: number;
    eps?: number;
    activation?: 'gelu' | 'relu';
  };
  inputs: Record<string, Input>;
  wrt: string[];
  /** Output name -> upstream gradient; null: scalar op, loss = its output. */
  dy: Record<string, Flat> | null;
  outputs: Record<string, Flat>;
  grads: Record<string, Flat>;
}
interface Fixture {
  notes: string[];
  cases: Case[];
}

const here = path.dirname(fileURLToPath(import.meta.url));
const fx = JSON.parse(fs.readFileSync(path.join(here, 'fixtures', 'fused-ops.json'), 'utf8')) as Fixture;

type Tensors = Record<string, tf.Tensor>;
/** Each op called exactly as model code calls it; returns its outputs by the fixture's names. */
const RUN: Record<OpName, (c: Case, t: Tensors) => Tensors> = {
  attentionCore: (c, t) => {
    const inputs: ops.AttentionInputs = t.qkv
      ? { qkv: t.qkv as tf.Tensor3D }
      : t.kv
        ? { q: t.q as tf.Tensor3D, kv: t.kv as tf.Tensor3D }
        : { q: t.q as tf.Tensor3D, k: t.k as tf.Tensor3D, v: t.v as tf.Tensor3D };
    const opts: ops.AttentionCoreOptions = { numHeads: c.attrs.numHeads!, causal: !!c.attrs.causal };
    if (t.keyPadding) opts.keyPadding = t.keyPadding as tf.Tensor2D;
    if (t.bias) opts.bias = t.bias as tf.Tensor4D;
    if (c.attrs.scale !== undefined) opts.scale = c.attrs.scale;
    return { out: ops.attentionCore(inputs, opts) };
  },
  residualLayerNorm: (c, t) => {
    const { sum, normed } = ops.residualLayerNorm(
      t.x,
      t.delta ?? null,
      t.gamma as tf.Tensor1D,
      t.beta as tf.Tensor1D,
      c.attrs.eps,
    );
    return { sum, normed };
  },
  linear: (c, t) => ({
    y: ops.linear(
      t.x,
      t.w as tf.Tensor2D,
      t.b as tf.Tensor1D | undefined,
      c.attrs.activation ? { activation: c.attrs.activation } : {},
    ),
  }),
  embed: (_c, t) => ({
    out: ops.embed(
      t.tokenTable as tf.Tensor2D,
      t.ids as tf.Tensor2D,
      (t.posTable as tf.Tensor2D | undefined) ?? null,
      (t.typeTable as tf.Tensor2D | undefined) ?? null,
      (t.typeIds as tf.Tensor2D | undefined) ?? null,
    ),
  }),
  vocabCrossEntropy: (_c, t) => ({
    loss: ops.vocabCrossEntropy(t.h, t.table as tf.Tensor2D, t.targets, t.bias as tf.Tensor1D | undefined),
  }),
  layerNorm: (c, t) => ({
    y: ops.layerNorm(t.x, t.gamma as tf.Tensor1D, t.beta as tf.Tensor1D, c.attrs.eps),
  }),
  gelu: (_c, t) => ({ y: ops.gelu(t.x) }),
  crossEntropy: (_c, t) => ({ loss: ops.crossEntropy(t.logits as tf.Tensor2D, t.targets as tf.Tensor1D) }),
  rmsNorm: (c, t) => ({ y: ops.rmsNorm(t.x, t.w as tf.Tensor1D, c.attrs.eps) }),
};

const flat = (x: tf.Tensor): Flat => ({ shape: x.shape, data: Array.from(x.dataSync()) });

/** Forward outputs and d loss / d (each wrt input) on the current backend. */
function evaluate(c: Case): { outputs: Record<string, Flat>; grads: Record<string, Flat> } {
  const consts: Tensors = {};
  const vars: Record<string, tf.Variable> = {};
  for (const [name, i] of Object.entries(c.inputs)) {
    const data = i.dtype === 'int32' ? Int32Array.from(i.data) : Float32Array.from(i.data);
    const t = tf.tensor(data, i.shape, i.dtype);
    if (c.wrt.includes(name)) {
      vars[name] = tf.variable(t, true);
      t.dispose();
    } else consts[name] = t;
  }
  const all = (): Tensors => ({ ...consts, ...vars });
  const outputs: Record<string, Flat> = {};
  const grads: Record<string, Flat> = {};
  try {
    tf.tidy(() => {
      for (const [name, y] of Object.entries(RUN[c.op](c, all()))) outputs[name] = flat(y);
    });
    tf.tidy(() => {
      const dys = c.dy
        ? Object.entries(c.dy).map(
            ([name, d]) => [name, tf.tensor(Float32Array.from(d.data), d.shape)] as const,
          )
        : null;
      const loss = (): tf.Scalar => {
        const out = RUN[c.op](c, all());
        if (!dys) {
          const values = Object.values(out);
          if (values.length !== 1 || values[0].rank !== 0)
            throw new Error(`${c.op}: dy is null but the op is not scalar`);
          return values[0] as tf.Scalar;
        }
        return tf.addN(dys.map(([name, dy]) => tf.sum(tf.mul(out[name], dy)))) as tf.Scalar;
      };
      const g = tf.variableGrads(loss, Object.values(vars)).grads;
      for (const name of c.wrt) {
        const v = vars[name];
        const gi = g[v.name];
        grads[name] = gi ? flat(gi) : { shape: v.shape, data: new Array<number>(v.size).fill(0) };
      }
    });
  } finally {
    tf.dispose([...Object.values(consts), ...Object.values(vars)]);
  }
  return { outputs, grads };
}

/** A failure message when got differs from ref beyond the tolerance, else null. */
function mismatch(label: string, got: Flat | undefined, ref: Flat): string | null {
  if (!got) return `${label}: missing`;
  if (got.shape.join(',') !== ref.shape.join(','))
    return `${label}: shape [${got.shape}] != reference [${ref.shape}]`;
  let err = 0;
  let at = -1;
  let maxRef = 0;
  for (let i = 0; i < ref.data.length; i++) {
    const r = Math.fround(ref.data[i]);
    const e = Math.abs(got.data[i] - r);
    maxRef = Math.max(maxRef, Math.abs(r));
    if (!(e <= err)) {
      err = Number.isNaN(e) ? Infinity : e;
      at = i;
    }
  }
  const bound = ATOL + RTOL * maxRef;
  if (err <= bound) return null;
  return `${label}: max |got - ref| = ${err.toExponential(3)} at [${at}] (got ${got.data[at]}, ref ${ref.data[at]}) > ${bound.toExponential(3)} = ${ATOL} + ${RTOL} * max|ref| (${maxRef.toPrecision(4)})`;
}

const OP_ORDER: OpName[] = [
  'attentionCore',
  'residualLayerNorm',
  'linear',
  'embed',
  'vocabCrossEntropy',
  'layerNorm',
  'gelu',
  'crossEntropy',
  'rmsNorm',
];

it('the fixture has cases for every op, with unique names', () => {
  for (const op of OP_ORDER)
    expect(
      fx.cases.some((c) => c.op === op),
      op,
    ).toBe(true);
  const names = fx.cases.map((c) => `${c.op} ${c.name}`);
  expect(new Set(names).size).toBe(names.length);
  for (const c of fx.cases) {
    expect(Object.keys(c.grads).sort(), c.name).toEqual([...c.wrt].sort());
    for (const n of c.wrt) expect(c.inputs[n].dtype, `${c.name} ${n}`).toBe('float32');
  }
});

const KERNEL_SETS = ['wasm', 'native', 'cpu'] as const;

describe.each(KERNEL_SETS)('fused ops vs PyTorch on kernel set %s', (set) => {
  let skipReason: string | null = null;
  beforeAll(async () => {
    try {
      const info = await initBackend(set);
      expect(info.name).toBe(set);
      expect(info.customKernels).toBe(set !== 'cpu');
    } catch (e) {
      if (set !== 'native' || !(e instanceof UserError) || process.env.PRETRAIN_LAB_REQUIRE_NATIVE === '1')
        throw e;
      skipReason = `native kernels not available: ${e.message}`;
      console.warn(`ops-fused.test.ts: skipping the native kernel set (${skipReason})`);
    }
  });

  describe.each(OP_ORDER)('%s', (op) => {
    for (const c of fx.cases.filter((x) => x.op === op)) {
      it(c.name, (ctx) => {
        if (skipReason) ctx.skip(skipReason);
        expect(tf.getBackend()).toBe(set === 'cpu' ? 'cpu' : 'wasm');
        const got = evaluate(c);
        const failures = [
          ...Object.keys(c.outputs).map((o) => mismatch(`output ${o}`, got.outputs[o], c.outputs[o])),
          ...c.wrt.map((n) => mismatch(`d loss / d ${n}`, got.grads[n], c.grads[n])),
        ].filter((m): m is string => m !== null);
        expect(failures).toEqual([]);
      });
    }
  });
});
