/**
 * AdamW with decoupled weight decay (Loshchilov & Hutter), matching torch.optim.AdamW step for
 * step: p <- p (1 - lr wd); m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2;
 * p <- p - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 * Decay applies only to parameters with two or more dimensions (nanoGPT's two groups).
 * Parameters without a gradient are left untouched, as torch does.
 * Global-norm gradient clipping as torch.nn.utils.clip_grad_norm_ (coefficient
 * maxNorm / (norm + 1e-6), clamped to 1).
 */

import { ops } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 0 disables clipping. */
  gradClip: number;
}

export const ADAMW_DEFAULTS: AdamWConfig = {
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 0.1,
  gradClip: 1.0,
};

export class AdamW {
  /** Number of updates taken so far (torch's `step`). */
  step = 0;
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();

  constructor(
    readonly params: Map<string, tf.Variable>,
    readonly noDecay: Set<string>,
    readonly cfg: AdamWConfig = ADAMW_DEFAULTS,
  ) {
    // tf.variable keeps its own reference to the initial value, which is then disposed.
    const zeros = (p: tf.Variable, tag: string) => {
      const z = tf.zerosLike(p);
      const v = tf.variable(z, false, `${p.name}/${tag}`);
      z.dispose();
      return v;
    };
    for (const [name, p] of params) {
      this.m.set(name, zeros(p, 'adam_m'));
      this.v.set(name, zeros(p, 'adam_v'));
    }
  }

  /** Global L2 norm of the gradients, as a scalar tensor (not read back, so no sync). */
  static globalNorm(grads: Map<string, tf.Tensor>): tf.Scalar {
    return tf.tidy(() => tf.sqrt(ops.sumOfSquares([...grads.values()])) as tf.Scalar);
  }

  /** Apply one update with learning rate lr. Returns the pre-clip gradient norm (a tensor the caller disposes). */
  apply(grads: Map<string, tf.Tensor>, lr: number): tf.Scalar {
    const { beta1, beta2, eps, gradClip } = this.cfg;
    this.step += 1;
    const bc1 = 1 - beta1 ** this.step;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** this.step);
    // As torch: a parameter the loss does not reach (grad None) is skipped, decay included
    // (e.g. BERT's pooler when pretraining without NSP); the norm covers the gradients given.
    const names = [...this.params.keys()].filter((n) => grads.has(n));
    const all =
      names.length !== grads.size
        ? null
        : ops.adamwUpdateAll(
            names.map((n) => this.params.get(n)!),
            names.map((n) => this.m.get(n)!),
            names.map((n) => this.v.get(n)!),
            names.map((n) => grads.get(n)!),
            {
              lr,
              beta1,
              beta2,
              eps,
              bc1,
              bc2Sqrt,
              gradClip,
              decays: names.map((n) => (this.noDecay.has(n) ? 0 : this.cfg.weightDecay)),
            },
          );
    if (all) {
      // One kernel for the whole step (norm, clip, every update) on the fused backend.
      names.forEach((n, i) => {
        this.m.get(n)!.assign(all.m[i]);
        this.v.get(n)!.assign(all.v[i]);
        this.params.get(n)!.assign(all.p[i]);
      });
      tf.dispose([...all.p, ...all.m, ...all.v]);
      return all.norm;
    }
    const norm = AdamW.globalNorm(grads);
    tf.tidy(() => {
      const clip =
        gradClip > 0 ? (tf.minimum(1, tf.div(gradClip, tf.add(norm, 1e-6))) as tf.Scalar) : undefined;
      for (const name of names) {
        const p = this.params.get(name)!;
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const weightDecay = this.noDecay.has(name) ? 0 : this.cfg.weightDecay;
        const next = ops.adamwUpdate(
          p,
          m,
          v,
          grads.get(name)!,
          { lr, beta1, beta2, eps, weightDecay, bc1, bc2Sqrt },
          clip,
        );
        m.assign(next.m);
        v.assign(next.v);
        p.assign(next.p);
      }
    });
    return norm;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
