/**
 * Errors a user can cause end as one line on stderr and exit code 2, never a stack trace.
 * Anything else is a bug: it prints its stack and exits 1.
 */
import { UserError } from '@pretrain-lab/runtime';

export { UserError };

const USER_ERROR_NAMES = new Set([
  'UserError',
  'CorpusError',
  'CorruptCheckpointError',
  'NonFiniteLossError',
  'ConfigError',
  'TaskFileError',
  // A write that failed (a full disk): names the file; the last checkpoint stays resumable.
  'ResultsWriteError',
]);

export function isUserError(e: unknown): e is Error {
  return (
    e instanceof Error &&
    (e instanceof UserError || USER_ERROR_NAMES.has(e.name) || e.constructor?.name === 'CorpusError')
  );
}

export async function runMain(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (isUserError(e)) {
      process.stderr.write(`error: ${e.message.split('\n')[0]}\n`);
      process.exitCode = 2;
      return;
    }
    // A bug, not a user error: keep the stack. Printed here rather than rethrown, because
    // tfjs-wasm's emscripten module rethrows uncaught exceptions and Node then prints its
    // whole minified source line.
    const err = e instanceof Error ? e : new Error(String(e));
    process.stderr.write(`internal error: ${err.stack ?? err.message}\n`);
    process.exitCode = 1;
  }
}
