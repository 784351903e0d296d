/**
 * metrics.jsonl: one tidy JSON row per line, appended as training goes. Each append is a
 * single write of whole lines, and resume truncates the file back to the byte length recorded
 * in the checkpoint, so a resumed run's file equals an uninterrupted run's.
 */
import fs from 'node:fs';

export type MetricRow = Record<string, string | number | boolean | null>;

/**
 * Something that follows the rows as they are written (e.g. TensorBoard event files). It gets
 * each row after it is in the file, with `sinkOnly` values that are not written there.
 */
export interface MetricsSink {
  row(row: MetricRow, sinkOnly: MetricRow): void;
  /** The file was cut back (resume); rows after that point are gone. */
  truncated(): void;
  close(): void;
}

/** A write that failed (disk full, permissions): names the file, says how to continue. */
export class ResultsWriteError extends Error {
  override name = 'ResultsWriteError';
  constructor(
    readonly file: string,
    cause: Error,
  ) {
    const full = (cause as NodeJS.ErrnoException).code === 'ENOSPC';
    super(
      `cannot write ${file}: ${cause.message.split('\n')[0]}; the last checkpoint is kept: ${full ? 'free space' : 'fix that'}, then continue with --resume`,
    );
  }
}

export class MetricsWriter {
  private readonly sinks: MetricsSink[];
  constructor(
    readonly path: string,
    sinks: MetricsSink[] = [],
  ) {
    this.sinks = [...sinks];
  }

  addSink(sink: MetricsSink): void {
    this.sinks.push(sink);
  }

  /** Write one row; `sinkOnly` values (e.g. the gradient norm) go to the sinks, not the file. */
  append(row: MetricRow, sinkOnly: MetricRow = {}): void {
    try {
      fs.appendFileSync(this.path, `${JSON.stringify(row)}\n`);
    } catch (e) {
      throw new ResultsWriteError(this.path, e as Error);
    }
    for (const s of this.sinks) s.row(row, sinkOnly);
  }

  /** Close the sinks (their files stay valid); the writer itself holds nothing open. */
  close(): void {
    for (const s of this.sinks) s.close();
  }

  /** Current byte length (0 when the file does not exist yet). */
  size(): number {
    return fs.existsSync(this.path) ? fs.statSync(this.path).size : 0;
  }

  /** Drop everything after `bytes` (rows written after the checkpoint being resumed). */
  truncate(bytes: number): void {
    if (!fs.existsSync(this.path)) {
      if (bytes > 0)
        throw new Error(`${this.path} is missing but the checkpoint expects ${bytes} bytes of metrics`);
      return;
    }
    if (this.size() < bytes)
      throw new Error(
        `${this.path} is shorter than the checkpoint expects (${this.size()} < ${bytes} bytes)`,
      );
    fs.truncateSync(this.path, bytes);
    for (const s of this.sinks) s.truncated();
  }
}

export function readMetrics(path: string): MetricRow[] {
  if (!fs.existsSync(path)) return [];
  return fs
    .readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as MetricRow);
}
