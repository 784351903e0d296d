/**
 * AdamW with decoupled weight decay (Loshchilov & Hutter), matching torch.optim.AdamW step for
 * step: p <- p (1 - lr wd); m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2;
 * p <- p - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 * Decay applies only to parameters with two or more dimensions (nanoGPT's two groups).
 * Parameters without a gradient are left untouched, as torch does.
 * Global-norm gradient clipping as torch.nn.utils.clip_grad_norm_ (coefficient
 * maxNorm / (norm + 1e-6), clamped to 1).
 */
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
    for (const [name, p] of params) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false, `${p.name}/adam_m`));
      this.v.set(name, tf.variable(tf.zerosLike(p), false, `${p.name}/adam_v`));
    }
  }

  /** Global L2 norm of the gradients, as a scalar tensor (not read back, so no sync). */
  static globalNorm(grads: Map<string, tf.Tensor>): tf.Scalar {
    return tf.tidy(() => tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
  }

  /** Apply one update with learning rate lr. Returns the pre-clip gradient norm (a tensor the caller disposes). */
  apply(grads: Map<string, tf.Tensor>, lr: number): tf.Scalar {
    const { beta1, beta2, eps, weightDecay, gradClip } = this.cfg;
    this.step += 1;
    const bc1 = 1 - beta1 ** this.step;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** this.step);
    const norm = AdamW.globalNorm(grads);
    tf.tidy(() => {
      const clip = gradClip > 0 ? tf.minimum(1, tf.div(gradClip, tf.add(norm, 1e-6))) : null;
      for (const [name, p] of this.params) {
        const gRaw = grads.get(name);
        // As torch: a parameter the loss does not reach (grad None) is skipped, decay included
        // (e.g. BERT's pooler when pretraining without NSP).
        if (!gRaw) continue;
        const g = clip ? tf.mul(gRaw, clip) : gRaw;
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const decay = this.noDecay.has(name) ? 0 : weightDecay;
        const pDecayed = decay > 0 ? tf.mul(p, 1 - lr * decay) : p;
        const mNew = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const vNew = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        const denom = tf.add(tf.div(tf.sqrt(vNew), bc2Sqrt), eps);
        m.assign(mNew);
        v.assign(vNew);
        p.assign(tf.sub(pDecayed, tf.mul(tf.div(mNew, denom), lr / bc1)));
      }
    });
    return norm;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
