/**
 * One writer per run directory: `<run>/lock` holds the pid and host of the process writing it
 * (created with O_EXCL, so two processes cannot both take it). A second `pnpm exp ... --resume`
 * while the first is alive fails with one line naming the holder. A lock left by a process that
 * died (kill -9, a crash) on this host is stale and taken over; the pid's start time is recorded
 * too where /proc has it, so a pid reused by an unrelated process does not look like the holder.
 *
 * Workers on many machines lock units, not whole run directories (unit-store.ts). A holder on
 * another host cannot be asked whether it is alive, so such a lock is kept fresh: its holder
 * touches the file every `heartbeatMs`, and a lock not touched for `staleAfterMs` is taken over
 * (a worker killed on a node that then left, a pod that was evicted). The clocks of the hosts
 * must agree to well within `staleAfterMs`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '@pretrain-lab/runtime';

export interface LockHolder {
  pid: number;
  host: string;
  /** Kernel start time of the process (Linux /proc/<pid>/stat field 22), when known. */
  pidStart: string | null;
  since: string;
  argv: string[];
}

export const LOCK_FILE = 'lock';

export interface LockOptions {
  /** Touch the lock file this often while it is held (0: never). */
  heartbeatMs?: number;
  /** Take over a lock of another host that nobody touched for this long (default: never). */
  staleAfterMs?: number;
}

/** The lock is held by a process that is alive, or that cannot be checked from here. */
export class LockBusyError extends UserError {
  constructor(
    message: string,
    readonly holder: LockHolder,
  ) {
    super(message);
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or null off Linux. */
function processStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: split after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether the holder is a live process: only decidable on its own host. */
export function holderAlive(holder: LockHolder, host = os.hostname()): boolean | 'unknown' {
  if (holder.host !== host) return 'unknown';
  try {
    process.kill(holder.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: alive, owned by another user
  }
  const start = processStart(holder.pid);
  return !(holder.pidStart && start && start !== holder.pidStart);
}

/** Milliseconds since the lock file was last written or touched (0 when it is gone). */
function untouchedFor(file: string): number {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function readHolder(file: string): LockHolder | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder;
  } catch {
    return null; // being written right now, or damaged
  }
}

export class RunLock {
  private released = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private constructor(readonly file: string) {}

  /** Take the lock on `dir`, or throw a one-line LockBusyError (a UserError) naming the live holder. */
  static acquire(dir: string, argv: string[] = process.argv.slice(2), opts: LockOptions = {}): RunLock {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, LOCK_FILE);
    const me: LockHolder = {
      pid: process.pid,
      host: os.hostname(),
      pidStart: processStart(process.pid),
      since: new Date().toISOString(),
      argv,
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = fs.openSync(file, 'wx');
        try {
          fs.writeSync(fd, `${JSON.stringify(me, null, 2)}\n`);
        } finally {
          fs.closeSync(fd);
        }
        const lock = new RunLock(file);
        if (opts.heartbeatMs) lock.beat(opts.heartbeatMs);
        return lock;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = readHolder(file);
      if (holder === null) {
        // Created but not yet written by another process, or damaged: look again shortly.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        if (readHolder(file) !== null) continue;
        fs.rmSync(file, { force: true }); // still empty: a writer that died between create and write
        continue;
      }
      const alive = holderAlive(holder);
      if (alive === false || (alive === 'unknown' && untouchedFor(file) > (opts.staleAfterMs ?? Infinity))) {
        fs.rmSync(file, { force: true }); // stale: its process is gone; take it over
        continue;
      }
      const where = `pid ${holder.pid} on ${holder.host}, since ${holder.since}`;
      throw new LockBusyError(
        alive === true
          ? `${dir} is in use by another run (${where}); wait for it to finish or stop it first`
          : `${dir} is locked by ${where}, which cannot be checked from here; if that process is gone, delete ${file}`,
        holder,
      );
    }
    throw new UserError(`${dir}: could not take ${file} (another process keeps taking it); try again`);
  }

  /** Touch the file every `ms` (an unref'd timer: it never keeps the process alive). */
  private beat(ms: number): void {
    this.heartbeat = setInterval(() => {
      try {
        const now = new Date();
        fs.utimesSync(this.file, now, now);
      } catch {
        // gone (released, or taken over after we stalled): release() sorts it out
      }
    }, ms);
    this.heartbeat.unref();
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    try {
      const holder = readHolder(this.file);
      if (holder && holder.pid === process.pid && holder.host === os.hostname()) fs.rmSync(this.file);
    } catch {
      // already gone
    }
  }
}
