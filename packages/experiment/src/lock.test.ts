import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '@pretrain-lab/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { holderAlive, LOCK_FILE, LockBusyError, type LockHolder, RunLock } from './lock.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'run-lock-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const dirFor = (name: string) => path.join(tmp, name);
const holderIn = (dir: string) =>
  JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as LockHolder;
const writeHolder = (dir: string, h: Partial<LockHolder>) => {
  fs.mkdirSync(dir, { recursive: true });
  const full: LockHolder = {
    pid: 1,
    host: os.hostname(),
    pidStart: null,
    since: '2026-01-01T00:00:00Z',
    argv: [],
    ...h,
  };
  fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(full));
};
/** The pid of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

describe('RunLock', () => {
  it('records pid and host, and a second taker fails with one line naming the holder', () => {
    const dir = dirFor('live');
    const lock = RunLock.acquire(dir, ['exp', 'x']);
    expect(holderIn(dir)).toMatchObject({ pid: process.pid, host: os.hostname(), argv: ['exp', 'x'] });
    let err: unknown;
    try {
      RunLock.acquire(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `is in use by another run \\(pid ${process.pid} on ${os.hostname()}, since .*\\); wait for it`,
      ),
    );
    expect((err as Error).message).not.toContain('\n');
    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    RunLock.acquire(dir).release(); // free again
  });

  it('takes over a stale lock: a dead pid on this host', () => {
    const dir = dirFor('stale');
    writeHolder(dir, { pid: deadPid() });
    const lock = RunLock.acquire(dir);
    expect(holderIn(dir).pid).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock whose pid now belongs to another process (start time differs)', () => {
    const dir = dirFor('reused');
    const h: LockHolder = { pid: process.pid, host: os.hostname(), pidStart: '1', since: '', argv: [] };
    if (process.platform === 'linux') expect(holderAlive(h)).toBe(false);
    writeHolder(dir, h);
    if (process.platform === 'linux') RunLock.acquire(dir).release();
  });

  it('cannot judge a holder on another host, and says how to clear it', () => {
    const dir = dirFor('remote');
    writeHolder(dir, { pid: 4242, host: 'elsewhere' });
    expect(() => RunLock.acquire(dir)).toThrow(
      /is locked by pid 4242 on elsewhere, since .*, which cannot be checked from here; if that process is gone, delete .*lock$/,
    );
  });
});

describe('RunLock across hosts (unit locks of workers)', () => {
  const touch = (dir: string, agoMs: number) => {
    const t = new Date(Date.now() - agoMs);
    fs.utimesSync(path.join(dir, LOCK_FILE), t, t);
  };

  it('takes over a lock of another host that nobody touched for staleAfterMs', () => {
    const dir = dirFor('remote-stale');
    writeHolder(dir, { pid: 4242, host: 'node-7' });
    touch(dir, 5_000);
    const lock = RunLock.acquire(dir, [], { staleAfterMs: 2_000 });
    expect(holderIn(dir)).toMatchObject({ pid: process.pid, host: os.hostname() });
    lock.release();
  });

  it('leaves a fresh lock of another host alone, with a LockBusyError naming the holder', () => {
    const dir = dirFor('remote-fresh');
    writeHolder(dir, { pid: 4242, host: 'node-7' });
    touch(dir, 500);
    let err: unknown;
    try {
      RunLock.acquire(dir, [], { staleAfterMs: 2_000 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LockBusyError);
    expect(err).toBeInstanceOf(UserError);
    expect((err as LockBusyError).holder).toMatchObject({ pid: 4242, host: 'node-7' });
  });

  it('keeps its own lock fresh while held (heartbeat), and stops when released', async () => {
    const dir = dirFor('heartbeat');
    const lock = RunLock.acquire(dir, [], { heartbeatMs: 20 });
    touch(dir, 60_000);
    await new Promise((r) => setTimeout(r, 120));
    const age = Date.now() - fs.statSync(path.join(dir, LOCK_FILE)).mtimeMs;
    expect(age).toBeLessThan(1_000);
    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });
});
