import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { maskedMean } from './pooling.js';

describe('maskedMean', () => {
  it('averages each row over its real positions only', () => {
    const h = tf.tensor3d([
      [
        [1, 10],
        [3, 30],
        [100, 100],
      ],
      [
        [2, 4],
        [6, 8],
        [4, 0],
      ],
    ]); // [2, 3, 2]
    const mask = tf.tensor2d(
      [
        [1, 1, 0],
        [1, 1, 1],
      ],
      [2, 3],
      'int32',
    );
    expect(Array.from(maskedMean(h, mask).dataSync())).toEqual([2, 20, 4, 4]);
  });
});
