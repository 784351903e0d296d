/**
 * A linear probe: multinomial logistic regression on frozen features (standardised with the
 * training set's mean and deviation), full-batch Adam with an L2 penalty, no randomness, so a
 * given feature matrix always gives the same probe. The frozen-encoder evaluation beside full
 * fine-tuning (as in SentEval and ELECTRA's / BERT's feature-based experiments).
 */
import * as tf from '@tensorflow/tfjs';

export interface ProbeOptions {
  classes: number;
  steps?: number;
  lr?: number;
  l2?: number;
}

export interface ProbeResult {
  /** Predicted class per test row. */
  predicted: Int32Array;
  trainLoss: number;
}

/** features: rows x dim, row-major. */
export function linearProbe(
  train: { features: Float32Array; labels: Int32Array },
  test: Float32Array,
  dim: number,
  opts: ProbeOptions,
): ProbeResult {
  const n = train.labels.length;
  const m = test.length / dim;
  if (train.features.length !== n * dim)
    throw new Error(`linearProbe: ${train.features.length} values for ${n} x ${dim}`);
  const mu = new Float64Array(dim);
  const sd = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let c = 0; c < dim; c++) mu[c] += train.features[i * dim + c] / n;
  for (let i = 0; i < n; i++)
    for (let c = 0; c < dim; c++) sd[c] += (train.features[i * dim + c] - mu[c]) ** 2 / n;
  const z = (x: Float32Array) => {
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = (x[i] - mu[i % dim]) / Math.sqrt(sd[i % dim] + 1e-6);
    return out;
  };
  const K = opts.classes;
  const steps = opts.steps ?? 300;
  const l2 = opts.l2 ?? 1e-3;
  const xTrain = tf.tensor2d(z(train.features), [n, dim]);
  const xTest = tf.tensor2d(z(test), [m, dim]);
  const y = tf.oneHot(tf.tensor1d(train.labels, 'int32'), K);
  const w = tf.variable(tf.zeros([dim, K]));
  const b = tf.variable(tf.zeros([K]));
  const opt = tf.train.adam(opts.lr ?? 0.05);
  let last = Number.NaN;
  for (let s = 0; s < steps; s++) {
    const loss = opt.minimize(
      () =>
        tf.add(
          tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(xTrain, w), b)),
          tf.mul(l2, tf.sum(tf.square(w))),
        ) as tf.Scalar,
      s === steps - 1,
    );
    if (loss) {
      last = loss.dataSync()[0];
      loss.dispose();
    }
  }
  const pred = tf.tidy(() => tf.argMax(tf.add(tf.matMul(xTest, w), b), -1));
  const predicted = Int32Array.from(pred.dataSync());
  tf.dispose([pred, xTrain, xTest, y, w, b]);
  opt.dispose();
  return { predicted, trainLoss: last };
}
