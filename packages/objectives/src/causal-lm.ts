/**
 * Causal language modelling (GPT): the target at position t is the token at t + 1.
 * A pure function on typed arrays: packed windows of seqLen + 1 tokens in, inputs and
 * targets of seqLen tokens out. No randomness is involved, so no seed is taken.
 */
export interface CausalLMBatch {
  /** [batch * seqLen] token ids, row-major. */
  inputs: Int32Array;
  /** [batch * seqLen] next-token ids. */
  targets: Int32Array;
  batch: number;
  seqLen: number;
}

/**
 * windows: [batch * (seqLen + 1)] token ids, each row one packed window.
 * inputs = row[0 .. seqLen-1], targets = row[1 .. seqLen].
 */
export function causalLMExamples(windows: Int32Array, seqLen: number): CausalLMBatch {
  const width = seqLen + 1;
  if (seqLen < 1) throw new Error(`seqLen must be >= 1, got ${seqLen}`);
  if (windows.length % width !== 0) {
    throw new Error(`windows length ${windows.length} is not a multiple of seqLen + 1 = ${width}`);
  }
  const batch = windows.length / width;
  const inputs = new Int32Array(batch * seqLen);
  const targets = new Int32Array(batch * seqLen);
  for (let b = 0; b < batch; b++) {
    inputs.set(windows.subarray(b * width, b * width + seqLen), b * seqLen);
    targets.set(windows.subarray(b * width + 1, (b + 1) * width), b * seqLen);
  }
  return { inputs, targets, batch, seqLen };
}
