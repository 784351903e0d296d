import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CorruptCheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  type SafeTensor,
  sha256File,
  writeSafetensors,
} from './safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'safetensors-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sample(): Record<string, SafeTensor> {
  return {
    'transformer.wte.weight': {
      dtype: 'F32',
      shape: [3, 2],
      data: new Float32Array([1, -2, 3.5, 0, 1e-30, -0]),
    },
    step: { dtype: 'I64', shape: [], data: new BigInt64Array([123456789012345n]) },
    ids: { dtype: 'I32', shape: [2, 2], data: new Int32Array([-1, 0, 7, 2 ** 31 - 1]) },
    half: { dtype: 'F16', shape: [3], data: new Uint16Array([0x3c00, 0xc000, 0x7bff]) },
    bhalf: { dtype: 'BF16', shape: [1, 1], data: new Uint16Array([0x3f80]) },
    flags: { dtype: 'U8', shape: [5], data: new Uint8Array([1, 2, 3, 4, 5]) },
    empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
  };
}

/** Writes `bytes` to a fresh file and returns its path. */
function fileWith(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

function headerBytes(json: string): Uint8Array {
  const body = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + body.byteLength);
  out.writeBigUInt64LE(BigInt(body.byteLength), 0);
  body.copy(out, 8);
  return out;
}

function expectCorrupt(path: string, pattern: RegExp): void {
  let err: unknown;
  try {
    readSafetensors(path);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CorruptCheckpointError);
  const msg = (err as Error).message;
  expect(msg).toContain(path);
  expect(msg).not.toContain('\n');
  expect(msg).toMatch(pattern);
}

describe('safetensors round trip', () => {
  it('writes and reads back every dtype, shape and the metadata', () => {
    const p = join(dir, 'round.safetensors');
    const tensors = sample();
    writeSafetensors(p, tensors, { format: 'pt', step: '42', ünïcode: 'välue' });
    const back = readSafetensors(p);
    expect(back.metadata).toEqual({ format: 'pt', step: '42', ünïcode: 'välue' });
    expect(Object.keys(back.tensors)).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const r = back.tensors[name];
      expect(r.dtype).toBe(t.dtype);
      expect(r.shape).toEqual(t.shape);
      expect(r.data.constructor).toBe(t.data.constructor);
      expect(Array.from(r.data as ArrayLike<number | bigint>)).toEqual(
        Array.from(t.data as ArrayLike<number | bigint>),
      );
    }
    expect(Object.is((back.tensors['transformer.wte.weight'].data as Float32Array)[5], -0)).toBe(true);
    // header length is a multiple of 8, and no temporary file is left behind
    const bytes = readFileSync(p);
    expect(Number(bytes.readBigUInt64LE(0)) % 8).toBe(0);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('omits __metadata__ when none is given and reads an empty map back', () => {
    const p = join(dir, 'nometa.safetensors');
    writeSafetensors(p, { x: { dtype: 'U8', shape: [1], data: new Uint8Array([9]) } });
    expect(readFileSync(p).toString('latin1')).not.toContain('__metadata__');
    expect(readSafetensors(p).metadata).toEqual({});
  });

  it('handles typed arrays that are views into a larger buffer', () => {
    const big = new Float32Array([9, 9, 1, 2, 3, 9]);
    const view = big.subarray(2, 5);
    const back = decodeSafetensors(encodeSafetensors({ v: { dtype: 'F32', shape: [3], data: view } }));
    expect(Array.from(back.tensors.v.data as Float32Array)).toEqual([1, 2, 3]);
  });

  it('overwrites an existing file atomically', () => {
    const p = join(dir, 'over.safetensors');
    writeSafetensors(p, { a: { dtype: 'U8', shape: [1], data: new Uint8Array([1]) } });
    writeSafetensors(p, { b: { dtype: 'U8', shape: [2], data: new Uint8Array([2, 3]) } });
    expect(Object.keys(readSafetensors(p).tensors)).toEqual(['b']);
  });

  it('refuses data whose size does not match dtype * shape', () => {
    expect(() =>
      writeSafetensors(join(dir, 'bad.safetensors'), {
        a: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) },
      }),
    ).toThrow(/needs 16 bytes, data has 12/);
    expect(existsSync(join(dir, 'bad.safetensors'))).toBe(false);
  });

  it('sha256File matches node:crypto over the bytes', () => {
    const p = join(dir, 'round.safetensors');
    writeSafetensors(p, sample());
    expect(sha256File(p)).toBe(createHash('sha256').update(readFileSync(p)).digest('hex'));
    expect(sha256File(fileWith('empty.bin', new Uint8Array(0)))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });
});

describe('safetensors byte layout', () => {
  it('matches a hand-computed tiny file', () => {
    const bytes = encodeSafetensors(
      {
        b: { dtype: 'U8', shape: [2], data: new Uint8Array([1, 2]) },
        a: { dtype: 'F32', shape: [1], data: new Float32Array([1]) },
      },
      { k: 'v' },
    );
    // 131 bytes of JSON, padded with 5 spaces to 136 = 0x88.
    const json =
      '{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},' +
      '"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}}     ';
    // biome-ignore format: a byte table reads best one field per line
    const expected = [
      0x88, 0, 0, 0, 0, 0, 0, 0, // header length N = 136, u64 little-endian
      ...Array.from(json, (c) => c.charCodeAt(0)),
      0x00, 0x00, 0x80, 0x3f, // a: 1.0f little-endian, data_offsets [0, 4]
      0x01, 0x02, // b: data_offsets [4, 6]
    ];
    expect(json.length).toBe(136);
    expect(Array.from(bytes)).toEqual(expected);
  });
});

describe('safetensors validation', () => {
  const good = encodeSafetensors(sample(), { format: 'pt' });

  it('detects a file shorter than 8 bytes', () => {
    expectCorrupt(fileWith('tiny.safetensors', good.subarray(0, 5)), /shorter than the 8-byte header length/);
    expectCorrupt(fileWith('zero.safetensors', new Uint8Array(0)), /file is 0 bytes/);
  });

  it('detects truncation inside the header', () => {
    expectCorrupt(fileWith('trunc-header.safetensors', good.subarray(0, 40)), /header length \d+ exceeds/);
  });

  it('detects truncation inside the data', () => {
    expectCorrupt(
      fileWith('trunc-data.safetensors', good.subarray(0, good.byteLength - 3)),
      /run past|cover/,
    );
  });

  it('detects trailing bytes after the data', () => {
    const extra = Buffer.concat([good, Buffer.from([0, 0, 0, 0])]);
    expectCorrupt(fileWith('trailing.safetensors', extra), /data section is \d+ bytes but the tensors cover/);
  });

  it('detects an absurd header length', () => {
    const b = Buffer.from(good);
    b.writeBigUInt64LE(2n ** 63n, 0);
    expectCorrupt(fileWith('huge.safetensors', b), /header length 9223372036854775808 exceeds/);
  });

  it('detects a corrupted header', () => {
    const b = Buffer.from(good);
    b[8 + b.toString('latin1', 8).indexOf(':')] = 0x21; // first ':' becomes '!'
    expectCorrupt(fileWith('badjson.safetensors', b), /not valid JSON/);
    const c = Buffer.from(good);
    c[8] = 0x5b; // '['
    expectCorrupt(fileWith('notobj.safetensors', c), /does not start with '\{'/);
    const d = Buffer.from(good);
    d[9] = 0xff;
    expectCorrupt(fileWith('utf8.safetensors', d), /not valid UTF-8/);
  });

  it('detects offsets out of bounds, overlapping, gapped, or sized wrongly', () => {
    const data = new Uint8Array(8);
    const withHeader = (json: string) => Buffer.concat([headerBytes(json), data]);
    expectCorrupt(
      fileWith('oob.safetensors', withHeader('{"a":{"dtype":"U8","shape":[16],"data_offsets":[0,16]}}')),
      /run past the 8-byte data section/,
    );
    expectCorrupt(
      fileWith(
        'overlap.safetensors',
        withHeader(
          '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[2,10]}}',
        ),
      ),
      /run past|overlap/,
    );
    expectCorrupt(
      fileWith(
        'overlap2.safetensors',
        withHeader(
          '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
        ),
      ),
      /'b' data_offsets \[4, 8\] overlap/,
    );
    expectCorrupt(
      fileWith(
        'gap.safetensors',
        withHeader(
          '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[6,8]}}',
        ),
      ),
      /gap in the data section: bytes \[4, 6\)/,
    );
    expectCorrupt(
      fileWith('size.safetensors', withHeader('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}')),
      /F32\[3\] needs 12 bytes but data_offsets \[0, 8\] span 8/,
    );
    expectCorrupt(
      fileWith('dtype.safetensors', withHeader('{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}')),
      /unsupported dtype "F64"/,
    );
    expectCorrupt(
      fileWith('shape.safetensors', withHeader('{"a":{"dtype":"U8","shape":[-8],"data_offsets":[0,8]}}')),
      /invalid shape/,
    );
    expectCorrupt(
      fileWith('offs.safetensors', withHeader('{"a":{"dtype":"U8","shape":[8],"data_offsets":[8,0]}}')),
      /invalid data_offsets/,
    );
    expectCorrupt(
      fileWith(
        'meta.safetensors',
        withHeader('{"__metadata__":{"n":1},"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}'),
      ),
      /__metadata__\.n is not a string/,
    );
    // and the same bytes with a valid header read fine
    const ok = readSafetensors(
      fileWith('ok.safetensors', withHeader('{"a":{"dtype":"U8","shape":[2,4],"data_offsets":[0,8]}}')),
    );
    expect(ok.tensors.a.shape).toEqual([2, 4]);
  });
});

// Cross-check with the reference implementation when python3 has it (usually it does not).
const hasPySafetensors =
  spawnSync('python3', ['-c', 'import safetensors.numpy'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasPySafetensors)('safetensors vs the python reference', () => {
  it('python reads what we write and we read what python writes', () => {
    const ours = join(dir, 'ours.safetensors');
    const theirs = join(dir, 'theirs.safetensors');
    writeSafetensors(ours, sample(), { format: 'np' });
    const script = [
      'import sys, json, numpy as np',
      'from safetensors.numpy import load_file, save_file',
      'from safetensors import safe_open',
      't = load_file(sys.argv[1])',
      'assert t["transformer.wte.weight"].tolist() == [[1, -2], [3.5, 0], [np.float32(1e-30), 0]], t',
      'assert t["step"].tolist() == 123456789012345',
      'with safe_open(sys.argv[1], "np") as f: assert f.metadata() == {"format": "np"}',
      'save_file({"w": np.arange(6, dtype=np.float32).reshape(2, 3), "i": np.array([5, -6], dtype=np.int64)}, sys.argv[2], {"who": "py"})',
    ].join('\n');
    const r = spawnSync('python3', ['-c', script, ours, theirs], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const back = readSafetensors(theirs);
    expect(back.metadata).toEqual({ who: 'py' });
    expect(back.tensors.w.shape).toEqual([2, 3]);
    expect(Array.from(back.tensors.w.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(back.tensors.i.data as BigInt64Array)).toEqual([5n, -6n]);
  });
});
