/**
 * What the CLI's end-to-end tests share: the repository paths, running a command to its exit
 * (stdout, stderr, code, with a kill timeout), `lab` (the CLI as `tsx bin.ts`, which is what
 * `pnpm lab` runs; through pnpm a failing command gets an extra `[ELIFECYCLE]` stderr line that
 * would hide whether our own error output is one line), and the checks on a command's result.
 * Imported by tests only.
 */
import { type SpawnOptions, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
export const BIN = path.join(ROOT, 'packages', 'cli', 'src', 'bin.ts');

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(
  cmd: string,
  args: string[],
  opts: SpawnOptions = {},
  timeoutMs = 60_000,
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' }, ...opts });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export const lab = (...args: string[]) => run(TSX, [BIN, ...args]);

export function ok(r: Result): string {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

/** A user error: exit 2 and exactly one stderr line, `error: ...`. Returns that line. */
export function userError(r: Result): string {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  return lines[0];
}

/** f, run once on first call; later calls share its promise. */
export function once<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= f();
    return p;
  };
}
