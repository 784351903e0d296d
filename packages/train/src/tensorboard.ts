/**
 * TensorBoard event files, written without TensorFlow: TFRecord-framed (tfrecord.ts) `Event`
 * protos, encoded with @bufbuild/protobuf from a descriptor of the few fields used here, with
 * the field numbers of TensorFlow's event.proto, summary.proto, tensor.proto and
 * tensor_shape.proto. The first event of a file carries `file_version: "brain.Event:2"`; each
 * later one `wall_time`, `step` and a `summary` of `{tag, simple_value}` scalars, or the
 * resolved config as a text summary (a string tensor with plugin `text`, as TensorBoard's text
 * plugin writes and reads it).
 *
 * `TensorBoardSink` turns metric rows into one event file per model (or unit) under
 * `<run>/tb/<model>/`. metrics.jsonl stays the record: when a model's file is opened, it is
 * rebuilt from that model's rows in metrics.jsonl (wall times and sink-only values such as the
 * gradient norm are kept from the previous file where their row is still there), so a run
 * resumed after a kill, whose metrics.jsonl was cut back to its checkpoint, has event files that
 * agree with it row for row.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { create, createFileRegistry, type DescMessage, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema,
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
} from '@bufbuild/protobuf/wkt';
import { type MetricRow, type MetricsSink, ResultsWriteError, readMetrics } from './metrics.js';
import { frameRecord, readRecordFile, TFRecordWriter } from './tfrecord.js';

export const FILE_VERSION = 'brain.Event:2';
/** tensorflow.DataType.DT_STRING */
const DT_STRING = 7;
/** tensorflow.DataClass.DATA_CLASS_TENSOR, what the text plugin's summaries declare. */
const DATA_CLASS_TENSOR = 2;

type FieldSpec = [
  name: string,
  number: number,
  type: Type,
  extra?: { typeName?: string; repeated?: boolean; oneof?: number },
];
const field = ([name, number, type, extra = {}]: FieldSpec) => ({
  name,
  number,
  type,
  label: extra.repeated ? Label.REPEATED : Label.OPTIONAL,
  ...(extra.typeName ? { typeName: `.tensorflow.${extra.typeName}` } : {}),
  ...(extra.oneof !== undefined ? { oneofIndex: extra.oneof } : {}),
});

// The subset of TensorFlow's protos used here; field numbers as upstream. Both oneofs matter:
// a proto3 float outside a oneof is not written when it is 0, and TensorBoard drops a
// Summary.Value with no `value` case set.
const registry = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: 'pretrain_lab_tensorboard.proto',
    package: 'tensorflow',
    syntax: 'proto3',
    messageType: [
      {
        name: 'Event', // event.proto
        field: [
          ['wall_time', 1, Type.DOUBLE],
          ['step', 2, Type.INT64],
          ['file_version', 3, Type.STRING, { oneof: 0 }],
          ['summary', 5, Type.MESSAGE, { typeName: 'Summary', oneof: 0 }],
        ].map((f) => field(f as FieldSpec)),
        oneofDecl: [{ name: 'what' }],
      },
      {
        name: 'Summary', // summary.proto
        field: [field(['value', 1, Type.MESSAGE, { typeName: 'Summary.Value', repeated: true }])],
        nestedType: [
          {
            name: 'Value',
            field: [
              ['tag', 1, Type.STRING],
              ['simple_value', 2, Type.FLOAT, { oneof: 0 }],
              ['tensor', 8, Type.MESSAGE, { typeName: 'TensorProto', oneof: 0 }],
              ['metadata', 9, Type.MESSAGE, { typeName: 'SummaryMetadata' }],
            ].map((f) => field(f as FieldSpec)),
            oneofDecl: [{ name: 'value' }],
          },
        ],
      },
      {
        name: 'SummaryMetadata', // summary.proto
        field: [
          ['plugin_data', 1, Type.MESSAGE, { typeName: 'SummaryMetadata.PluginData' }],
          ['data_class', 4, Type.INT32],
        ].map((f) => field(f as FieldSpec)),
        nestedType: [
          {
            name: 'PluginData',
            field: [
              ['plugin_name', 1, Type.STRING],
              ['content', 2, Type.BYTES],
            ].map((f) => field(f as FieldSpec)),
          },
        ],
      },
      {
        name: 'TensorProto', // tensor.proto (dtype is the DataType enum, an int32 on the wire)
        field: [
          ['dtype', 1, Type.INT32],
          ['tensor_shape', 2, Type.MESSAGE, { typeName: 'TensorShapeProto' }],
          ['string_val', 8, Type.BYTES, { repeated: true }],
        ].map((f) => field(f as FieldSpec)),
      },
      {
        name: 'TensorShapeProto', // tensor_shape.proto
        field: [field(['dim', 2, Type.MESSAGE, { typeName: 'TensorShapeProto.Dim', repeated: true }])],
        nestedType: [{ name: 'Dim', field: [field(['size', 1, Type.INT64])] }],
      },
    ],
  }),
  () => undefined,
);
const EventSchema = registry.getMessage('tensorflow.Event') as DescMessage;

/** One summary value: a scalar, or a text (markdown) summary. */
export type SummaryValue =
  | { tag: string; simpleValue: number }
  | { tag: string; text: string; pluginName: string };

export interface TensorBoardEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values?: SummaryValue[];
}

export function encodeEvent(e: TensorBoardEvent): Uint8Array {
  let what: object = { case: undefined };
  if (e.fileVersion !== undefined) what = { case: 'fileVersion', value: e.fileVersion };
  else if (e.values) {
    const value = e.values.map((v) =>
      'simpleValue' in v
        ? { tag: v.tag, value: { case: 'simpleValue', value: v.simpleValue } }
        : {
            tag: v.tag,
            metadata: { pluginData: { pluginName: v.pluginName }, dataClass: DATA_CLASS_TENSOR },
            value: {
              case: 'tensor',
              value: { dtype: DT_STRING, tensorShape: {}, stringVal: [new TextEncoder().encode(v.text)] },
            },
          },
    );
    what = { case: 'summary', value: { value } };
  }
  const msg = create(EventSchema, { wallTime: e.wallTime, step: BigInt(e.step), what } as any);
  return toBinary(EventSchema, msg);
}

export function decodeEvent(bytes: Uint8Array): TensorBoardEvent {
  const m = fromBinary(EventSchema, bytes) as any;
  const out: TensorBoardEvent = { wallTime: m.wallTime, step: Number(m.step) };
  if (m.what.case === 'fileVersion') out.fileVersion = m.what.value;
  if (m.what.case === 'summary') {
    out.values = (m.what.value.value as any[]).map((v): SummaryValue => {
      if (v.value.case === 'simpleValue') return { tag: v.tag, simpleValue: v.value.value };
      if (v.value.case === 'tensor')
        return {
          tag: v.tag,
          text: new TextDecoder().decode(v.value.value.stringVal[0] ?? new Uint8Array()),
          pluginName: v.metadata?.pluginData?.pluginName ?? '',
        };
      throw new Error(`summary value '${v.tag}' has neither simple_value nor tensor`);
    });
  }
  return out;
}

/** Every event of a file, both CRCs of every record checked (see readRecords). */
export function readEventFile(file: string): TensorBoardEvent[] {
  return readRecordFile(file).map(decodeEvent);
}

/** Event files directly in `dir`, in the order TensorBoard reads them (by name). */
export function eventFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.includes('tfevents') && !f.endsWith('.tmp'))
    .sort()
    .map((f) => path.join(dir, f));
}

let fileCounter = 0;
/** TensorFlow's naming, plus pid and a counter so two writers never pick the same name. */
export function eventFileName(now = Date.now()): string {
  return `events.out.tfevents.${Math.floor(now / 1000)}.${os.hostname()}.${process.pid}.${fileCounter++}`;
}

/** Appends events to one file, `file_version` first; every event reaches the OS as it is written. */
export class EventFileWriter {
  private readonly writer: TFRecordWriter;
  readonly file: string;

  /** `initial`: already-encoded events that follow the file_version record (a rebuilt file). */
  constructor(dir: string, initial: TensorBoardEvent[] = []) {
    fs.mkdirSync(dir, { recursive: true });
    const name = eventFileName();
    this.file = path.join(dir, name);
    // Write the whole starting content once, then rename: a reader never sees half of it.
    const tmp = `${this.file}.tmp`;
    const records = [{ wallTime: Date.now() / 1000, step: 0, fileVersion: FILE_VERSION }, ...initial];
    try {
      fs.writeFileSync(tmp, Buffer.concat(records.map((e) => frameRecord(encodeEvent(e)))));
      fs.renameSync(tmp, this.file);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw new ResultsWriteError(this.file, e as Error);
    }
    this.writer = new TFRecordWriter(this.file);
  }

  write(event: TensorBoardEvent): void {
    this.writer.write(encodeEvent(event));
  }

  scalars(step: number, values: Record<string, number>, wallTime = Date.now() / 1000): void {
    const list = Object.entries(values).map(([tag, simpleValue]) => ({ tag, simpleValue }));
    if (list.length > 0) this.write({ wallTime, step, values: list });
  }

  close(): void {
    this.writer.close();
  }
}

/**
 * A model or unit name as a relative directory: ' | ' separates levels (so TensorBoard groups
 * "DOC-SENTENCES | seed 1 | spam" under DOC-SENTENCES/seed-1/spam), and anything but letters,
 * digits, '.', '_', '-' and '=' becomes '-'.
 */
export function modelDir(model: string): string {
  const parts = model
    .split(/\s*\|\s*/)
    .map((p) =>
      p
        .trim()
        .replace(/[^A-Za-z0-9._=-]+/g, '-')
        .replace(/^[-.]+|-+$/g, ''),
    )
    .filter((p) => p.length > 0);
  return parts.length > 0 ? parts.join('/') : 'unnamed';
}

/** Columns that identify or count rather than measure; everything else numeric becomes a scalar. */
export const NOT_SCALARS = [
  'model',
  'split',
  'step',
  'tokens',
  'compute',
  'elapsedSec',
  'seed',
  'epoch',
  'nonEmbeddingParams',
  'testExamples',
];

/** The scalars of one metric row: `<split>/<column>` for each numeric measurement. */
export function rowScalars(row: MetricRow, skip: readonly string[] = NOT_SCALARS): Record<string, number> {
  const split = splitOf(row);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(row)) {
    if (typeof v === 'number' && !skip.includes(k)) out[`${split}/${k}`] = v;
  }
  return out;
}

export interface TensorBoardSinkOptions {
  /** Root of the event files, e.g. `<run>/tb`. */
  dir: string;
  /** metrics.jsonl, read when a model's file is (re)built. */
  metricsPath: string;
  /** Written to every model's file as a text summary (tag `config`) at step 0. */
  config?: unknown;
}

export const CONFIG_TAG = 'config';

/** The markdown the text plugin shows for the config: the JSON as an indented code block. */
export function configMarkdown(config: unknown): string {
  return JSON.stringify(config, null, 2)
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

/** Writes each metric row to its model's event file (see the file comment). */
export class TensorBoardSink implements MetricsSink {
  /** Open files by model, least recently opened first; at most MAX_OPEN (a grid has many units). */
  private readonly writers = new Map<string, EventFileWriter>();
  static readonly MAX_OPEN = 16;

  constructor(readonly options: TensorBoardSinkOptions) {}

  row(row: MetricRow, sinkOnly: MetricRow = {}): void {
    const model = String(row.model ?? 'metrics');
    const writer = this.writers.get(model);
    // A model's first row in this process: its file is rebuilt from metrics.jsonl, which
    // already ends with this row.
    if (!writer) this.open(model, sinkOnly);
    else writer.scalars(stepOf(row), rowScalars({ ...row, ...sinkOnly }));
  }

  /** Rebuild every model's file from metrics.jsonl now (runs written before event files existed). */
  rebuild(): string[] {
    const models = [
      ...new Set(readMetrics(this.options.metricsPath).map((r) => String(r.model ?? 'metrics'))),
    ];
    for (const m of models) if (!this.writers.has(m)) this.open(m, {});
    this.close();
    return models;
  }

  /** metrics.jsonl was cut back: rebuild every model's file from it when next written. */
  truncated(): void {
    this.close();
  }

  close(): void {
    for (const w of this.writers.values()) w.close();
    this.writers.clear();
  }

  /** Rebuild the model's event file from its rows in metrics.jsonl, then append to it. */
  private open(model: string, lastSinkOnly: MetricRow): EventFileWriter {
    const dir = path.join(this.options.dir, modelDir(model));
    const old = eventFiles(dir);
    // Scalars of the previous file by row (split and step): their wall times, and sink-only
    // values such as train/gradNorm, which metrics.jsonl does not hold.
    const previous = new Map<string, Map<string, { wallTime: number; value: number }>>();
    for (const file of old) {
      let events: TensorBoardEvent[];
      try {
        events = readEventFile(file);
      } catch {
        continue; // a damaged file is replaced; metrics.jsonl holds the values
      }
      for (const e of events)
        for (const v of e.values ?? []) {
          if (!('simpleValue' in v)) continue;
          const key = `${v.tag.split('/')[0]}@${e.step}`;
          if (!previous.has(key)) previous.set(key, new Map());
          previous.get(key)!.set(v.tag, { wallTime: e.wallTime, value: v.simpleValue });
        }
    }
    const now = Date.now() / 1000;
    const initial: TensorBoardEvent[] = [];
    if (this.options.config !== undefined)
      initial.push({
        wallTime: now,
        step: 0,
        values: [{ tag: CONFIG_TAG, text: configMarkdown(this.options.config), pluginName: 'text' }],
      });
    const rows = readMetrics(this.options.metricsPath).filter((r) => String(r.model ?? 'metrics') === model);
    rows.forEach((row, i) => {
      const step = stepOf(row);
      const scalars = rowScalars(i === rows.length - 1 ? { ...row, ...lastSinkOnly } : row);
      const before = previous.get(`${splitOf(row)}@${step}`);
      for (const [tag, p] of before ?? []) if (!(tag in scalars)) scalars[tag] = p.value;
      const list = Object.entries(scalars).map(([tag, simpleValue]) => ({ tag, simpleValue }));
      if (list.length === 0) return;
      const wallTime = before?.get(list[0].tag)?.wallTime ?? now;
      initial.push({ wallTime, step, values: list });
    });
    const writer = new EventFileWriter(dir, initial);
    for (const file of old) if (file !== writer.file) fs.rmSync(file, { force: true });
    // Closing is always safe: a model written again later has its file rebuilt as above.
    if (this.writers.size >= TensorBoardSink.MAX_OPEN) {
      const [oldest, w] = this.writers.entries().next().value!;
      w.close();
      this.writers.delete(oldest);
    }
    this.writers.set(model, writer);
    return writer;
  }
}

const stepOf = (row: MetricRow) => (typeof row.step === 'number' ? row.step : 0);
const splitOf = (row: MetricRow) => (typeof row.split === 'string' ? row.split : 'metrics');
