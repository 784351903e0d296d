/**
 * The objectives comparison's figures (chart specs only), from one run's summary.json: probe
 * accuracy per row, and the decoder-only rows' in-context accuracy, each a panel per cell.
 */
import type { AblationSummary } from '@pretrain-lab/experiment/schema';
import { meanStd } from '@pretrain-lab/scaling';
import type { TopLevelSpec } from 'vega-lite';
import { type PanelPoint, pointPanelsSpec } from '../ablation/point-chart.js';
import { type AblationRun, cellLabel, evalsText, gridCells, loadAblation } from '../ablation/summary.js';
import { renderCharts } from '../render.js';

export const OBJECTIVES_FIGURES = ['objectives-scores', 'objectives-in-context'] as const;

const ARCH_GROUPS = ['no pretraining', 'encoder', 'decoder', 'encoder-decoder'] as const;
const groupOf = (v: AblationSummary['variants'][number]) =>
  v.pretrained ? String(v.fields.architecture) : 'no pretraining';
/**
 * "BERT MLM (encoder)" -> "BERT MLM", "causal LM (decoder, d32)" -> "causal LM d32", "ALBERT MLM
 * (encoder, E32, shared layers)" -> "ALBERT MLM (E32, shared layers)"; the architecture is the
 * point's colour.
 */
const shortLabel = (v: AblationSummary['variants'][number]) =>
  v.pretrained
    ? v.name.replace(/\s*\((?:encoder|decoder|encoder-decoder)(?:, ([^)]+))?\)$/, (_m, d?: string) =>
        d ? (/^d\d+$/.test(d) ? ` ${d}` : ` (${d})`) : '',
      )
    : `none, ${String(v.fields.architecture).replace('encoder-decoder', 'enc-dec')}`;

/** Mean ± std over seeds of every row's score in each cell of `method`, one panel per cell. */
function cellPoints(
  s: AblationSummary,
  method: string,
  group: (v: AblationSummary['variants'][number]) => string,
) {
  const points: PanelPoint[] = [];
  const cells = gridCells(s).filter((c) => c.method === method);
  for (const c of cells)
    for (const v of s.variants) {
      const xs = s.results
        .filter(
          (x) =>
            x.variant === v.name &&
            x.task === c.task &&
            x.method === c.method &&
            x.trainExamples === c.trainExamples,
        )
        .map((x) => 100 * x.score);
      if (!xs.length) continue;
      const st = meanStd(xs);
      points.push({
        panel: cellLabel(c),
        group: group(v),
        label: shortLabel(v),
        variant: v.name,
        mean: st.mean,
        lo: st.mean - st.std,
        hi: st.mean + st.std,
        n: xs.length,
      });
    }
  const panels = cells.map(cellLabel).filter((p) => points.some((x) => x.panel === p));
  return { points, panels };
}

/** Probe accuracy per row, a panel per task and probe size; colour: architecture. */
export function objectivesScoresSpec(r: AblationRun): TopLevelSpec {
  const s = r.summary;
  const { points, panels } = cellPoints(s, 'probe', groupOf);
  return pointPanelsSpec(points, {
    title: 'Probe accuracy per pretraining objective, at one training-compute budget',
    subtitle: [
      `linear probe on frozen mean-pooled states, ${evalsText(s.evals.filter((e) => e.method === 'probe'))} labelled examples; colour: architecture`,
    ],
    yTitle: 'Test accuracy (%)',
    xTitle: 'Objective',
    labels: s.variants.map(shortLabel),
    panels,
    groups: ARCH_GROUPS,
    emptyText: 'no evaluation in this run',
    labelAngle: -35,
  });
}

/** In-context accuracy of the decoder-only rows, a panel per task and number of demonstrations. */
export function objectivesInContextSpec(r: AblationRun): TopLevelSpec {
  const s = r.summary;
  const width = (v: AblationSummary['variants'][number]) =>
    v.pretrained ? `d_model ${v.fields.dModel}` : 'no pretraining';
  const { points, panels } = cellPoints(s, 'in-context', width);
  const groups = [
    'no pretraining',
    ...[...new Set(points.map((p) => p.group))]
      .filter((g) => g !== 'no pretraining')
      .sort((a, b) => Number(a.replace(/\D/g, '')) - Number(b.replace(/\D/g, ''))),
  ];
  return pointPanelsSpec(points, {
    title: 'In-context accuracy of the decoder-only rows (no gradient step)',
    subtitle: [
      'kv-recall: k key-value pairs then a key; label words: k demonstrations then the text; colour: width',
    ],
    yTitle: 'Accuracy (%)',
    xTitle: 'Row',
    labels: s.variants.map(shortLabel),
    panels,
    groups,
    emptyText: 'no in-context evaluation in this run',
    labelAngle: -35,
  });
}

export async function objectivesFigures(runDir: string, outDir: string): Promise<string[]> {
  const r = loadAblation(runDir);
  return renderCharts(
    [
      ['objectives-scores', objectivesScoresSpec(r)],
      ['objectives-in-context', objectivesInContextSpec(r)],
    ],
    outDir,
  );
}
