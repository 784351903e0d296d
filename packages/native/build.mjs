// Install script of @pretrain-lab/native: builds the optional C++ kernels with node-gyp against
// the running Node's own headers (--nodedir = Node's install prefix, so nothing is downloaded).
// It ALWAYS exits 0 and prints exactly one line: without a compiler (or on any error) the
// addon is simply absent and runs use the wasm kernels. PRETRAIN_LAB_NATIVE=0 skips the build.
//   node build.mjs            (what `pnpm install` runs)
//   node build.mjs --verbose  (show node-gyp's output)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const verbose = process.argv.includes('--verbose');
const tag = '@pretrain-lab/native:';
const logFile = path.join(here, 'build.log');
const binary = path.join(here, 'build', 'Release', 'pretrain_lab_native.node');

function notBuilt(reason) {
  // No stale binary may survive a failed or skipped build: what loads must match what was said.
  fs.rmSync(path.join(here, 'build'), { recursive: true, force: true });
  console.log(`${tag} native kernels not built (${reason}); runs use the wasm kernels`);
  process.exit(0);
}

function main() {
  if ((process.env.PRETRAIN_LAB_NATIVE ?? '').trim() === '0') notBuilt('PRETRAIN_LAB_NATIVE=0');
  const cxx = (process.env.CXX ?? '').trim() || 'c++';
  const probe = spawnSync(cxx, ['--version'], { encoding: 'utf8', shell: false });
  if (probe.error || probe.status !== 0) notBuilt(`no C++ compiler: ${cxx} --version failed`);

  let gyp;
  try {
    gyp = require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    gyp = process.env.npm_config_node_gyp;
  }
  if (!gyp || !fs.existsSync(gyp)) notBuilt('node-gyp not found');

  const nodedir = path.resolve(process.execPath, '../..');
  if (!fs.existsSync(path.join(nodedir, 'include', 'node', 'node_api.h')))
    notBuilt(`Node headers not found under ${path.join(nodedir, 'include', 'node')}`);

  const jobs = String(
    typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
  );
  const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, `--jobs=${jobs}`], {
    cwd: here,
    encoding: 'utf8',
    stdio: verbose ? 'inherit' : 'pipe',
    env: { ...process.env, npm_config_nodedir: nodedir },
    maxBuffer: 64 << 20,
  });
  if (!verbose) fs.writeFileSync(logFile, `${r.stdout ?? ''}${r.stderr ?? ''}`);
  if (r.error || r.status !== 0) {
    const err = (r.stderr ?? '')
      .split('\n')
      .find((l) => /error/i.test(l) && !/^gyp (info|ERR! (stack|cwd|node|System|command|not ok))/.test(l));
    const why = err
      ? err.replace(/\s+/g, ' ').trim().slice(0, 160)
      : `node-gyp exited with ${r.status ?? r.error?.message}`;
    notBuilt(`build failed: ${why}; log in packages/native/build.log`);
  }
  if (!fs.existsSync(binary)) notBuilt('build produced no binary');

  // Load it in a child process: a binary that does not load is as good as none.
  const check = spawnSync(
    process.execPath,
    [
      '-e',
      `const m = require(${JSON.stringify(binary)}); process.stdout.write(JSON.stringify({ isa: m.isa(), compiled: m.compiled() }));`,
    ],
    { encoding: 'utf8', env: { ...process.env, PRETRAIN_LAB_ISA: '' } },
  );
  let info;
  try {
    info = JSON.parse(check.stdout);
  } catch {
    notBuilt(`built binary does not load: ${(check.stderr || '').trim().split('\n')[0]}`);
  }
  const label = info.isa === 'avx2' ? 'avx2+fma' : info.isa;
  const extra = info.compiled.includes('avx512') ? 'avx512 compiled' : 'no avx512 build on this platform';
  console.log(`${tag} built native kernels (${label}, ${extra})`);
}

try {
  main();
} catch (e) {
  notBuilt(`unexpected error: ${e?.message ?? e}`);
}
