import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { SplitFractions, SplitName } from '@pretrain-lab/data';
import {
  makeTask,
  TASK_FRACTIONS,
  TASK_SPLITS,
  type Task,
  type TaskExample,
  TaskFileError,
  type TaskKind,
} from './task.js';

/**
 * User tasks from files: GLUE-style TSV with a header row (SST-2 `sentence\tlabel`, MNLI
 * `sentence1\tsentence2\tgold_label`, ...) and JSON Lines. Either one file, split by group with a
 * seed, or one file per split. Text-to-text files are the same with kind 'generation' (the target
 * column goes to `label`). Every problem is a TaskFileError naming the file and line.
 */

export interface TaskFileOptions {
  textColumn: string;
  textPairColumn?: string;
  /** The class, or the target text when kind is 'generation'. */
  labelColumn: string;
  /** Rows sharing a value here stay in one split (e.g. a document id); default: each row alone. */
  groupColumn?: string;
  idColumn?: string;
  /** Allowed labels; a row with another label is an error. Default: whatever occurs, sorted. */
  labels?: string[];
  kind?: TaskKind;
  name?: string;
  /** For a single file: the split seed (default 0) and fractions (default 0.8/0.1/0.1). */
  seed?: number;
  fractions?: SplitFractions;
}

/** One file for all splits (split by group), or one file per split (validation and test optional). */
export type TaskFiles = string | { train: string; validation?: string; test?: string };

function readText(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TaskFileError(
      `${path}: cannot read task file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  return text.replace(/^\uFEFF/, '');
}

function lines(text: string): string[] {
  const out = text.split(/\r?\n/);
  if (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

type Row = Record<string, string>;

function rowToExample(
  row: Row,
  path: string,
  lineNo: number,
  options: TaskFileOptions,
  prefix: string,
): TaskExample {
  const label = row[options.labelColumn];
  if (options.labels && options.kind !== 'generation' && !options.labels.includes(label)) {
    throw new TaskFileError(
      `${path}:${lineNo}: unknown label '${label}' (expected one of: ${options.labels.join(', ')})`,
    );
  }
  const id = options.idColumn ? `${prefix}${row[options.idColumn]}` : `${prefix}${lineNo}`;
  return {
    id,
    text: row[options.textColumn],
    ...(options.textPairColumn ? { textPair: row[options.textPairColumn] } : {}),
    label,
    group: options.groupColumn ? row[options.groupColumn] : id,
  };
}

function neededColumns(options: TaskFileOptions): string[] {
  return [
    options.textColumn,
    options.textPairColumn,
    options.labelColumn,
    options.groupColumn,
    options.idColumn,
  ].filter((c): c is string => typeof c === 'string');
}

/**
 * Reads a TSV file with a header row into examples. Fields are split on tabs with no quoting, as
 * GLUE writes them (quote characters are text); a row with a different number of fields than the
 * header is an error, blank lines are skipped.
 */
export function readTsvExamples(path: string, options: TaskFileOptions, idPrefix = ''): TaskExample[] {
  const all = lines(readText(path));
  if (all.length === 0 || all.every((l) => l.trim() === ''))
    throw new TaskFileError(`${path}: empty file (expected a header row of column names)`);
  const header = all[0].split('\t').map((h) => h.trim());
  for (const c of neededColumns(options)) {
    if (!header.includes(c))
      throw new TaskFileError(`${path}:1: header has no column '${c}' (columns: ${header.join(', ')})`);
  }
  const examples: TaskExample[] = [];
  for (let i = 1; i < all.length; i++) {
    if (all[i].trim() === '') continue;
    const fields = all[i].split('\t');
    if (fields.length !== header.length) {
      throw new TaskFileError(
        `${path}:${i + 1}: ${fields.length} fields, but the header has ${header.length}`,
      );
    }
    const row: Row = {};
    header.forEach((h, j) => {
      row[h] = fields[j];
    });
    examples.push(rowToExample(row, path, i + 1, options, idPrefix));
  }
  return examples;
}

/** Reads JSON Lines (one object per line) into examples; numbers and booleans become strings. */
export function readJsonlExamples(path: string, options: TaskFileOptions, idPrefix = ''): TaskExample[] {
  const all = lines(readText(path));
  if (all.every((l) => l.trim() === ''))
    throw new TaskFileError(`${path}: empty file (expected one JSON object per line)`);
  const examples: TaskExample[] = [];
  for (let i = 0; i < all.length; i++) {
    if (all[i].trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(all[i]);
    } catch (e) {
      throw new TaskFileError(`${path}:${i + 1}: invalid JSON (${(e as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new TaskFileError(
        `${path}:${i + 1}: expected a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`,
      );
    }
    const obj = value as Record<string, unknown>;
    const row: Row = {};
    for (const c of neededColumns(options)) {
      const v = obj[c];
      if (v === undefined || v === null) throw new TaskFileError(`${path}:${i + 1}: missing field '${c}'`);
      if (typeof v === 'object')
        throw new TaskFileError(
          `${path}:${i + 1}: field '${c}' must be a string or number, got ${JSON.stringify(v)}`,
        );
      row[c] = String(v);
    }
    examples.push(rowToExample(row, path, i + 1, options, idPrefix));
  }
  return examples;
}

function loadTaskFiles(files: TaskFiles, options: TaskFileOptions, read: typeof readTsvExamples): Task {
  const kind: TaskKind = options.kind ?? (options.textPairColumn ? 'pair' : 'single');
  const opts = { ...options, kind };
  const firstPath = typeof files === 'string' ? files : files.train;
  const name = options.name ?? basename(firstPath).replace(/\.[^.]*$/, '');
  const notes: string[] = [];
  let task: Task;
  if (typeof files === 'string') {
    const seed = options.seed ?? 0;
    const fractions = options.fractions ?? TASK_FRACTIONS;
    task = makeTask(name, kind, read(files, opts), {
      seed,
      fractions,
      ...(options.labels ? { labels: options.labels } : {}),
    });
    notes.push(
      `${files} split by ${options.groupColumn ?? 'row'} with seed ${seed}, fractions ${JSON.stringify(fractions)}`,
    );
  } else {
    const splits = {} as Record<SplitName, TaskExample[]>;
    for (const s of TASK_SPLITS) {
      const path = files[s];
      // Ids are prefixed by the split so that line 2 of train and line 2 of dev differ.
      splits[s] = path ? read(path, opts, `${s}/`) : [];
      notes.push(path ? `${s}: ${path}` : `${s}: none given`);
    }
    const labels =
      kind === 'generation'
        ? []
        : (options.labels ?? [...new Set(TASK_SPLITS.flatMap((s) => splits[s].map((e) => e.label)))].sort());
    task = { name, kind, labels, ...splits, notes: [] };
  }
  task.notes = notes;
  return task;
}

/** A GLUE-style TSV task (header row, tab-separated, no quoting). */
export function loadTsvTask(files: TaskFiles, options: TaskFileOptions): Task {
  return loadTaskFiles(files, options, readTsvExamples);
}

/** A JSON Lines task. */
export function loadJsonlTask(files: TaskFiles, options: TaskFileOptions): Task {
  return loadTaskFiles(files, options, readJsonlExamples);
}

/**
 * A text-to-text file (input -> target), TSV or JSONL by extension (.jsonl/.json is JSONL,
 * anything else TSV); columns default to 'input' and 'target'.
 */
export function loadTextToTextFile(
  files: TaskFiles,
  options: {
    inputColumn?: string;
    targetColumn?: string;
    groupColumn?: string;
    name?: string;
    seed?: number;
    fractions?: SplitFractions;
  } = {},
): Task {
  const first = typeof files === 'string' ? files : files.train;
  const fileOptions: TaskFileOptions = {
    textColumn: options.inputColumn ?? 'input',
    labelColumn: options.targetColumn ?? 'target',
    kind: 'generation',
    ...(options.groupColumn ? { groupColumn: options.groupColumn } : {}),
    ...(options.name ? { name: options.name } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.fractions ? { fractions: options.fractions } : {}),
  };
  return /\.jsonl?$/i.test(first) ? loadJsonlTask(files, fileOptions) : loadTsvTask(files, fileOptions);
}
