import { createHash } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { endianness } from 'node:os';
import { dirname } from 'node:path';

/**
 * safetensors files (https://github.com/huggingface/safetensors), read and written in plain TS.
 *
 * Layout: an 8-byte little-endian u64 N, then N bytes of UTF-8 JSON header, then the byte buffer.
 * The header is `{"__metadata__": {string: string}, name: {dtype, shape, data_offsets: [begin, end]}, ...}`
 * with offsets relative to the start of the byte buffer. This writer puts `__metadata__` first
 * (only when metadata is given), then the tensors in sorted name order, stores their bytes in the
 * same order, back to back, and pads the header with spaces so N is a multiple of 8 (the byte
 * buffer then starts 8-byte aligned). All data is little-endian, row-major.
 */

export type SafetensorsDtype = 'F32' | 'I32' | 'F16' | 'BF16' | 'I64' | 'U8';

/** Element size in bytes of each supported dtype. */
export const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = {
  F32: 4,
  I32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  U8: 1,
};

/** Arrays accepted by the writer. F16/BF16 are raw 16-bit patterns; a Uint8Array is taken as raw bytes for any dtype. */
export type TensorData = Float32Array | Int32Array | Uint16Array | BigInt64Array | Uint8Array;

export interface SafeTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: TensorData;
}

/** What the reader returns for each dtype: F32 Float32Array, I32 Int32Array, F16/BF16 Uint16Array, I64 BigInt64Array, U8 Uint8Array. */
export interface SafetensorsFile {
  tensors: Record<string, SafeTensor>;
  metadata: Record<string, string>;
}

/** A checkpoint file that is not a valid safetensors file; the message names the file and the problem, on one line. */
export class CorruptCheckpointError extends Error {
  readonly file: string;
  readonly reason: string;
  constructor(file: string, reason: string) {
    super(`corrupt checkpoint ${file}: ${reason}`.replace(/[\r\n]+/g, ' '));
    this.name = 'CorruptCheckpointError';
    this.file = file;
    this.reason = reason;
  }
}

/** The header refuses lengths over this (as the reference implementation does). */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

function isDtype(x: unknown): x is SafetensorsDtype {
  return typeof x === 'string' && Object.hasOwn(DTYPE_BYTES, x);
}

function checkLittleEndian(): void {
  if (endianness() !== 'LE') throw new Error('safetensors: only little-endian hosts are supported');
}

function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function bytesOf(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function sortedNames(names: string[]): string[] {
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Builds the padded header bytes (including the 8-byte length prefix) and the tensors' bytes in file order. */
function encode(
  tensors: Record<string, SafeTensor>,
  metadata: Record<string, string> | undefined,
): { header: Uint8Array; chunks: Uint8Array[] } {
  checkLittleEndian();
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    const meta: Record<string, string> = {};
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`safetensors metadata '${k}' must be a string`);
      meta[k] = v;
    }
    header[METADATA_KEY] = meta;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of sortedNames(Object.keys(tensors))) {
    if (name === METADATA_KEY || name.length === 0)
      throw new TypeError(`safetensors: invalid tensor name '${name}'`);
    const t = tensors[name];
    if (!isDtype(t.dtype))
      throw new TypeError(`safetensors: tensor '${name}' has unsupported dtype ${String(t.dtype)}`);
    for (const d of t.shape) {
      if (!Number.isSafeInteger(d) || d < 0)
        throw new TypeError(`safetensors: tensor '${name}' has invalid shape [${t.shape.join(', ')}]`);
    }
    const bytes = bytesOf(t.data);
    const expected = numel(t.shape) * DTYPE_BYTES[t.dtype];
    if (bytes.byteLength !== expected) {
      throw new RangeError(
        `safetensors: tensor '${name}' ${t.dtype}[${t.shape.join(', ')}] needs ${expected} bytes, data has ${bytes.byteLength}`,
      );
    }
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + expected] };
    offset += expected;
    chunks.push(bytes);
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const out = Buffer.alloc(8 + padded, 0x20);
  out.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(out, 8);
  return { header: out, chunks };
}

/** The whole file as one buffer (for tests and small in-memory use). */
export function encodeSafetensors(
  tensors: Record<string, SafeTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const { header, chunks } = encode(tensors, metadata);
  return Buffer.concat([header, ...chunks]);
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) {
    done += writeSync(fd, bytes, done, bytes.byteLength - done);
  }
}

/**
 * Writes `tensors` (and optional string metadata) to `path` atomically: the bytes go to
 * `path.tmp-<pid>`, which is fsynced and then renamed over `path` (the directory is fsynced
 * too where the platform allows). On failure the temporary file is removed.
 */
export function writeSafetensors(
  path: string,
  tensors: Record<string, SafeTensor>,
  metadata?: Record<string, string>,
): void {
  const { header, chunks } = encode(tensors, metadata);
  const tmp = `${path}.tmp-${process.pid}`;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    writeAll(fd, header);
    for (const c of chunks) writeAll(fd, c);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing; keep the first error
      }
    }
    rmSync(tmp, { force: true });
    throw err;
  }
  try {
    const dfd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // directory fsync is not supported everywhere (e.g. Windows); the rename already happened
  }
}

function copyAs(dtype: SafetensorsDtype, bytes: Uint8Array): TensorData {
  // Copy into a fresh, aligned buffer: the data region need not be aligned for the element type.
  // (Not bytes.slice(): on a Buffer that is a view, not a copy.)
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  const buf = copy.buffer;
  switch (dtype) {
    case 'F32':
      return new Float32Array(buf);
    case 'I32':
      return new Int32Array(buf);
    case 'F16':
    case 'BF16':
      return new Uint16Array(buf);
    case 'I64':
      return new BigInt64Array(buf);
    case 'U8':
      return new Uint8Array(buf);
  }
}

function describe(x: unknown): string {
  const s = JSON.stringify(x);
  return s === undefined ? String(x) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Parses a whole safetensors file held in memory. `file` is only used in error messages.
 * Every problem throws CorruptCheckpointError.
 */
export function decodeSafetensors(bytes: Uint8Array, file = '<buffer>'): SafetensorsFile {
  checkLittleEndian();
  const fail: (reason: string) => never = (reason) => {
    throw new CorruptCheckpointError(file, reason);
  };
  if (bytes.byteLength < 8) fail(`file is ${bytes.byteLength} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(bytes.byteLength - 8))
    fail(
      `header length ${n64} exceeds the ${bytes.byteLength - 8} bytes after the length prefix (truncated file?)`,
    );
  if (n64 > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n64} is over the ${MAX_HEADER_BYTES}-byte limit`);
  const n = Number(n64);
  if (n < 2) fail(`header length ${n} is too small to hold a JSON object`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail(`header does not start with '{'`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return fail(`header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return fail('header is not a JSON object');
  const header = parsed as Record<string, unknown>;

  const metadata: Record<string, string> = {};
  const meta = header[METADATA_KEY];
  if (meta !== undefined) {
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta))
      fail(`${METADATA_KEY} is not an object`);
    for (const [k, v] of Object.entries(meta as Record<string, unknown>)) {
      if (typeof v !== 'string') fail(`${METADATA_KEY}.${k} is not a string`);
      metadata[k] = v as string;
    }
  }

  const dataStart = 8 + n;
  const dataLength = bytes.byteLength - dataStart;
  const entries: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] =
    [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      fail(`tensor '${name}' entry is not an object`);
    const info = value as Record<string, unknown>;
    const { dtype, shape, data_offsets: offsets } = info;
    if (!isDtype(dtype)) return fail(`tensor '${name}' has unsupported dtype ${describe(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      return fail(`tensor '${name}' has invalid shape ${describe(shape)}`);
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0) ||
      (offsets[0] as number) > (offsets[1] as number)
    ) {
      return fail(`tensor '${name}' has invalid data_offsets ${describe(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataLength)
      fail(
        `tensor '${name}' data_offsets [${begin}, ${end}] run past the ${dataLength}-byte data section (truncated file?)`,
      );
    const expected = numel(shape as number[]) * DTYPE_BYTES[dtype];
    if (end - begin !== expected) {
      fail(
        `tensor '${name}' ${dtype}[${(shape as number[]).join(', ')}] needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
      );
    }
    entries.push({ name, dtype, shape: [...(shape as number[])], begin, end });
  }

  // The tensors must tile the data section exactly: sorted by offset, each starts where the last ended.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of entries) {
    if (e.begin < cursor)
      fail(
        `tensor '${e.name}' data_offsets [${e.begin}, ${e.end}] overlap the previous tensor (ends at ${cursor})`,
      );
    if (e.begin > cursor)
      fail(`gap in the data section: bytes [${cursor}, ${e.begin}) belong to no tensor (before '${e.name}')`);
    cursor = e.end;
  }
  if (cursor !== dataLength) fail(`data section is ${dataLength} bytes but the tensors cover ${cursor}`);

  const byName = new Map(entries.map((e) => [e.name, e]));
  const tensors: Record<string, SafeTensor> = {};
  for (const name of sortedNames([...byName.keys()])) {
    const e = byName.get(name) as (typeof entries)[number];
    tensors[name] = {
      dtype: e.dtype,
      shape: e.shape,
      data: copyAs(e.dtype, bytes.subarray(dataStart + e.begin, dataStart + e.end)),
    };
  }
  return { tensors, metadata };
}

/** Reads and validates a safetensors file; any format problem throws CorruptCheckpointError (I/O errors propagate as is). */
export function readSafetensors(path: string): SafetensorsFile {
  return decodeSafetensors(readFileSync(path), path);
}

/** Hex SHA-256 of a file's bytes, read in 1 MiB chunks. */
export function sha256File(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const got = readSync(fd, buf, 0, buf.byteLength, null);
      if (got === 0) break;
      hash.update(buf.subarray(0, got));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
