/**
 * A progress bar for long runs: step, loss, tokens/s and ETA on one line. On a terminal it
 * redraws in place; otherwise (CI, logs) it prints a line every `logEverySec` seconds.
 */
export interface ProgressState {
  label: string;
  step: number;
  totalSteps: number;
  loss: number;
  tokensPerSec: number;
  valLoss?: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function renderProgress(p: ProgressState, width = 24): string {
  const frac = p.totalSteps > 0 ? Math.min(1, p.step / p.totalSteps) : 0;
  const filled = Math.round(frac * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  return `${p.label} [${bar}] ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(4)}${
    p.valLoss !== undefined ? ` val ${p.valLoss.toFixed(4)}` : ''
  } ${Math.round(p.tokensPerSec).toLocaleString('en-US')} tok/s`;
}

export class ProgressBar {
  private lastPrint = 0;
  private readonly tty: boolean;
  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly logEverySec = 10,
    private readonly enabled = true,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  update(p: ProgressState, etaSec: number, force = false): void {
    if (!this.enabled) return;
    const line = `${renderProgress(p)} ETA ${formatDuration(etaSec)}`;
    const now = Date.now();
    if (this.tty) {
      if (force || now - this.lastPrint > 100) {
        this.stream.write(
          `\r${line.padEnd(this.stream.columns ? this.stream.columns - 1 : 100).slice(0, (this.stream.columns ?? 120) - 1)}`,
        );
        this.lastPrint = now;
      }
    } else if (force || now - this.lastPrint > this.logEverySec * 1000) {
      this.stream.write(`${line}\n`);
      this.lastPrint = now;
    }
  }

  done(message?: string): void {
    if (!this.enabled) return;
    if (this.tty) this.stream.write('\n');
    if (message) this.stream.write(`${message}\n`);
  }
}
