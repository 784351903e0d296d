import { Rng } from '@pretrain-lab/runtime/rng';
import { CorpusError } from './errors.js';
import type { PackedSequences } from './pack.js';

/**
 * Seeded batches over packed sequences. Epoch e visits the sequences in the order of a permutation
 * drawn from Rng.derive(seed, 'batches/epoch' + e), B at a time; the last partial batch of an
 * epoch is dropped (so every batch has the same shape) and the next epoch starts. The whole state
 * is { epoch, offset }, so a checkpoint that saves getPosition() resumes with the same batches.
 */

export interface Batch {
  inputs: Int32Array; // [B, T] row-major
  targets: Int32Array; // [B, T], inputs shifted left by one
  batchSize: number;
  seqLen: number;
  epoch: number;
  /** Index in this epoch's order of the batch's first sequence (for eval: in sequence order). */
  position: number;
}

export interface BatchPosition {
  epoch: number;
  offset: number;
}

export interface BatchStreamOptions {
  batchSize: number;
  seed: number;
}

/** Copies rows `indices` of packed into inputs/targets. */
function gather(
  packed: PackedSequences,
  indices: ArrayLike<number>,
  start: number,
  rows: number,
): { inputs: Int32Array; targets: Int32Array } {
  const T = packed.seqLen;
  const width = T + 1;
  const inputs = new Int32Array(rows * T);
  const targets = new Int32Array(rows * T);
  for (let b = 0; b < rows; b++) {
    const row = indices[start + b] * width;
    inputs.set(packed.data.subarray(row, row + T), b * T);
    targets.set(packed.data.subarray(row + 1, row + width), b * T);
  }
  return { inputs, targets };
}

/**
 * A seeded, resumable order over `count` items, `batchSize` at a time: epoch e visits them in
 * the permutation drawn from Rng.derive(seed, 'batches/epoch' + e); the last partial batch of
 * an epoch is dropped. The state is { epoch, offset }. Used for packed sequences (BatchStream)
 * and for any list of prepared examples (BERT inputs, task examples).
 */
export class IndexStream {
  /** Full batches per epoch (the remainder is dropped). */
  readonly batchesPerEpoch: number;
  private epoch = 0;
  private offset = 0;
  private order: Int32Array | null = null;
  private orderEpoch = -1;

  constructor(
    readonly count: number,
    readonly batchSize: number,
    readonly seed: number,
    what = 'items',
  ) {
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
    if (count < batchSize) {
      throw new CorpusError(
        `only ${count} ${what} for batch size ${batchSize}; use more data or a smaller batch`,
      );
    }
    this.batchesPerEpoch = Math.floor(count / batchSize);
  }

  /** The permutation of indices for an epoch (cached for the current one). */
  epochOrder(epoch: number): Int32Array {
    if (this.orderEpoch !== epoch || this.order === null) {
      this.order = Rng.derive(this.seed, `batches/epoch${epoch}`).permutation(this.count);
      this.orderEpoch = epoch;
    }
    return this.order;
  }

  next(): { indices: Int32Array; epoch: number; offset: number } {
    if (this.offset + this.batchSize > this.count) {
      this.epoch++;
      this.offset = 0;
    }
    const { epoch, offset } = this;
    const indices = this.epochOrder(epoch).slice(offset, offset + this.batchSize);
    this.offset += this.batchSize;
    return { indices, epoch, offset };
  }

  /** Where the next batch starts; JSON-able. */
  getPosition(): BatchPosition {
    return { epoch: this.epoch, offset: this.offset };
  }

  setPosition(position: BatchPosition): void {
    const { epoch, offset } = position ?? ({} as BatchPosition);
    if (
      !Number.isInteger(epoch) ||
      epoch < 0 ||
      !Number.isInteger(offset) ||
      offset < 0 ||
      offset > this.count
    ) {
      throw new Error(`invalid position ${JSON.stringify(position)} for ${this.count} items`);
    }
    this.epoch = epoch;
    this.offset = offset;
  }
}

export class BatchStream {
  readonly batchSize: number;
  readonly seed: number;
  /** Full batches per epoch (the remainder is dropped). */
  readonly batchesPerEpoch: number;
  private readonly order: IndexStream;

  constructor(
    private readonly packed: PackedSequences,
    options: BatchStreamOptions,
  ) {
    const { batchSize, seed } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`BatchStream: batchSize must be a positive integer, got ${batchSize}`);
    if (packed.count < batchSize) {
      throw new CorpusError(
        `BatchStream: only ${packed.count} sequences of length ${packed.seqLen} for batch size ${batchSize}; use a larger corpus, a shorter seqLen or a smaller batch`,
      );
    }
    this.batchSize = batchSize;
    this.seed = seed;
    this.order = new IndexStream(packed.count, batchSize, seed, 'sequences');
    this.batchesPerEpoch = this.order.batchesPerEpoch;
  }

  /** The permutation of sequence indices for an epoch (cached for the current one). */
  epochOrder(epoch: number): Int32Array {
    return this.order.epochOrder(epoch);
  }

  next(): Batch {
    const { indices, epoch, offset } = this.order.next();
    const { inputs, targets } = gather(this.packed, indices, 0, this.batchSize);
    return {
      inputs,
      targets,
      batchSize: this.batchSize,
      seqLen: this.packed.seqLen,
      epoch,
      position: offset,
    };
  }

  /** Where the next batch starts; JSON-able. */
  getPosition(): BatchPosition {
    return this.order.getPosition();
  }

  setPosition(position: BatchPosition): void {
    try {
      this.order.setPosition(position);
    } catch (e) {
      throw new Error(`BatchStream: ${(e as Error).message.replace('items', 'sequences')}`);
    }
  }
}

/**
 * Evaluation batches in sequence order, no shuffling: the same rows every time. The last batch
 * holds the remainder (batchSize says how many rows), so every sequence is used unless maxBatches
 * cuts it short.
 */
export function evalBatches(packed: PackedSequences, batchSize: number, maxBatches = Infinity): Batch[] {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`evalBatches: batchSize must be a positive integer, got ${batchSize}`);
  const identity = new Int32Array(packed.count);
  for (let i = 0; i < packed.count; i++) identity[i] = i;
  const out: Batch[] = [];
  for (let start = 0; start < packed.count && out.length < maxBatches; start += batchSize) {
    const rows = Math.min(batchSize, packed.count - start);
    const { inputs, targets } = gather(packed, identity, start, rows);
    out.push({ inputs, targets, batchSize: rows, seqLen: packed.seqLen, epoch: 0, position: start });
  }
  return out;
}

/** A padded encoder-decoder batch, row-major [rows, inLen] and [rows, outLen]. */
export interface Seq2SeqArrays {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  labels: Int32Array;
  rows: number;
  inLen: number;
  outLen: number;
}

/**
 * Pad rows of ids to one batch: inputs with `pad` and a 0/1 mask, labels with -100 (ignored by
 * the loss). Lengths default to the batch's longest row; longer rows are cut to them.
 */
export function collateSeq2Seq(
  inputs: readonly Int32Array[],
  targets: readonly Int32Array[],
  opts: { pad: number; inLen?: number; outLen?: number },
): Seq2SeqArrays {
  const rows = inputs.length;
  const inLen = opts.inLen ?? Math.max(1, ...inputs.map((x) => x.length));
  const outLen = opts.outLen ?? Math.max(1, ...targets.map((x) => x.length));
  const inputIds = new Int32Array(rows * inLen).fill(opts.pad);
  const attentionMask = new Int32Array(rows * inLen);
  const labels = new Int32Array(rows * outLen).fill(-100);
  for (let r = 0; r < rows; r++) {
    const x = inputs[r].subarray(0, inLen);
    inputIds.set(x, r * inLen);
    attentionMask.fill(1, r * inLen, r * inLen + x.length);
    labels.set(targets[r].subarray(0, outLen), r * outLen);
  }
  return { inputIds, attentionMask, labels, rows, inLen, outLen };
}
