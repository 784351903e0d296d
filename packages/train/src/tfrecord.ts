/**
 * TFRecord framing, as TensorFlow's `tensorflow/core/lib/io/record_writer.cc` writes it and
 * TensorBoard reads it: each record is
 *
 *   uint64 length (little-endian)
 *   uint32 masked_crc32c(length bytes)
 *   byte   data[length]
 *   uint32 masked_crc32c(data)
 *
 * CRC-32C is the Castagnoli polynomial (0x82F63B78 reflected), and the mask is
 * `((crc >>> 15) | (crc << 17)) + 0xa282ead8` (record_writer.h's MaskedCrc). The CRC is a
 * dozen lines with a 256-entry table, so it is written here rather than taken from npm: the
 * maintained CRC-32C packages either ship native code or pull in an SDK's utility packages.
 */
import fs from 'node:fs';
import { ResultsWriteError } from './metrics.js';

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli) of `bytes`, as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC32C_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: a stored CRC of data that itself holds CRCs is then not a CRC of it. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One framed record: header (length, its masked CRC), data, masked CRC of the data. */
export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

export class TFRecordError extends Error {
  override name = 'TFRecordError';
}

/**
 * The records of a TFRecord file, each CRC checked. A final record cut short (a writer killed
 * mid-write) is dropped, as TensorBoard does; a CRC mismatch anywhere is an error.
 */
export function readRecords(buf: Uint8Array, file = 'TFRecord data'): Uint8Array[] {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const records: Uint8Array[] = [];
  let off = 0;
  while (off < b.length) {
    if (off + 12 > b.length) break; // truncated header
    const lengthBytes = b.subarray(off, off + 8);
    if (b.readUInt32LE(off + 8) !== maskedCrc32c(lengthBytes))
      throw new TFRecordError(`${file}: length CRC mismatch in the record at byte ${off}`);
    const length = Number(b.readBigUInt64LE(off));
    const start = off + 12;
    if (start + length + 4 > b.length) break; // truncated data
    const data = b.subarray(start, start + length);
    if (b.readUInt32LE(start + length) !== maskedCrc32c(data))
      throw new TFRecordError(`${file}: data CRC mismatch in the record at byte ${off}`);
    records.push(new Uint8Array(data));
    off = start + length + 4;
  }
  return records;
}

export function readRecordFile(file: string): Uint8Array[] {
  return readRecords(fs.readFileSync(file), file);
}

/**
 * Appends records to a file. Each record goes to the OS in one write, unbuffered here, so a
 * process killed at any point (even `kill -9`) leaves every earlier record whole; `close`
 * only releases the descriptor.
 */
export class TFRecordWriter {
  private fd: number | null;

  constructor(readonly path: string) {
    try {
      this.fd = fs.openSync(path, 'a');
    } catch (e) {
      throw new ResultsWriteError(path, e as Error);
    }
  }

  write(data: Uint8Array): void {
    if (this.fd === null) throw new Error(`${this.path} is closed`);
    const framed = frameRecord(data);
    try {
      let done = 0;
      while (done < framed.length) done += fs.writeSync(this.fd, framed, done);
    } catch (e) {
      throw new ResultsWriteError(this.path, e as Error);
    }
  }

  close(): void {
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
  }
}
