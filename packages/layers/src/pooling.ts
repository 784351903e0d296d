/** Mean pooling over the real (unmasked) positions of a sequence: sentence features for probes. */
import * as tf from '@tensorflow/tfjs';

/** h [B, T, C], mask [B, T] (1 = real token) -> [B, C]: the mean of h over each row's real positions. */
export function maskedMean(h: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const w = tf.expandDims(tf.cast(mask, 'float32'), -1); // [B, T, 1]
    return tf.div(tf.sum(tf.mul(h, w), 1), tf.sum(w, 1)) as tf.Tensor2D; // [B, C]
  });
}
