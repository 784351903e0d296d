import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type MetricRow, MetricsWriter, readMetrics } from './metrics.js';
import {
  CONFIG_TAG,
  decodeEvent,
  EventFileWriter,
  encodeEvent,
  eventFiles,
  FILE_VERSION,
  modelDir,
  readEventFile,
  rowScalars,
  type TensorBoardEvent,
  TensorBoardSink,
} from './tensorboard.js';
import { readRecordFile } from './tfrecord.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tensorboard-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('Event protos', () => {
  it('encode with the field numbers of event.proto and summary.proto (pinned bytes)', () => {
    // wall_time=1 (double), step=2 (varint), summary=5 { value=1 { tag=1, simple_value=2 (float) } }.
    // simple_value sits in the `value` oneof, so 0 is still written (TensorBoard drops a value with none set).
    const e = encodeEvent({ wallTime: 1.5, step: 3, values: [{ tag: 'a', simpleValue: 0 }] });
    expect(hex(e)).toBe(`09${'000000000000f83f'}1003${'2a0a'}${'0a08'}0a0161${'1500000000'}`);
    expect(hex(encodeEvent({ wallTime: 0, step: 0, fileVersion: FILE_VERSION }))).toBe(
      `1a0d${Buffer.from('brain.Event:2').toString('hex')}`,
    );
  });
  it('round-trip scalars (float32), text summaries and the file version', () => {
    const events: TensorBoardEvent[] = [
      { wallTime: 1700000000.25, step: 0, fileVersion: FILE_VERSION },
      {
        wallTime: 1700000001.5,
        step: 12345678901,
        values: [
          { tag: 'train/loss', simpleValue: Math.fround(2.5) },
          { tag: 'zero', simpleValue: 0 },
          { tag: 'nan', simpleValue: Number.NaN },
          { tag: 'inf', simpleValue: Number.POSITIVE_INFINITY },
        ],
      },
      { wallTime: 2, step: 0, values: [{ tag: 'config', text: '    {"a": "é"}', pluginName: 'text' }] },
    ];
    expect(events.map((e) => decodeEvent(encodeEvent(e)))).toEqual(events);
  });
  it('write the text summary as TensorBoard text plugin data: a DT_STRING tensor, plugin "text"', () => {
    const b = encodeEvent({ wallTime: 0, step: 0, values: [{ tag: 't', text: 'hi', pluginName: 'text' }] });
    const h = hex(b);
    // Value { tag "t"; tensor(8) { dtype(1)=7; tensor_shape(2) {}; string_val(8) "hi" };
    //         metadata(9) { plugin_data(1) { plugin_name(1) "text" }; data_class(4)=2 } }
    expect(h).toContain(
      `0a0174${'4208'}${'0807'}${'1200'}${'42026869'}${'4a0a'}${'0a06'}${'0a0474657874'}${'2002'}`,
    );
  });
});

describe('event files', () => {
  it('start with file_version and append each event as it is written', () => {
    const dir = path.join(tmp, 'w');
    const w = new EventFileWriter(dir);
    w.scalars(5, { 'val/loss': 1.25 }, 100);
    const events = readEventFile(w.file); // before close: every event is on disk already
    expect(events[0].fileVersion).toBe(FILE_VERSION);
    expect(events[1]).toEqual({ wallTime: 100, step: 5, values: [{ tag: 'val/loss', simpleValue: 1.25 }] });
    w.close();
    expect(path.basename(w.file)).toMatch(/^events\.out\.tfevents\.\d+\./);
    expect(eventFiles(dir)).toEqual([w.file]);
  });
  it('name model directories for TensorBoard runs', () => {
    expect(modelDir('L1-D8')).toBe('L1-D8');
    expect(modelDir('DOC-SENTENCES (static masking) | seed 1 | spam')).toBe(
      'DOC-SENTENCES-static-masking/seed-1/spam',
    );
    expect(modelDir('../x | | y')).toBe('x/y');
    expect(modelDir('')).toBe('unnamed');
  });
  it('turn measurement columns into <split>/<column> scalars', () => {
    const row: MetricRow = {
      model: 'm',
      split: 'train',
      step: 10,
      tokens: 640,
      compute: 1e6,
      loss: 2,
      lr: 0.001,
      tokensPerSec: 900,
      elapsedSec: 3,
      variant: 'x',
    };
    expect(rowScalars(row)).toEqual({ 'train/loss': 2, 'train/lr': 0.001, 'train/tokensPerSec': 900 });
  });
});

/** The scalars of an event file, row by row, for comparison with metrics.jsonl. */
function scalarsOf(file: string) {
  return readEventFile(file)
    .filter((e) => e.values && !e.values.some((v) => v.tag === CONFIG_TAG))
    .map((e) => ({
      step: e.step,
      wallTime: e.wallTime,
      values: Object.fromEntries(e.values!.map((v) => [v.tag, 'simpleValue' in v ? v.simpleValue : v.text])),
    }));
}
const expected = (rows: MetricRow[], model: string) =>
  rows
    .filter((r) => r.model === model)
    .map((r) => ({
      step: r.step,
      values: Object.fromEntries(Object.entries(rowScalars(r)).map(([k, v]) => [k, Math.fround(v)])),
    }));
const withoutExtras = (xs: ReturnType<typeof scalarsOf>) =>
  xs.map(({ step, values }) => ({
    step,
    values: Object.fromEntries(Object.entries(values).filter(([k]) => k !== 'train/gradNorm')),
  }));

describe('TensorBoardSink', () => {
  const rows = (model: string, from: number, to: number, shift = 0): MetricRow[] =>
    Array.from({ length: to - from + 1 }, (_, i): MetricRow => {
      const step = from + i;
      return step % 2 === 0
        ? { model, split: 'val', step, tokens: step * 8, loss: 3 - step / 10 + shift }
        : { model, split: 'train', step, tokens: step * 8, loss: 3.1 - step / 10 + shift, lr: 0.01 / step };
    });

  it('writes one event file per model, the config first, every row of metrics.jsonl after it', () => {
    const dir = path.join(tmp, 'run1');
    fs.mkdirSync(dir);
    const metricsPath = path.join(dir, 'metrics.jsonl');
    const sink = new TensorBoardSink({ dir: path.join(dir, 'tb'), metricsPath, config: { lr: 0.01 } });
    const metrics = new MetricsWriter(metricsPath, [sink]);
    for (const r of [...rows('a', 0, 3), ...rows('b | seed 1', 0, 2)])
      metrics.append(r, r.split === 'train' ? { gradNorm: (r.step as number) / 4 } : {});
    metrics.close();
    const all = readMetrics(metricsPath);
    for (const model of ['a', 'b | seed 1']) {
      const files = eventFiles(path.join(dir, 'tb', modelDir(model)));
      expect(files).toHaveLength(1);
      const events = readEventFile(files[0]);
      expect(events[0].fileVersion).toBe(FILE_VERSION);
      expect(events[1].values).toEqual([
        { tag: 'config', text: '    {\n      "lr": 0.01\n    }', pluginName: 'text' },
      ]);
      expect(withoutExtras(scalarsOf(files[0]))).toEqual(expected(all, model));
      for (const e of scalarsOf(files[0]))
        if (e.step % 2 === 1) expect(e.values['train/gradNorm']).toBe(e.step / 4);
    }
    expect(readRecordFile(eventFiles(path.join(dir, 'tb', 'a'))[0])).toHaveLength(2 + 4);
  });

  it('rebuilds the files of a run written without them', () => {
    const dir = path.join(tmp, 'old-run');
    fs.mkdirSync(dir);
    const metricsPath = path.join(dir, 'metrics.jsonl');
    const plain = new MetricsWriter(metricsPath);
    for (const r of [...rows('x', 0, 4), ...rows('y', 0, 1)]) plain.append(r);
    const sink = new TensorBoardSink({ dir: path.join(dir, 'tb'), metricsPath });
    expect(sink.rebuild()).toEqual(['x', 'y']);
    for (const m of ['x', 'y'])
      expect(
        scalarsOf(eventFiles(path.join(dir, 'tb', m))[0]).map(({ step, values }) => ({ step, values })),
      ).toEqual(expected(readMetrics(metricsPath), m));
  });

  it('after a kill and resume (metrics.jsonl cut back), the file agrees with metrics.jsonl again', () => {
    const dir = path.join(tmp, 'run2');
    fs.mkdirSync(dir);
    const metricsPath = path.join(dir, 'metrics.jsonl');
    const first = new MetricsWriter(metricsPath, [
      new TensorBoardSink({ dir: path.join(dir, 'tb'), metricsPath }),
    ]);
    let checkpointBytes = 0;
    for (const r of rows('m', 0, 6)) {
      first.append(r, r.split === 'train' ? { gradNorm: 7 } : {});
      if (r.step === 3) checkpointBytes = first.size();
    }
    const before = scalarsOf(eventFiles(path.join(dir, 'tb', 'm'))[0]);
    // Killed without close; the resumed process cuts metrics back to its checkpoint (step 3)
    // and writes steps 4 to 8 again, with other values.
    const second = new MetricsWriter(metricsPath, [
      new TensorBoardSink({ dir: path.join(dir, 'tb'), metricsPath }),
    ]);
    second.truncate(checkpointBytes);
    for (const r of rows('m', 4, 8, 0.5)) second.append(r, r.split === 'train' ? { gradNorm: 9 } : {});
    second.close();
    const files = eventFiles(path.join(dir, 'tb', 'm'));
    expect(files).toHaveLength(1); // the old file was replaced
    const after = scalarsOf(files[0]);
    expect(withoutExtras(after)).toEqual(expected(readMetrics(metricsPath), 'm'));
    expect(after.map((e) => e.values['train/gradNorm'])).toEqual([
      undefined,
      7,
      undefined,
      7,
      undefined,
      9,
      undefined,
      9,
      undefined,
    ]);
    // Rows kept from before the kill keep their wall times.
    expect(after.slice(0, 4).map((e) => e.wallTime)).toEqual(before.slice(0, 4).map((e) => e.wallTime));
  });
});
