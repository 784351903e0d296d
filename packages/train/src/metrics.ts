/**
 * metrics.jsonl: one tidy JSON row per line, appended as training goes. Each append is a
 * single write of whole lines, and resume truncates the file back to the byte length recorded
 * in the checkpoint, so a resumed run's file equals an uninterrupted run's.
 */
import fs from 'node:fs';

export type MetricRow = Record<string, string | number | boolean | null>;

export class MetricsWriter {
  constructor(readonly path: string) {}

  append(row: MetricRow): void {
    fs.appendFileSync(this.path, `${JSON.stringify(row)}\n`);
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
