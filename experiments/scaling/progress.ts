/**
 * The grid-level progress line: units done of the grid, tokens/s over the grid so far and the
 * ETA of the whole grid, in front of the trainer's own bar for the unit in progress:
 *
 *   grid 7/20 units, 31% of tokens, 24,310 tok/s, grid ETA 21:40 | C1e12-L2-D32 [####....] ...
 *
 * The ETA is the cost estimate of the units left (plan.ts) scaled by how fast this session has
 * actually gone against the same estimate, so it corrects itself once training starts.
 */
import { formatDuration, ProgressBar, type ProgressState } from '@pretrain-lab/train';

export interface GridUnitEstimate {
  id: string;
  tokens: number;
  /** Estimated seconds (from the cost model). */
  seconds: number;
}

export class GridProgress extends ProgressBar {
  private readonly est: Map<string, GridUnitEstimate>;
  private readonly finished = new Set<string>();
  private readonly totalTokens: number;
  private sessionStart = Date.now();
  /** Estimated seconds of the work finished in this session (units, plus the current unit's share). */
  private sessionEstDone = 0;
  private sessionTokens = 0;
  private current: { id: string; startStep: number; totalSteps: number } | null = null;

  constructor(
    private readonly inner: ProgressBar,
    units: readonly GridUnitEstimate[],
  ) {
    super(process.stderr, 10, false);
    this.est = new Map(units.map((u) => [u.id, u]));
    this.totalTokens = units.reduce((s, u) => s + u.tokens, 0);
  }

  /** A unit finished before this session (resume) or was skipped. */
  markDone(id: string): void {
    this.finished.add(id);
  }

  /** Training of `id` starts (or continues from a checkpoint at `startStep`). */
  begin(id: string, totalSteps: number, startStep = 0): void {
    this.current = { id, startStep, totalSteps };
    if (this.finished.size === 0 && this.sessionEstDone === 0) this.sessionStart = Date.now();
  }

  /** The unit in progress finished, having trained `trainedTokens` tokens in this session. */
  finish(id: string, trainedTokens: number): void {
    const e = this.est.get(id);
    const c = this.current;
    const share = c && c.id === id && c.totalSteps > 0 ? 1 - c.startStep / c.totalSteps : 0;
    if (e) this.sessionEstDone += e.seconds * share;
    this.sessionTokens += trainedTokens;
    this.finished.add(id);
    this.current = null;
  }

  /** The grid part of the line, given the unit's progress. */
  gridLine(p: Pick<ProgressState, 'step' | 'totalSteps'>): string {
    const cur = this.current ? this.est.get(this.current.id) : undefined;
    const frac = cur && p.totalSteps > 0 ? (p.step - (this.current?.startStep ?? 0)) / p.totalSteps : 0;
    const estDone = this.sessionEstDone + (cur ? cur.seconds * Math.max(0, frac) : 0);
    const elapsed = (Date.now() - this.sessionStart) / 1000;
    let tokensDone = 0;
    let estLeft = 0;
    for (const [id, u] of this.est) {
      if (this.finished.has(id)) tokensDone += u.tokens;
      else if (cur && id === cur.id) {
        const f = p.totalSteps > 0 ? p.step / p.totalSteps : 0;
        tokensDone += u.tokens * f;
        estLeft += u.seconds * (1 - f);
      } else estLeft += u.seconds;
    }
    const curTokens = cur ? cur.tokens * Math.max(0, frac) : 0;
    const tps = elapsed > 0 ? (this.sessionTokens + curTokens) / elapsed : 0;
    const ratio = estDone > 0 ? elapsed / estDone : 1;
    const pct = this.totalTokens > 0 ? Math.round((100 * tokensDone) / this.totalTokens) : 0;
    return `grid ${this.finished.size}/${this.est.size} units, ${pct}% of tokens, ${Math.round(tps).toLocaleString('en-US')} tok/s, grid ETA ${formatDuration(estLeft * ratio)}`;
  }

  override update(p: ProgressState, etaSec: number, force = false): void {
    this.inner.update({ ...p, label: `${this.gridLine(p)} | ${p.label}` }, etaSec, force);
  }

  override done(message?: string): void {
    this.inner.done(message);
  }
}
