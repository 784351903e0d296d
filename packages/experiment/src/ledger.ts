/**
 * run-state.json: the ledger of a multi-unit experiment (one model of a grid, one pretraining,
 * one fine-tuning). A unit is recorded as done together with the length of metrics.jsonl at
 * that moment, atomically; `--resume` skips done units, and a unit that has no checkpoint to
 * continue from first drops the rows an interrupted attempt of it wrote (`rewind`), so the
 * resumed file equals an uninterrupted run's.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MetricsWriter } from '@pretrain-lab/train';
import { writeJSONAtomic } from './atomic.js';

export type LedgerState<S> = S & { done: string[]; metricsBytes: number };

export class RunLedger<S extends object> {
  readonly state: LedgerState<S>;
  private readonly file: string;

  constructor(
    dir: string,
    private readonly metrics: MetricsWriter,
    initial: S,
  ) {
    this.file = path.join(dir, 'run-state.json');
    this.state = fs.existsSync(this.file)
      ? (JSON.parse(fs.readFileSync(this.file, 'utf8')) as LedgerState<S>)
      : { ...structuredClone(initial), done: [], metricsBytes: 0 };
  }

  isDone(key: string): boolean {
    return this.state.done.includes(key);
  }

  /** Drop metric rows written after the last finished unit (by an attempt that did not finish). */
  rewind(): void {
    this.metrics.truncate(this.state.metricsBytes);
  }

  /** Record a unit as finished, with whatever `update` adds to the state, in one atomic write. */
  finish(key: string, update: (state: LedgerState<S>) => void = () => {}): void {
    update(this.state);
    this.state.done.push(key);
    this.state.metricsBytes = this.metrics.size();
    this.save();
  }

  save(): void {
    writeJSONAtomic(this.file, this.state);
  }
}
