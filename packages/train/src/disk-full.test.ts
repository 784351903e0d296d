/**
 * A full disk while training: writes to metrics.jsonl or to a checkpoint fail with ENOSPC
 * (node:fs is mocked for this file only, hence a test file of its own). The error must name the
 * file, the previous checkpoint must stay whole, and resuming once there is space again must
 * end with the rows of a run that never failed.
 */
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '@pretrain-lab/runtime';
import { beforeAll, describe, expect, it, vi } from 'vitest';

/** Which writes fail: a test sets `fails` to pick them by path (and how many to let through). */
const disk = vi.hoisted(() => ({ fails: null as null | ((file: string) => boolean) }));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  // A file opened while the disk is "full" opens, and then every write to it fails.
  const doomed = new Set<number>();
  const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const patched = {
    ...real,
    openSync: (file: any, ...rest: any[]) => {
      const fd = (real.openSync as any)(file, ...rest);
      if (disk.fails?.(String(file))) doomed.add(fd);
      else doomed.delete(fd);
      return fd;
    },
    writeSync: (fd: number, ...rest: any[]) => {
      if (doomed.has(fd)) throw enospc();
      return (real.writeSync as any)(fd, ...rest);
    },
    writeFileSync: (file: any, ...rest: any[]) => {
      if (typeof file !== 'number' && disk.fails?.(String(file))) throw enospc();
      return (real.writeFileSync as any)(file, ...rest);
    },
    appendFileSync: (file: any, ...rest: any[]) => {
      if (typeof file !== 'number' && disk.fails?.(String(file))) throw enospc();
      return (real.appendFileSync as any)(file, ...rest);
    },
  };
  return { ...patched, default: patched };
});

const fs = (await import('node:fs')).default;
const { checkpointExists, loadCheckpoint } = await import('./checkpoint.js');
const { trainLanguageModel } = await import('./lm.js');
const { MetricsWriter, readMetrics } = await import('./metrics.js');
const { cfg, source, strip, tinyGPT } = await import('./testing/tiny-run.js');

beforeAll(async () => {
  await initBackend();
});

async function run(dir: string, resume = false) {
  const src = source(4);
  const model = tinyGPT();
  const metricsPath = path.join(dir, 'metrics.jsonl');
  try {
    return await trainLanguageModel({
      name: 'm',
      model,
      train: src,
      evalSets: { val: src.eval },
      cfg: cfg(8),
      metrics: new MetricsWriter(metricsPath),
      checkpointDir: path.join(dir, 'ck'),
      resume,
    });
  } finally {
    model.dispose();
  }
}

/** From the `n`-th time (counting from 1) a file whose path matches `re` is opened or written, writes to it fail. */
function failFrom(re: RegExp, n: number) {
  let seen = 0;
  disk.fails = (file) => re.test(file) && ++seen >= n;
}

describe('a full disk', () => {
  it('while writing a checkpoint: names the file, keeps the previous checkpoint, resumes exactly', async () => {
    const straight = fs.mkdtempSync(path.join(os.tmpdir(), 'diskfull-straight-'));
    await run(straight);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diskfull-ck-'));
    // Checkpoints at steps 2, 4, ...: the second one's weights cannot be written.
    failFrom(/ck\.tmp-\d+[/\\]model\.safetensors/, 2);
    await expect(run(dir)).rejects.toThrow(
      /^cannot write .*ck\.tmp-\d+[/\\]model\.safetensors: ENOSPC: no space left on device, write; the last checkpoint is kept/,
    );
    disk.fails = null;
    expect(fs.readdirSync(dir).sort()).toEqual(['ck', 'metrics.jsonl']); // no half-written copy left
    expect(loadCheckpoint(path.join(dir, 'ck')).state.step).toBe(2);

    const resumed = await run(dir, true);
    expect(resumed.resumedFrom).toBe(2);
    expect(resumed.status).toBe('completed');
    expect(strip(readMetrics(path.join(dir, 'metrics.jsonl')))).toEqual(
      strip(readMetrics(path.join(straight, 'metrics.jsonl'))),
    );
    fs.rmSync(straight, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('while appending to metrics.jsonl: names the file, keeps the checkpoint, resumes exactly', async () => {
    const straight = fs.mkdtempSync(path.join(os.tmpdir(), 'diskfull-straight-'));
    await run(straight);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diskfull-metrics-'));
    failFrom(/metrics\.jsonl$/, 6);
    await expect(run(dir)).rejects.toThrow(/^cannot write .*metrics\.jsonl: ENOSPC/);
    disk.fails = null;
    expect(checkpointExists(path.join(dir, 'ck'))).toBe(true);
    const resumed = await run(dir, true);
    expect(resumed.resumedFrom).not.toBeNull();
    expect(strip(readMetrics(path.join(dir, 'metrics.jsonl')))).toEqual(
      strip(readMetrics(path.join(straight, 'metrics.jsonl'))),
    );
    fs.rmSync(straight, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
