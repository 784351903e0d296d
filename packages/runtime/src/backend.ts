/**
 * Backend selection. Order for `auto`: tfjs-node-gpu, tfjs-node (native, opt-in: their install
 * downloads libtensorflow and fails offline, so pnpm drops them), then tfjs-wasm with this
 * project's kernels, which always installs from npm alone. `--backend` or PRETRAIN_LAB_BACKEND
 * forces one. The choice is printed by the CLI and recorded in run.json.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { installWasmKernels, registerMissingWasmKernels } from './kernels/index.js';

export const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'wasm-stock', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendInfo {
  /** What was asked for. */
  requested: BackendName;
  /** The tfjs backend name in use (`wasm`, `cpu`, `tensorflow`). */
  tfBackend: string;
  /** Which of BACKENDS it resolved to. */
  name: Exclude<BackendName, 'auto'>;
  /** Whether this project's custom kernels are registered on it. */
  customKernels: boolean;
  tfjsVersion: string;
  threads: number;
  notes: string[];
}

let current: BackendInfo | null = null;
type KernelInstaller = () => Promise<{ threads: number; notes: string[] }>;
let wasmKernelInstaller: KernelInstaller | null = null;

/** Kernel packs register themselves here (see kernels/); kept as a hook so this file stays small. */
export function setWasmKernelInstaller(install: KernelInstaller): void {
  wasmKernelInstaller = install;
}

export function parseBackendName(value: string | undefined): BackendName {
  const v = (value ?? '').trim() || 'auto';
  if ((BACKENDS as readonly string[]).includes(v)) return v as BackendName;
  throw new UserError(`unknown backend '${v}'; valid: ${BACKENDS.join(', ')}`);
}

/** An error a user can cause: printed as one line, exit code 2, no stack trace. */
export class UserError extends Error {
  override name = 'UserError';
}

/**
 * A native package whose install script failed still sits in node_modules without its
 * binding; importing it then registers half its kernels and throws. Look for the binding first.
 */
function nativeBindingPresent(pkg: string): boolean {
  try {
    const require = createRequire(import.meta.url);
    const dir = path.dirname(require.resolve(`${pkg}/package.json`));
    const lib = path.join(dir, 'lib');
    return (
      fs.existsSync(lib) &&
      fs.readdirSync(lib).some((d) => fs.existsSync(path.join(lib, d, 'tfjs_binding.node')))
    );
  } catch {
    return false;
  }
}

async function tryNative(pkg: string): Promise<boolean> {
  if (!nativeBindingPresent(pkg)) return false;
  try {
    await import(pkg);
    return tf.findBackend('tensorflow') !== null && (await tf.setBackend('tensorflow'));
  } catch {
    return false; // not installed, or libtensorflow missing: fall back
  }
}

export async function initBackend(requested?: BackendName): Promise<BackendInfo> {
  const want = requested ?? parseBackendName(process.env.PRETRAIN_LAB_BACKEND);
  if (current && (current.requested === want || current.name === want)) return current;
  const notes: string[] = [];
  const done = (name: BackendInfo['name'], customKernels: boolean, threads: number): BackendInfo => {
    current = {
      requested: want,
      tfBackend: tf.getBackend(),
      name,
      customKernels,
      tfjsVersion: tf.version.tfjs,
      threads,
      notes,
    };
    return current;
  };
  if (want === 'auto' || want === 'tensorflow-gpu') {
    if (await tryNative('@tensorflow/tfjs-node-gpu')) return done('tensorflow-gpu', false, 0);
    if (want === 'tensorflow-gpu')
      throw new UserError(
        'backend tensorflow-gpu requested but @tensorflow/tfjs-node-gpu does not load here; use --backend wasm',
      );
    notes.push('tfjs-node-gpu not available');
  }
  if (want === 'auto' || want === 'tensorflow') {
    if (await tryNative('@tensorflow/tfjs-node')) return done('tensorflow', false, 0);
    if (want === 'tensorflow')
      throw new UserError(
        'backend tensorflow requested but @tensorflow/tfjs-node does not load here; use --backend wasm',
      );
    notes.push('tfjs-node not available');
  }
  if (want === 'cpu') {
    await tf.setBackend('cpu');
    return done('cpu', false, 1);
  }
  await tf.setBackend('wasm');
  await tf.ready();
  if (want !== 'wasm-stock' && wasmKernelInstaller) {
    const k = await wasmKernelInstaller();
    notes.push(...k.notes);
    return done('wasm', true, k.threads);
  }
  if (want === 'wasm-stock') {
    // As shipped, tfjs-wasm cannot train an embedding (no UnsortedSegmentSum, gather's
    // gradient); that one missing kernel is added so the stock backend can be measured at all.
    registerMissingWasmKernels();
    notes.push('stock tfjs-wasm kernels, plus the missing UnsortedSegmentSum (gather gradient)');
  }
  return done(want === 'wasm-stock' ? 'wasm-stock' : 'wasm', false, 1);
}

export function backendInfo(): BackendInfo | null {
  return current;
}

// This project's wasm kernels (kernels/index.ts); `--backend wasm-stock` skips them.
setWasmKernelInstaller(installWasmKernels);
