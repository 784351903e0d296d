import fs from 'node:fs';
import path from 'node:path';
import { ResultsWriteError } from '@pretrain-lab/train';

/**
 * Write a file so that readers see the old content or the new, never half of it. A failed
 * write (a full disk) leaves the old file as it was and names the file in its error.
 */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(tmp, 'w');
    try {
      const bytes = typeof content === 'string' ? Buffer.from(content) : content;
      let done = 0;
      while (done < bytes.byteLength) done += fs.writeSync(fd, bytes, done);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new ResultsWriteError(file, e as Error);
  }
}

export function writeJSONAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}
