/**
 * Backend selection. Order for `auto`: tfjs-node-gpu, tfjs-node (native and opt-in: they are not
 * dependencies, because their install script downloads libtensorflow from outside npm; see
 * NATIVE_INSTALL), then tfjs-wasm with this project's kernels, which always installs from npm
 * alone. `--backend` or PRETRAIN_LAB_BACKEND forces one. The choice is printed by the CLI and
 * recorded in run.json.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  installWasmKernels,
  type KernelSet,
  nativeKernelsAvailable,
  registerMissingWasmKernels,
} from './kernels/index.js';

export const BACKENDS = [
  'auto',
  'tensorflow-gpu',
  'tensorflow',
  'native',
  'wasm',
  'wasm-stock',
  'cpu',
] as const;
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
  /** The kernels that run: native-avx2, native-avx512, wasm-relaxed-simd, wasm-simd, tfjs-wasm, tfjs-cpu, tfjs-node. */
  kernels: string;
  tfjsVersion: string;
  threads: number;
  notes: string[];
}

let current: BackendInfo | null = null;
type KernelInstaller = (set: KernelSet) => Promise<{ threads: number; notes: string[]; variant: string }>;
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

/** The one documented command that installs each opt-in native backend (docs/backends.md). */
export const NATIVE_INSTALL = {
  tensorflow: {
    pkg: '@tensorflow/tfjs-node',
    command: 'pnpm --filter @pretrain-lab/runtime add @tensorflow/tfjs-node@4.22.0',
    needs: 'libtensorflow, which its install script downloads from outside npm',
  },
  'tensorflow-gpu': {
    pkg: '@tensorflow/tfjs-node-gpu',
    command: 'pnpm --filter @pretrain-lab/runtime add @tensorflow/tfjs-node-gpu@4.22.0',
    needs: 'an NVIDIA GPU with CUDA 11.2 and cuDNN 8.1',
  },
} as const;

function packageInstalled(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** The one-line error for a forced native backend that is missing or does not load. */
export function nativeUnavailableMessage(
  name: keyof typeof NATIVE_INSTALL,
  installed = packageInstalled(NATIVE_INSTALL[name].pkg),
): string {
  const { pkg, command, needs } = NATIVE_INSTALL[name];
  return installed
    ? `backend ${name} requested but ${pkg} is installed without a working binding (it needs ${needs}); reinstall with: ${command}, or use --backend wasm`
    : `backend ${name} requested but ${pkg} is not installed (opt-in; it needs ${needs}); install it with: ${command}, or use --backend wasm`;
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
  const done = (
    name: BackendInfo['name'],
    customKernels: boolean,
    threads: number,
    kernels: string,
  ): BackendInfo => {
    current = {
      requested: want,
      tfBackend: tf.getBackend(),
      name,
      customKernels,
      kernels,
      tfjsVersion: tf.version.tfjs,
      threads,
      notes,
    };
    return current;
  };
  if (want === 'auto' || want === 'tensorflow-gpu') {
    if (await tryNative('@tensorflow/tfjs-node-gpu'))
      return done('tensorflow-gpu', false, 0, 'tfjs-node-gpu');
    if (want === 'tensorflow-gpu') throw new UserError(nativeUnavailableMessage('tensorflow-gpu'));
    notes.push('tfjs-node-gpu not available');
  }
  if (want === 'auto' || want === 'tensorflow') {
    if (await tryNative('@tensorflow/tfjs-node')) return done('tensorflow', false, 0, 'tfjs-node');
    if (want === 'tensorflow') throw new UserError(nativeUnavailableMessage('tensorflow'));
    notes.push('tfjs-node not available');
  }
  if (want === 'cpu') {
    await tf.setBackend('cpu');
    return done('cpu', false, 1, 'tfjs-cpu');
  }
  await tf.setBackend('wasm');
  await tf.ready();
  if (want !== 'wasm-stock' && wasmKernelInstaller) {
    let set: KernelSet = want === 'wasm' ? 'wasm' : 'native';
    if (set === 'native') {
      const avail = nativeKernelsAvailable();
      if (!avail.ok) {
        if (want === 'native')
          throw new UserError(
            `backend native requested but the native kernels do not load here (${avail.reason}); rebuild with \`pnpm --filter @pretrain-lab/native run install\` or use --backend wasm`,
          );
        notes.push(`native kernels not available (${avail.reason}); using the wasm kernels`);
        set = 'wasm';
      }
    }
    const k = await wasmKernelInstaller(set);
    notes.push(...k.notes);
    return done(set, true, k.threads, set === 'native' ? k.variant : `wasm-${k.variant}`);
  }
  if (want === 'wasm-stock') {
    // As shipped, tfjs-wasm cannot train an embedding (no UnsortedSegmentSum, gather's
    // gradient); that one missing kernel is added so the stock backend can be measured at all.
    registerMissingWasmKernels();
    notes.push('stock tfjs-wasm kernels, plus the missing UnsortedSegmentSum (gather gradient)');
  }
  return done(want === 'wasm-stock' ? 'wasm-stock' : 'wasm', false, 1, 'tfjs-wasm');
}

export function backendInfo(): BackendInfo | null {
  return current;
}

// This project's wasm kernels (kernels/index.ts); `--backend wasm-stock` skips them.
setWasmKernelInstaller(installWasmKernels);
