/**
 * Named parameters. Every trainable tensor lives in one ParamStore under a dotted name
 * (Hugging Face layout, e.g. `transformer.h.0.attn.c_attn.weight`), so checkpoints, export and
 * the PyTorch parity tests all address weights the same way. Initial values come from our
 * seeded Rng, never from tfjs's own initialisers, so a seed means the same weights everywhere.
 */

import type { Rng } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';

export type Init = { kind: 'normal'; std: number } | { kind: 'zeros' } | { kind: 'ones' };

let storeCounter = 0;

export class ParamStore {
  /** tfjs registers variables by a process-wide unique name; ours are per-model, so suffix them. */
  private readonly uid = `#${++storeCounter}`;
  readonly vars = new Map<string, tf.Variable>();
  /** Names excluded from weight decay (biases, norms), as nanoGPT's optimizer groups. */
  readonly noDecay = new Set<string>();

  constructor(private readonly rng: Rng) {}

  create(name: string, shape: number[], init: Init, opts: { decay?: boolean } = {}): tf.Variable {
    if (this.vars.has(name)) throw new Error(`parameter '${name}' created twice`);
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (init.kind === 'normal') for (let i = 0; i < size; i++) data[i] = init.std * this.rng.normal();
    else if (init.kind === 'ones') data.fill(1);
    const initial = tf.tensor(data, shape, 'float32');
    const v = tf.variable(initial, true, name + this.uid);
    initial.dispose(); // the variable holds its own reference to the data

    this.vars.set(name, v);
    if (opts.decay === false || shape.length < 2) this.noDecay.add(name);
    return v;
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no parameter named '${name}'`);
    return v;
  }

  /** Our name for a tfjs variable name (as keyed by tf.variableGrads). */
  nameOf(tfName: string): string {
    return tfName.endsWith(this.uid) ? tfName.slice(0, -this.uid.length) : tfName;
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  /** Replace every value (shapes must match); used by checkpoints and parity tests. */
  assign(values: Record<string, Float32Array>): void {
    for (const [name, v] of this.vars) {
      const data = values[name];
      if (!data) throw new Error(`missing parameter '${name}'`);
      if (data.length !== v.size)
        throw new Error(`parameter '${name}': expected ${v.size} values, got ${data.length}`);
      tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')));
    }
  }

  /** Current values as plain arrays, in creation order. */
  async snapshot(): Promise<Record<string, { shape: number[]; data: Float32Array }>> {
    const out: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [name, v] of this.vars)
      out[name] = { shape: v.shape.slice(), data: (await v.data()) as Float32Array };
    return out;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
