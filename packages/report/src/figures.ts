/**
 * Regenerate docs/ from results/: for each registered experiment, its latest completed run's
 * figures into docs/figures/ and its report into docs/experiments/<experiment>.md.
 * Each experiment (scaling, nsp, spans, ...) is one entry of EXPERIMENT_REPORTS.
 */
import { join } from 'node:path';
import { writeFileAtomicIfChanged } from './files.js';
import { nspFigures, nspReport } from './nsp/report.js';
import { objectivesFigures, objectivesReport } from './objectives/report.js';
import { latestCompleteRun } from './results.js';
import { scalingFigures, scalingReport } from './scaling.js';
import { spansFigures, spansReport } from './spans/report.js';

export interface ExperimentReport {
  /** Writes the figures of one run into `figuresDir`; returns the files. */
  figures: (runDir: string, figuresDir: string) => Promise<string[]>;
  /** Markdown report; `figuresRelPath` is the figures folder relative to the report file. */
  report: (runDir: string, figuresRelPath: string) => string;
}

export const EXPERIMENT_REPORTS: Readonly<Record<string, ExperimentReport>> = {
  nsp: { figures: nspFigures, report: nspReport },
  objectives: { figures: objectivesFigures, report: objectivesReport },
  scaling: { figures: scalingFigures, report: scalingReport },
  spans: { figures: spansFigures, report: spansReport },
};

export interface FiguresResult {
  /** Every file produced (written, or already identical on disk), in a stable order. */
  files: string[];
  /** One line per experiment: which run was used, or why nothing was written. */
  notes: string[];
}

export async function figuresAll(
  resultsDir: string,
  docsDir: string,
  registry: Readonly<Record<string, ExperimentReport>> = EXPERIMENT_REPORTS,
): Promise<FiguresResult> {
  const files: string[] = [];
  const notes: string[] = [];
  const figuresDir = join(docsDir, 'figures');
  for (const experiment of Object.keys(registry).sort()) {
    const entry = registry[experiment];
    const runDir = latestCompleteRun(resultsDir, experiment);
    if (!runDir) {
      notes.push(`${experiment}: no completed run under ${join(resultsDir, experiment)}; nothing written`);
      continue;
    }
    try {
      const figs = await entry.figures(runDir, figuresDir);
      const md = entry.report(runDir, '../figures');
      const mdPath = join(docsDir, 'experiments', `${experiment}.md`);
      writeFileAtomicIfChanged(mdPath, md);
      files.push(...figs, mdPath);
      notes.push(`${experiment}: ${runDir}`);
    } catch (err) {
      // One broken run must not stop the other experiments' docs from regenerating.
      notes.push(`${experiment}: failed on ${runDir}: ${(err as Error).message}`);
    }
  }
  return { files, notes };
}
