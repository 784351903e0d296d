/**
 * BERT's masked language modelling corruption, as Hugging Face's DataCollatorForLanguageModeling
 * (`torch_mask_tokens`) does it: every non-special position is selected independently with
 * probability 0.15; of the selected positions 80% become [MASK], 10% a random token and 10% keep
 * their token. Labels hold the original id at selected positions and IGNORE_INDEX elsewhere.
 *
 * Pure functions on typed arrays, no tfjs. Randomness comes in as an Rng, or as (seed, sequence
 * index, draw) for the static/dynamic schedules of RoBERTa Table 1, so a sequence's mask never
 * depends on which batch it lands in or on what was masked before it.
 *
 * Two deliberate differences from HF, both switchable or harmless:
 * - random replacements are uniform over the NON-special ids (HF draws from the whole vocabulary,
 *   so it can write [CLS] or [PAD] into a sentence); a random draw may still equal the original
 *   token, as in HF and BERT, and is then reported as 'random'.
 * - `selection: 'exact'` gives BERT's create_pretraining_data / D2L rule instead of i.i.d.
 *   selection: exactly max(1, round(n * p)) positions of the n candidates, chosen uniformly.
 */
import { Rng } from '@pretrain-lab/runtime/rng';

/** Label of positions that do not count in the loss (PyTorch CrossEntropyLoss ignore_index). */
export const IGNORE_INDEX = -100;

/** What happened to a selected position. */
export type MaskTreatment = 'mask' | 'random' | 'keep';

export interface MlmOptions {
  vocabSize: number;
  /** Id of [MASK]. Never drawn as a random replacement. */
  maskId: number;
  /**
   * Special ids (CLS, SEP, PAD, MASK, UNK...): positions holding one are never selected, and
   * random replacements never produce one.
   */
  specialIds: readonly number[];
  /** Selection probability per non-special position; 0.15 as in BERT. */
  mlmProbability?: number;
  /** Share of selected positions replaced by [MASK]; 0.8. */
  maskReplaceProb?: number;
  /** Share of selected positions replaced by a random token; 0.1 (the remaining 0.1 are kept). */
  randomReplaceProb?: number;
  /**
   * 'bernoulli' (default, HF): each candidate independently with mlmProbability.
   * 'exact' (BERT's create_pretraining_data, D2L): max(1, round_half_even(n * p)) of the n
   * candidates of each sequence, uniformly without replacement.
   */
  selection?: 'bernoulli' | 'exact';
}

export interface MlmResult {
  /** Corrupted ids, same shape as the input. */
  inputs: Int32Array;
  /** Original id at selected positions, IGNORE_INDEX elsewhere. */
  labels: Int32Array;
  /** Selected flat indices, ascending. */
  positions: Int32Array;
  /** Treatment of positions[k], parallel to positions. */
  how: MaskTreatment[];
}

/** Extra inputs of maskTokens. */
export interface MaskTokensExtras {
  /** Nonzero/true marks a special position (never selected), on top of the specialIds rule. */
  specialMask?: ArrayLike<number | boolean>;
  /** Row length when ids is a flat [B * T] batch; only 'exact' selection needs it. Default ids.length. */
  seqLen?: number;
}

const MLM_KEYS = new Set([
  'vocabSize',
  'maskId',
  'specialIds',
  'mlmProbability',
  'maskReplaceProb',
  'randomReplaceProb',
  'selection',
]);

interface ResolvedMlm {
  vocabSize: number;
  maskId: number;
  special: Set<number>;
  p: number;
  maskProb: number;
  randomProb: number;
  selection: 'bernoulli' | 'exact';
}

function checkProb(name: string, value: number): void {
  if (!(value >= 0 && value <= 1)) throw new Error(`MLM option ${name} must be in [0, 1], got ${value}`);
}

function resolve(opts: MlmOptions): ResolvedMlm {
  for (const key of Object.keys(opts)) {
    if (!MLM_KEYS.has(key))
      throw new Error(`Unknown MLM option '${key}'; known: ${[...MLM_KEYS].join(', ')}`);
  }
  const { vocabSize, maskId } = opts;
  if (!Number.isInteger(vocabSize) || vocabSize < 1)
    throw new Error(`MLM vocabSize must be a positive integer, got ${vocabSize}`);
  if (!Number.isInteger(maskId) || maskId < 0 || maskId >= vocabSize) {
    throw new Error(`MLM maskId ${maskId} is outside the vocabulary [0, ${vocabSize})`);
  }
  const special = new Set<number>(opts.specialIds);
  special.add(maskId);
  let numSpecialInVocab = 0;
  for (const id of special) if (id >= 0 && id < vocabSize) numSpecialInVocab++;
  if (numSpecialInVocab >= vocabSize)
    throw new Error('MLM: every id is special, so there is nothing to draw random replacements from');
  const p = opts.mlmProbability ?? 0.15;
  const maskProb = opts.maskReplaceProb ?? 0.8;
  const randomProb = opts.randomReplaceProb ?? 0.1;
  checkProb('mlmProbability', p);
  checkProb('maskReplaceProb', maskProb);
  checkProb('randomReplaceProb', randomProb);
  if (maskProb + randomProb > 1 + 1e-12) {
    throw new Error(`MLM maskReplaceProb + randomReplaceProb must be <= 1, got ${maskProb} + ${randomProb}`);
  }
  const selection = opts.selection ?? 'bernoulli';
  if (selection !== 'bernoulli' && selection !== 'exact')
    throw new Error(`MLM selection must be 'bernoulli' or 'exact', got '${selection}'`);
  return { vocabSize, maskId, special, p, maskProb, randomProb, selection };
}

/** Python's round(): half to even, so 2.5 -> 2 (D2L's round(len(tokens) * 0.15)). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** 1 where ids[i] is one of specialIds, else 0: the tokenizer's special_tokens_mask. */
export function specialTokensMask(ids: ArrayLike<number>, specialIds: readonly number[]): Uint8Array {
  const special = new Set(specialIds);
  const out = new Uint8Array(ids.length);
  for (let i = 0; i < ids.length; i++) out[i] = special.has(ids[i]) ? 1 : 0;
  return out;
}

/** A uniform id among the non-special ids of the vocabulary (rejection: specials are few). */
function randomNonSpecial(rng: Rng, r: ResolvedMlm): number {
  for (;;) {
    const id = rng.int(r.vocabSize);
    if (!r.special.has(id)) return id;
  }
}

/**
 * The 80/10/10 corruption of ids (one sequence or a flat [B * T] batch) with one generator.
 * Draw order, per candidate position left to right: one float for selection ('bernoulli'), then
 * for a selected position one float for the treatment and, for 'random', the replacement id.
 */
export function maskTokens(
  ids: Int32Array,
  rng: Rng,
  opts: MlmOptions,
  extras: MaskTokensExtras = {},
): MlmResult {
  const r = resolve(opts);
  const n = ids.length;
  const { specialMask } = extras;
  if (specialMask !== undefined && specialMask.length !== n) {
    throw new Error(`specialMask has length ${specialMask.length} but ids has length ${n}`);
  }
  const seqLen = extras.seqLen ?? n;
  if (!Number.isInteger(seqLen) || seqLen < 1 || n % seqLen !== 0) {
    throw new Error(`seqLen ${seqLen} does not divide the ${n} ids into whole rows`);
  }
  const isCandidate = (i: number): boolean => !specialMask?.[i] && !r.special.has(ids[i]);

  const selected: number[] = [];
  if (r.selection === 'bernoulli') {
    for (let i = 0; i < n; i++) if (isCandidate(i) && rng.float() < r.p) selected.push(i);
  } else {
    for (let row = 0; row < n; row += seqLen) {
      const candidates: number[] = [];
      for (let i = row; i < row + seqLen; i++) if (isCandidate(i)) candidates.push(i);
      const k =
        candidates.length === 0
          ? 0
          : Math.min(candidates.length, Math.max(1, roundHalfEven(candidates.length * r.p)));
      // Partial Fisher-Yates: the first k slots become a uniform k-subset.
      for (let j = 0; j < k; j++) {
        const pick = j + rng.int(candidates.length - j);
        const tmp = candidates[j];
        candidates[j] = candidates[pick];
        candidates[pick] = tmp;
      }
      const chosen = candidates.slice(0, k).sort((a, b) => a - b);
      for (const i of chosen) selected.push(i);
    }
  }

  const inputs = Int32Array.from(ids);
  const labels = new Int32Array(n).fill(IGNORE_INDEX);
  const positions = Int32Array.from(selected);
  const how: MaskTreatment[] = new Array(selected.length);
  for (let k = 0; k < selected.length; k++) {
    const i = selected[k];
    labels[i] = ids[i];
    const u = rng.float();
    if (u < r.maskProb) {
      inputs[i] = r.maskId;
      how[k] = 'mask';
    } else if (u < r.maskProb + r.randomProb) {
      inputs[i] = randomNonSpecial(rng, r);
      how[k] = 'random';
    } else {
      how[k] = 'keep';
    }
  }
  return { inputs, labels, positions, how };
}

/**
 * When a sequence is masked. RoBERTa Table 1: 'static' duplicates the data numCopies times (10 in
 * the paper), each copy with its own mask, and epoch e sees copy e mod numCopies; 'dynamic' draws
 * a fresh mask every time the sequence is seen.
 */
export type MaskingKind = 'static' | 'dynamic';

export interface MaskingSchedule {
  masking: MaskingKind;
  seed: number;
  epoch: number;
  /** Copies for static masking; 10 as in RoBERTa. Ignored by dynamic masking. */
  numCopies?: number;
}

/**
 * Which mask draw a sequence gets at an epoch. Static is dynamic with the epoch taken mod
 * numCopies, so the two arms of the ablation see identical masks for the first numCopies epochs
 * and differ only in what comes after.
 */
export function maskDrawIndex(schedule: MaskingSchedule): number {
  const { masking, epoch } = schedule;
  if (!Number.isInteger(epoch) || epoch < 0)
    throw new Error(`epoch must be a non-negative integer, got ${epoch}`);
  if (masking === 'dynamic') return epoch;
  if (masking !== 'static') throw new Error(`masking must be 'static' or 'dynamic', got '${masking}'`);
  const k = schedule.numCopies ?? 10;
  if (!Number.isInteger(k) || k < 1) throw new Error(`numCopies must be a positive integer, got ${k}`);
  return epoch % k;
}

/** The generator of draw `draw` of sequence `sequenceIndex`: independent of batch order. */
export function mlmRng(seed: number, sequenceIndex: number, draw: number): Rng {
  return Rng.derive(seed, `mlm/seq${sequenceIndex}/draw${draw}`);
}

/** Masks one sequence (index sequenceIndex in the corpus) for an epoch under a schedule. */
export function maskSequence(
  ids: Int32Array,
  sequenceIndex: number,
  schedule: MaskingSchedule,
  opts: MlmOptions,
  specialMask?: ArrayLike<number | boolean>,
): MlmResult {
  const rng = mlmRng(schedule.seed, sequenceIndex, maskDrawIndex(schedule));
  return maskTokens(ids, rng, opts, { specialMask });
}

/**
 * Masks a flat [B * seqLen] batch row by row; row b is sequence sequenceIndices[b] of the corpus
 * (default b), so each row gets exactly the mask maskSequence would give it.
 */
export function maskBatch(
  ids: Int32Array,
  seqLen: number,
  schedule: MaskingSchedule,
  opts: MlmOptions,
  extras: { sequenceIndices?: ArrayLike<number>; specialMask?: ArrayLike<number | boolean> } = {},
): MlmResult {
  if (!Number.isInteger(seqLen) || seqLen < 1 || ids.length % seqLen !== 0) {
    throw new Error(`seqLen ${seqLen} does not divide the ${ids.length} ids into whole rows`);
  }
  const rows = ids.length / seqLen;
  const { sequenceIndices, specialMask } = extras;
  if (sequenceIndices !== undefined && sequenceIndices.length !== rows) {
    throw new Error(`sequenceIndices has ${sequenceIndices.length} entries for ${rows} rows`);
  }
  if (specialMask !== undefined && specialMask.length !== ids.length) {
    throw new Error(`specialMask has length ${specialMask.length} but ids has length ${ids.length}`);
  }
  const inputs = new Int32Array(ids.length);
  const labels = new Int32Array(ids.length);
  const positions: number[] = [];
  const how: MaskTreatment[] = [];
  for (let b = 0; b < rows; b++) {
    const lo = b * seqLen;
    const rowMask =
      specialMask === undefined ? undefined : Array.prototype.slice.call(specialMask, lo, lo + seqLen);
    const res = maskSequence(
      ids.subarray(lo, lo + seqLen),
      sequenceIndices?.[b] ?? b,
      schedule,
      opts,
      rowMask,
    );
    inputs.set(res.inputs, lo);
    labels.set(res.labels, lo);
    for (let k = 0; k < res.positions.length; k++) {
      positions.push(lo + res.positions[k]);
      how.push(res.how[k]);
    }
  }
  return { inputs, labels, positions: Int32Array.from(positions), how };
}

/** RoBERTa's static masking: k fixed masked copies of every sequence; result[i][c] is copy c of sequence i. */
export function staticMasks(
  sequences: readonly Int32Array[],
  k: number,
  seed: number,
  opts: MlmOptions,
): MlmResult[][] {
  return sequences.map((seq, i) =>
    Array.from({ length: k }, (_, c) =>
      maskSequence(seq, i, { masking: 'static', seed, epoch: c, numCopies: k }, opts),
    ),
  );
}

/** RoBERTa's dynamic masking: a fresh mask for sequence `index` at every epoch. */
export function dynamicMask(
  seq: Int32Array,
  seed: number,
  epoch: number,
  index: number,
  opts: MlmOptions,
): MlmResult {
  return maskSequence(seq, index, { masking: 'dynamic', seed, epoch }, opts);
}

/** One selected position, for display. */
export interface MlmPositionView {
  index: number;
  original: number;
  replacedBy: number;
  how: MaskTreatment;
  /** Token strings, present when showMlm got idToToken. */
  originalToken?: string;
  replacedByToken?: string;
}

export interface MlmView {
  inputs: number[];
  labels: number[];
  positions: MlmPositionView[];
}

export interface ShowMlmOptions extends MlmOptions {
  seed: number;
  specialMask?: ArrayLike<number | boolean>;
  idToToken?: (id: number) => string;
}

/**
 * What MLM does to one sequence, as plain JSON (for `lab show mlm`). Uses the stream of sequence
 * 0 at epoch 0, the same mask training would give this sequence as the corpus's first.
 */
export function showMlm(ids: Int32Array, opts: ShowMlmOptions): MlmView {
  const { seed, specialMask, idToToken, ...mlm } = opts;
  const res = maskSequence(ids, 0, { masking: 'dynamic', seed, epoch: 0 }, mlm, specialMask);
  const positions = Array.from(res.positions, (index, k): MlmPositionView => {
    const view: MlmPositionView = {
      index,
      original: ids[index],
      replacedBy: res.inputs[index],
      how: res.how[k],
    };
    if (idToToken) {
      view.originalToken = idToToken(ids[index]);
      view.replacedByToken = idToToken(res.inputs[index]);
    }
    return view;
  });
  return { inputs: Array.from(res.inputs), labels: Array.from(res.labels), positions };
}
