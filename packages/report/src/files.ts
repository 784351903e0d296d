/**
 * Atomic, change-only writes: figures and reports are regenerated often, and rewriting an
 * identical file would churn mtimes (and make `git status` and build caches noisy).
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Write `data` to `path` via a temporary file in the same directory and a rename, so a reader
 * never sees half a file. Does nothing when the file already holds exactly these bytes.
 * @returns true when the file was (re)written
 */
export function writeFileAtomicIfChanged(path: string, data: string | Uint8Array): boolean {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  try {
    if (readFileSync(path).equals(bytes)) return false;
  } catch {
    // Missing or unreadable: write it.
  }
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return true;
}
