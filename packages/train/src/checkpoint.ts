/**
 * Checkpoints: a directory holding
 *   model.safetensors      the weights, by Hugging Face GPT-2 names
 *   optimizer.safetensors  AdamW moments (`m.<name>`, `v.<name>`)
 *   state.json             step, RNG and data positions, metrics length, configs, and the
 *                          sha256 of both tensor files
 * written to a temporary sibling and renamed into place, so a kill at any moment leaves the
 * previous checkpoint whole. Loading checks every hash and refuses a checkpoint that does not
 * match (truncated or corrupt) without touching it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ResultsWriteError } from './metrics.js';
import { CorruptCheckpointError, readSafetensors, sha256File, writeSafetensors } from './safetensors.js';

export const CHECKPOINT_FORMAT = 1;

export interface CheckpointState {
  format: number;
  /** Completed optimizer steps. */
  step: number;
  /** Anything else the trainer needs to continue exactly (data position, accumulators...). */
  trainer: Record<string, unknown>;
  modelConfig: Record<string, unknown>;
  /** The run config the checkpoint belongs to. */
  runConfig: Record<string, unknown>;
  files: Record<string, string>;
}

export interface CheckpointData {
  weights: Record<string, { shape: number[]; data: Float32Array }>;
  optimizer: Record<string, { shape: number[]; data: Float32Array }>;
  state: CheckpointState;
}

export function saveCheckpoint(
  dir: string,
  data: Omit<CheckpointData, 'state'> & {
    state: Omit<CheckpointState, 'files' | 'format'>;
    /** Extra files (name -> content) stored and hashed with the checkpoint, e.g. tokenizer.json. */
    extraFiles?: Record<string, string>;
  },
): void {
  const parent = path.dirname(dir);
  const tmp = `${dir}.tmp-${process.pid}`;
  // A failed write (a full disk) removes the temporary copy and names the file; the previous
  // checkpoint in `dir` has not been touched yet, so it stays whole and resumable.
  let writing = tmp;
  try {
    fs.mkdirSync(parent, { recursive: true });
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp);
    const toF32 = (rec: Record<string, { shape: number[]; data: Float32Array }>) =>
      Object.fromEntries(
        Object.entries(rec).map(([k, v]) => [k, { dtype: 'F32' as const, shape: v.shape, data: v.data }]),
      );
    const write = (name: string, fn: (file: string) => void) => {
      writing = path.join(tmp, name);
      fn(writing);
    };
    write('model.safetensors', (f) => writeSafetensors(f, toF32(data.weights), { format: 'pt' }));
    write('optimizer.safetensors', (f) => writeSafetensors(f, toF32(data.optimizer)));
    for (const [name, content] of Object.entries(data.extraFiles ?? {}))
      write(name, (f) => fs.writeFileSync(f, content));
    const files: Record<string, string> = {};
    for (const name of [
      'model.safetensors',
      'optimizer.safetensors',
      ...Object.keys(data.extraFiles ?? {}),
    ]) {
      files[name] = sha256File(path.join(tmp, name));
    }
    const state: CheckpointState = { format: CHECKPOINT_FORMAT, ...data.state, files };
    write('state.json', (f) => {
      fs.writeFileSync(f, `${JSON.stringify(state, null, 2)}\n`);
      const fd = fs.openSync(f, 'r');
      fs.fsyncSync(fd);
      fs.closeSync(fd);
    });
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new ResultsWriteError(writing, e as Error);
  }
  // Swap in: the old checkpoint is moved aside first and removed only once the new one is in
  // place (and moved back if the new one cannot be).
  const old = `${dir}.old-${process.pid}`;
  const hadOld = fs.existsSync(dir);
  if (hadOld) fs.renameSync(dir, old);
  try {
    fs.renameSync(tmp, dir);
  } catch (e) {
    if (hadOld) fs.renameSync(old, dir);
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new ResultsWriteError(dir, e as Error);
  }
  fs.rmSync(old, { recursive: true, force: true });
}

export function checkpointExists(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'state.json'));
}

/** Read and verify a checkpoint; throws CorruptCheckpointError naming what is wrong. */
export function loadCheckpoint(dir: string): CheckpointData {
  const statePath = path.join(dir, 'state.json');
  if (!fs.existsSync(dir)) throw new CorruptCheckpointError(dir, 'does not exist');
  if (!fs.existsSync(statePath))
    throw new CorruptCheckpointError(dir, 'no state.json (incomplete, or not a checkpoint)');
  let state: CheckpointState;
  try {
    state = JSON.parse(fs.readFileSync(statePath, 'utf8')) as CheckpointState;
  } catch (e) {
    throw new CorruptCheckpointError(dir, `state.json is not valid JSON (${(e as Error).message})`);
  }
  if (state.format !== CHECKPOINT_FORMAT)
    throw new CorruptCheckpointError(dir, `unknown format ${state.format}`);
  for (const [file, hash] of Object.entries(state.files ?? {})) {
    const p = path.join(dir, file);
    if (!fs.existsSync(p)) throw new CorruptCheckpointError(dir, `${file} is missing`);
    const actual = sha256File(p);
    if (actual !== hash) {
      throw new CorruptCheckpointError(
        dir,
        `${file} does not match its recorded sha256 (truncated or modified); refusing to use it, and it was left untouched`,
      );
    }
  }
  const asF32 = (file: string) => {
    const { tensors } = readSafetensors(path.join(dir, file));
    const out: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [k, t] of Object.entries(tensors)) {
      if (!(t.data instanceof Float32Array))
        throw new CorruptCheckpointError(dir, `${file}: ${k} is not float32`);
      out[k] = { shape: t.shape, data: t.data };
    }
    return out;
  };
  return { weights: asF32('model.safetensors'), optimizer: asF32('optimizer.safetensors'), state };
}
