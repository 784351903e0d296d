import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  crc32c,
  frameRecord,
  maskedCrc32c,
  readRecordFile,
  readRecords,
  TFRecordWriter,
} from './tfrecord.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('CRC-32C', () => {
  it('matches the published check values', () => {
    expect(crc32c(bytes('123456789'))).toBe(0xe3069283); // the CRC catalogue's check value
    // RFC 3720 (iSCSI), appendix B.4: 32 bytes of zeros, of 0xff, and ascending 0..31.
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(new Uint8Array())).toBe(0);
  });
  it('masks as TensorFlow does: rotate right by 15, add 0xa282ead8', () => {
    const c = crc32c(bytes('123456789'));
    expect(maskedCrc32c(bytes('123456789'))).toBe(((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0);
    // TensorFlow's crc32c_test.cc: masking changes the value and is not the identity twice.
    expect(maskedCrc32c(bytes('foo'))).not.toBe(crc32c(bytes('foo')));
  });
});

describe('TFRecord framing', () => {
  it('is length, masked CRC of the length, data, masked CRC of the data', () => {
    const data = bytes('hello');
    const r = frameRecord(data);
    expect(r.length).toBe(8 + 4 + 5 + 4);
    expect(r.readBigUInt64LE(0)).toBe(5n);
    expect(r.readUInt32LE(8)).toBe(maskedCrc32c(r.subarray(0, 8)));
    expect(new TextDecoder().decode(r.subarray(12, 17))).toBe('hello');
    expect(r.readUInt32LE(17)).toBe(maskedCrc32c(data));
  });
  it('reads back what it wrote, drops a cut-off last record, refuses a bad CRC', () => {
    const recs = ['a', '', 'three'].map(bytes);
    const buf = Buffer.concat(recs.map(frameRecord));
    expect(readRecords(buf).map((r) => new TextDecoder().decode(r))).toEqual(['a', '', 'three']);
    expect(readRecords(buf.subarray(0, buf.length - 3))).toHaveLength(2);
    const bad = Buffer.from(buf);
    bad[13] ^= 1; // inside the first record's data
    expect(() => readRecords(bad, 'f')).toThrow(/f: data CRC mismatch in the record at byte 0/);
    const badLen = Buffer.from(buf);
    badLen[0] ^= 1;
    expect(() => readRecords(badLen, 'f')).toThrow(/length CRC mismatch/);
  });
  it('a writer appends whole records to a file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfrecord-'));
    const file = path.join(dir, 'x.tfrecord');
    const w = new TFRecordWriter(file);
    w.write(bytes('one'));
    w.write(bytes('two'));
    expect(readRecordFile(file)).toHaveLength(2); // on disk before close
    w.close();
    expect(() => w.write(bytes('three'))).toThrow(/is closed/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
