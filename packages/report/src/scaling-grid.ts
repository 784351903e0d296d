/**
 * Figures and report of a scaling grid run (the schema of packages/scaling/src/schema.ts):
 * Chinchilla's IsoFLOP profiles and compute-optimal N and D, Kaplan's Figure 1 panels from the
 * same runs, every fit with total and with non-embedding parameters, the papers' numbers beside
 * ours (scaling-anchors.ts) and verdicts computed here. Reads results only; every number comes
 * from summary.json (fits computed once, by the run) or metrics.jsonl.
 *
 * Split as the other reports are: paper tables (`anchorRows`), chart specs (`*Spec`), claim
 * verdicts (`gridVerdicts`), and text (`gridDifferences`, `gridReport`).
 */
import {
  BOOTSTRAP_STARTS,
  type CountFits,
  type CountKind,
  FLOPS_PER_PF_DAY,
  type GridFits,
  gridEnvelope,
  type Interval,
  type ScalingGridSummary,
  type ScalingMetricRow,
  type ScalingRunRow,
  validationCurves,
} from '@pretrain-lab/scaling';
import type { TopLevelSpec } from 'vega-lite';
import { HEIGHT, PALETTE, WIDTH } from './chart-style.js';
import { describeBackend, describeCorpus, mdRow, metricObjects } from './compare.js';
import { fmtInt, fmtInterval, fmtSig } from './format.js';
import { renderCharts } from './render.js';
import type { LoadedRun } from './results.js';
import { SCALING_ANCHORS as P } from './scaling-anchors.js';

type GridSummary = ScalingGridSummary<GridFits>;

const LOSS_TITLE = 'Validation loss (nats/token)';
const logScale = { type: 'log', nice: false } as const;
const COUNT_LABEL: Record<CountKind, string> = {
  total: 'total parameters',
  nonEmbedding: 'non-embedding parameters',
};
const COUNT_SHORT: Record<CountKind, string> = { total: 'total', nonEmbedding: 'non-embedding' };
const SCHEMA_URL = 'https://vega.github.io/schema/vega-lite/v6.json';

function summaryOf(run: LoadedRun): GridSummary {
  return run.summary as unknown as GridSummary;
}

const isIsoflop = (s: GridSummary) => s.grid.protocol === 'isoflop';

/** Figure names of a grid run: the IsoFLOP figures only when there is an IsoFLOP grid. */
export function GRID_FIGURES(run: LoadedRun): readonly string[] {
  const iso = isIsoflop(summaryOf(run))
    ? ['scaling-isoflop-total', 'scaling-isoflop-nonembedding', 'scaling-optimal-n-d']
    : [];
  return [...iso, 'scaling-loss-vs-compute', 'scaling-loss-vs-tokens', 'scaling-loss-vs-params'];
}

/** Rows of metrics.jsonl (every key of every row). */
function metricRows(run: LoadedRun): ScalingMetricRow[] {
  return metricObjects(run) as unknown as ScalingMetricRow[];
}

const completed = (s: GridSummary) =>
  s.runs.filter(
    (r) => r.status === 'completed' && r.finalValLoss !== null && Number.isFinite(r.finalValLoss),
  );

/** `count` log-spaced values from lo to hi inclusive. */
function logSpace(lo: number, hi: number, count: number): number[] {
  const a = Math.log(lo);
  const b = Math.log(hi);
  return Array.from({ length: count }, (_, i) => Math.exp(a + ((b - a) * i) / (count - 1)));
}

const decades = (x: number) => {
  const d = fmtSig(x, 2);
  return `${d} decade${d === '1' ? '' : 's'}`;
};
const range = (xs: readonly number[], f: (x: number) => string) => {
  const lo = f(Math.min(...xs));
  const hi = f(Math.max(...xs));
  return lo === hi ? lo : `${lo} to ${hi}`;
};

const budgetLabel = (C: number) => `C = ${fmtSig(C, 3)} FLOPs`;
const paramsOf = (r: { totalParams: number; nonEmbeddingParams: number }, k: CountKind) =>
  k === 'total' ? r.totalParams : r.nonEmbeddingParams;
const inside = (ci: Interval | undefined, v: number) => (ci ? ci[0] <= v && v <= ci[1] : null);
const yesNo = (b: boolean | null) => (b === null ? 'n/a' : b ? 'yes' : 'no');

// ---------------------------------------------------------------------------------------------
// Chart specs.

/** Loss against N per budget, the fitted parabolas and their minima (approach 2). */
export function isoflopSpec(run: LoadedRun, kind: CountKind): TopLevelSpec {
  const s = summaryOf(run);
  const fit = s.fits[kind].approach2;
  const runs = completed(s).filter((r) => r.budgetIndex >= 0);
  const budgets = [...new Set(runs.map((r) => r.budget))].sort((a, b) => a - b);
  const domain = budgets.map(budgetLabel);
  const color = {
    field: 'budget',
    type: 'ordinal',
    title: 'Budget (6·N_total·D)',
    scale: { domain, scheme: 'viridis' },
    legend: { labelLimit: 0, titleLimit: 0 },
  };
  const x = {
    field: 'N',
    type: 'quantitative',
    scale: logScale,
    title:
      kind === 'total'
        ? 'Parameters N (total, embeddings included)'
        : 'Non-embedding parameters N (12·layers·d_model²)',
    axis: { format: '.2s' },
  };
  const y = {
    field: 'loss',
    type: 'quantitative',
    scale: { zero: false },
    title: `Final ${LOSS_TITLE.toLowerCase()}`,
  };
  const points = runs
    .map((r) => ({
      N: paramsOf(r, kind),
      loss: r.finalValLoss as number,
      budget: budgetLabel(r.budget),
      unit: r.unit,
    }))
    .sort((a, b) => a.N - b.N || (a.unit < b.unit ? -1 : 1));
  const curves: { N: number; loss: number; budget: string }[] = [];
  const minima: { N: number; loss: number; budget: string }[] = [];
  for (const p of fit?.profiles ?? []) {
    const [c0, c1, c2] = p.coefficients;
    const lo = Math.min(p.range[0], p.Nopt) / 1.15;
    const hi = Math.max(p.range[1], p.Nopt) * 1.15;
    for (const N of logSpace(lo, hi, 40)) {
      const u = Math.log(N);
      curves.push({ N, loss: c0 + c1 * u + c2 * u * u, budget: budgetLabel(p.budget) });
    }
    minima.push({ N: p.Nopt, loss: p.lossAtOpt, budget: budgetLabel(p.budget) });
  }
  const ref =
    kind === 'total'
      ? `Chinchilla ${P.chinchilla.a[1]}, Pearce & Song ${P.pearceSong.aTotal}`
      : `Pearce & Song ${P.pearceSong.aNonEmbedding}, Kaplan ${P.kaplan.nOpt}`;
  return {
    $schema: SCHEMA_URL,
    title: {
      text: `IsoFLOP profiles, ${COUNT_LABEL[kind]}`,
      subtitle: fit
        ? `parabola in ln N per budget, minima as diamonds; N_opt ∝ C^a with a = ${fmtSig(fit.a)}, 95% CI ${fmtInterval(fit.ci.a)} (${ref})`
        : 'no approach-2 fit (see the report)',
    },
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values: curves },
        mark: { type: 'line', strokeWidth: 1.5, opacity: 0.8 },
        encoding: { x, y, color, detail: { field: 'budget' } },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 50 },
        encoding: { x, y, color, tooltip: [{ field: 'unit' }] },
      },
      {
        data: { values: minima },
        mark: { type: 'point', shape: 'diamond', filled: true, size: 140, stroke: 'black', strokeWidth: 1 },
        encoding: { x, y, color },
      },
    ],
  } as TopLevelSpec;
}

/** N_opt and D_opt against C, both counts, our fitted laws and the papers' slopes for reference. */
export function optimalSpec(run: LoadedRun): TopLevelSpec {
  const s = summaryOf(run);
  const counts = ['total parameters', 'non-embedding parameters'];
  const kinds = ['our fit', "paper's slope (Chinchilla for total, Kaplan for non-embedding)"];
  const color = {
    field: 'count',
    type: 'nominal',
    title: null,
    scale: { domain: counts, range: [PALETTE[0], PALETTE[1]] },
    legend: { orient: 'bottom', labelLimit: 0 },
  };
  const dash = {
    field: 'line',
    type: 'nominal',
    title: null,
    scale: {
      domain: kinds,
      range: [
        [1, 0],
        [5, 4],
      ],
    },
    legend: { orient: 'bottom', labelLimit: 0, symbolType: 'stroke' },
  };
  const panel = (which: 'N' | 'D') => {
    const points: { C: number; v: number; count: string }[] = [];
    const lines: { C: number; v: number; count: string; line: string; key: string }[] = [];
    (['total', 'nonEmbedding'] as const).forEach((k, i) => {
      const f = s.fits[k].approach2;
      if (!f) return;
      const ps = f.profiles;
      for (const p of ps) points.push({ C: p.Copt, v: which === 'N' ? p.Nopt : p.Dopt, count: counts[i] });
      const lo = Math.min(...ps.map((p) => p.Copt)) / 1.3;
      const hi = Math.max(...ps.map((p) => p.Copt)) * 1.3;
      const [k0, e] = which === 'N' ? [f.kN, f.a] : [f.kD, f.b];
      for (const C of [lo, hi])
        lines.push({ C, v: k0 * C ** e, count: counts[i], line: kinds[0], key: `${k}-fit` });
      // The paper's slope, through the geometric centre of our minima.
      const refSlope =
        k === 'total'
          ? which === 'N'
            ? P.chinchilla.a[1]
            : P.chinchilla.b[1]
          : which === 'N'
            ? P.kaplan.nOpt
            : P.kaplan.dOpt;
      const cx = ps.reduce((acc, p) => acc + Math.log(p.Copt), 0) / ps.length;
      const cy = ps.reduce((acc, p) => acc + Math.log(which === 'N' ? p.Nopt : p.Dopt), 0) / ps.length;
      for (const C of [lo, hi])
        lines.push({
          C,
          v: Math.exp(cy + refSlope * (Math.log(C) - cx)),
          count: counts[i],
          line: kinds[1],
          key: `${k}-ref`,
        });
    });
    const x = {
      field: 'C',
      type: 'quantitative',
      scale: logScale,
      title: 'Compute C = 6·N·D (FLOPs, in each count)',
      axis: { format: '.0e' },
    };
    const y = {
      field: 'v',
      type: 'quantitative',
      scale: logScale,
      title: which === 'N' ? 'Compute-optimal N_opt' : 'Compute-optimal D_opt (tokens)',
      axis: { format: '.2s' },
    };
    const sub = (['total', 'nonEmbedding'] as const)
      .map((k) => {
        const f = s.fits[k].approach2;
        if (!f) return `${COUNT_SHORT[k]}: n/a`;
        return which === 'N'
          ? `${COUNT_SHORT[k]} a = ${fmtSig(f.a)} ${fmtInterval(f.ci.a)}`
          : `${COUNT_SHORT[k]} b = ${fmtSig(f.b)} ${fmtInterval(f.ci.b)}`;
      })
      .join('; ');
    return {
      title: {
        text: which === 'N' ? 'N_opt ∝ C^a' : 'D_opt ∝ C^b',
        subtitle: [
          sub,
          `dashed: ${which === 'N' ? `Chinchilla ${P.chinchilla.a[1]}, Kaplan ${P.kaplan.nOpt}` : `Chinchilla ${P.chinchilla.b[1]}, Kaplan ${P.kaplan.dOpt}`}`,
        ],
      },
      width: 330,
      height: 280,
      layer: [
        {
          data: { values: lines },
          mark: { type: 'line', strokeWidth: 2 },
          encoding: { x, y, color, strokeDash: dash, detail: { field: 'key' } },
        },
        {
          data: { values: points },
          mark: { type: 'point', filled: true, size: 70 },
          encoding: { x, y, color },
        },
      ],
    };
  };
  return {
    $schema: SCHEMA_URL,
    title: { text: 'Compute-optimal model size and data (approach 2), both parameter counts' },
    hconcat: [panel('N'), panel('D')],
    resolve: { scale: { color: 'shared', strokeDash: 'shared' } },
  } as TopLevelSpec;
}

/** One line per unit; colour by model size (non-embedding N, Kaplan's convention for Figure 1). */
function curveRows(run: LoadedRun, s: GridSummary) {
  const runs = new Map(completed(s).map((r) => [r.unit, r]));
  return metricRows(run)
    .filter(
      (m) => m.split === 'val' && m.step > 0 && m.loss > 0 && Number.isFinite(m.loss) && runs.has(m.model),
    )
    .map((m) => {
      const r = runs.get(m.model)!;
      return {
        unit: m.model,
        model: r.model,
        Nne: r.nonEmbeddingParams,
        label: `${r.model} (N ${fmtSig(r.nonEmbeddingParams, 3)})`,
        pfDays: (6 * r.nonEmbeddingParams * m.tokens) / FLOPS_PER_PF_DAY,
        tokens: m.tokens,
        loss: m.loss,
        step: m.step,
      };
    })
    .sort((a, b) => a.Nne - b.Nne || (a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : a.step - b.step));
}

function sizeColor(rows: { label: string }[]) {
  return {
    field: 'label',
    type: 'ordinal',
    title: 'Model (non-embedding N)',
    scale: { domain: [...new Set(rows.map((r) => r.label))], scheme: 'viridis' },
    legend: { labelLimit: 0, titleLimit: 0 },
  };
}

const expWithTotal = (s: GridSummary, pick: (f: CountFits) => { a: number; ci: Interval } | null) => {
  const ne = pick(s.fits.nonEmbedding);
  const t = pick(s.fits.total);
  return { ne, t };
};

export function gridLossVsComputeSpec(run: LoadedRun): TopLevelSpec {
  const s = summaryOf(run);
  const rows = curveRows(run, s);
  const { ne, t } = expWithTotal(s, (f) => f.lossVsC);
  const layers: unknown[] = [
    {
      data: { values: rows },
      mark: { type: 'line', strokeWidth: 1.2, opacity: 0.85, point: { size: 8 } },
      encoding: {
        x: {
          field: 'pfDays',
          type: 'quantitative',
          scale: logScale,
          title: 'Compute C (PF-days, 6·N_nonemb·tokens)',
          axis: { format: '.0e' },
        },
        y: { field: 'loss', type: 'quantitative', scale: logScale, title: LOSS_TITLE },
        color: sizeColor(rows),
        detail: { field: 'unit', type: 'nominal' },
      },
    },
  ];
  const f = s.fits.nonEmbedding.lossVsC;
  if (f) {
    const line = logSpace(f.range[0], f.range[1], 24).map((C) => ({
      pfDays: C / FLOPS_PER_PF_DAY,
      loss: Math.exp(f.a * (f.logXc - Math.log(C))),
    }));
    layers.push({
      data: { values: line },
      mark: { type: 'line', color: '#d62728', strokeDash: [6, 4], strokeWidth: 2.5 },
      encoding: { x: { field: 'pfDays', type: 'quantitative' }, y: { field: 'loss', type: 'quantitative' } },
    });
  }
  return {
    $schema: SCHEMA_URL,
    title: {
      text: 'Validation loss vs training compute (Kaplan Figure 1, left)',
      subtitle: ne
        ? `dashed: frontier L = (C_c/C)^a_C, a_C = ${fmtSig(ne.a)} ${fmtInterval(ne.ci)} (Kaplan: ${P.kaplan.aC}); with C = 6·N_total·D, a_C = ${fmtSig(t?.a)}`
        : 'no frontier fit',
    },
    width: WIDTH,
    height: HEIGHT,
    layer: layers,
  } as TopLevelSpec;
}

export function gridLossVsTokensSpec(run: LoadedRun): TopLevelSpec {
  const s = summaryOf(run);
  const rows = curveRows(run, s);
  const f = s.fits.nonEmbedding.lossVsD;
  const layers: unknown[] = [
    {
      data: { values: rows },
      mark: { type: 'line', strokeWidth: 1.2, opacity: 0.85, point: { size: 8 } },
      encoding: {
        x: {
          field: 'tokens',
          type: 'quantitative',
          scale: logScale,
          title: 'Tokens processed D',
          axis: { format: '.1s' },
        },
        y: { field: 'loss', type: 'quantitative', scale: logScale, title: LOSS_TITLE },
        color: sizeColor(rows),
        detail: { field: 'unit', type: 'nominal' },
      },
    },
  ];
  if (f) {
    const line = logSpace(f.range[0], f.range[1], 24).map((D) => ({
      tokens: D,
      loss: Math.exp(f.a * (f.logXc - Math.log(D))),
    }));
    layers.push({
      data: { values: line },
      mark: { type: 'line', color: '#d62728', strokeDash: [6, 4], strokeWidth: 2.5 },
      encoding: { x: { field: 'tokens', type: 'quantitative' }, y: { field: 'loss', type: 'quantitative' } },
    });
  }
  return {
    $schema: SCHEMA_URL,
    title: {
      text: 'Validation loss vs tokens processed (Kaplan Figure 1, middle)',
      subtitle: f
        ? `dashed: envelope fit L = (D_c/D)^a_D, a_D = ${fmtSig(f.a)} ${fmtInterval(f.ci)} (Kaplan: ${P.kaplan.aD})`
        : 'no L(D) fit',
    },
    width: WIDTH,
    height: HEIGHT,
    layer: layers,
  } as TopLevelSpec;
}

export function gridLossVsParamsSpec(run: LoadedRun): TopLevelSpec {
  const s = summaryOf(run);
  const runs = completed(s);
  const series = ['each run (final loss)', 'best run of each size', 'power law (N_c/N)^a_N'];
  const color = {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: { domain: series, range: ['#9ecae1', PALETTE[0], '#d62728'] },
    legend: { orient: 'top-right', labelLimit: 0 },
  };
  const x = {
    field: 'N',
    type: 'quantitative',
    scale: logScale,
    title: 'Non-embedding parameters N (12·layers·d_model²)',
    axis: { format: '.1s' },
  };
  const y = { field: 'loss', type: 'quantitative', scale: logScale, title: LOSS_TITLE };
  const all = runs
    .map((r) => ({
      N: r.nonEmbeddingParams,
      loss: r.finalValLoss as number,
      series: series[0],
      unit: r.unit,
    }))
    .sort((a, b) => a.N - b.N || (a.unit < b.unit ? -1 : 1));
  const bestBy = new Map<string, { N: number; loss: number; series: string; unit: string }>();
  for (const r of runs) {
    const prev = bestBy.get(r.model);
    if (!prev || (r.finalValLoss as number) < prev.loss)
      bestBy.set(r.model, {
        N: r.nonEmbeddingParams,
        loss: r.finalValLoss as number,
        series: series[1],
        unit: r.unit,
      });
  }
  const best = [...bestBy.values()].sort((a, b) => a.N - b.N);
  const layers: unknown[] = [
    {
      data: { values: all },
      mark: { type: 'point', filled: true, size: 30 },
      encoding: { x, y, color, tooltip: [{ field: 'unit' }] },
    },
    {
      data: { values: best },
      mark: { type: 'point', filled: true, size: 80 },
      encoding: { x, y, color, tooltip: [{ field: 'unit' }] },
    },
  ];
  const f = s.fits.nonEmbedding.lossVsN;
  if (f && best.length > 0) {
    const line = logSpace(f.range[0] / 1.3, f.range[1] * 1.3, 24).map((N) => ({
      N,
      loss: Math.exp(f.a * (f.logXc - Math.log(N))),
      series: series[2],
    }));
    layers.unshift({
      data: { values: line },
      mark: { type: 'line', strokeWidth: 2, strokeDash: [6, 4] },
      encoding: { x, y, color },
    });
  }
  const t = s.fits.total.lossVsN;
  return {
    $schema: SCHEMA_URL,
    title: {
      text: 'Final validation loss vs model size (Kaplan Figure 1, right)',
      subtitle: f
        ? `a_N = ${fmtSig(f.a)} ${fmtInterval(f.ci)} (Kaplan: ${P.kaplan.aN}) on each size's best run; with total parameters a_N = ${fmtSig(t?.a)}`
        : 'no L(N) fit',
    },
    width: WIDTH,
    height: HEIGHT,
    layer: layers,
  } as TopLevelSpec;
}

export async function gridFigures(run: LoadedRun, outDir: string): Promise<string[]> {
  const specs: [string, TopLevelSpec][] = [];
  if (isIsoflop(summaryOf(run))) {
    specs.push(['scaling-isoflop-total', isoflopSpec(run, 'total')]);
    specs.push(['scaling-isoflop-nonembedding', isoflopSpec(run, 'nonEmbedding')]);
    specs.push(['scaling-optimal-n-d', optimalSpec(run)]);
  }
  specs.push(['scaling-loss-vs-compute', gridLossVsComputeSpec(run)]);
  specs.push(['scaling-loss-vs-tokens', gridLossVsTokensSpec(run)]);
  specs.push(['scaling-loss-vs-params', gridLossVsParamsSpec(run)]);
  return renderCharts(specs, outDir);
}

// ---------------------------------------------------------------------------------------------
// Paper tables and verdicts.

export interface AnchorRow {
  quantity: string;
  count: CountKind;
  ours: number | null;
  ci: Interval;
  paper: string;
  theirs: number;
  /** Whether our 95% interval contains their value; null without an interval. */
  contains: boolean | null;
}

/** Our fits beside every paper's number they can be compared with. */
export function anchorRows(fits: GridFits): AnchorRow[] {
  const rows: AnchorRow[] = [];
  const add = (
    quantity: string,
    count: CountKind,
    v: { x: number; ci: Interval } | null,
    paper: string,
    theirs: number,
  ) =>
    rows.push({
      quantity,
      count,
      ours: v?.x ?? null,
      ci: v?.ci ?? null,
      paper,
      theirs,
      contains: v ? inside(v.ci, theirs) : null,
    });
  for (const k of ['total', 'nonEmbedding'] as const) {
    const f = fits[k];
    const a1 = f.approach1 ? { x: f.approach1.a, ci: f.approach1.ci } : null;
    const a2 = f.approach2 ? { x: f.approach2.a, ci: f.approach2.ci.a } : null;
    const b2 = f.approach2 ? { x: f.approach2.b, ci: f.approach2.ci.b } : null;
    const a3 = f.approach3 ? { x: f.approach3.a, ci: f.approach3.ci.a } : null;
    if (k === 'total') {
      add('a, approach 1 (envelope)', k, a1, 'Chinchilla approach 1', P.chinchilla.a[0]);
      add('a, approach 2 (IsoFLOP)', k, a2, 'Chinchilla approach 2', P.chinchilla.a[1]);
      add('a, approach 2 (IsoFLOP)', k, a2, 'Pearce & Song, total', P.pearceSong.aTotal);
      add('a, approach 2 (IsoFLOP)', k, a2, 'Porian, corrected', P.porian.aCorrected);
      add('b, approach 2 (IsoFLOP)', k, b2, 'Chinchilla approach 2', P.chinchilla.b[1]);
      add('a, approach 3 (parametric)', k, a3, 'Chinchilla approach 3', P.chinchilla.a[2]);
      add('a, approach 3 (parametric)', k, a3, 'Besiroglu et al.', P.besiroglu.a);
    } else {
      add('a, approach 1 (envelope)', k, a1, 'Kaplan frontier', P.kaplan.nOpt);
      add('a, approach 2 (IsoFLOP)', k, a2, 'Pearce & Song, non-embedding', P.pearceSong.aNonEmbedding);
      add('a, approach 2 (IsoFLOP)', k, a2, 'Kaplan frontier', P.kaplan.nOpt);
      add('a, approach 2 (IsoFLOP)', k, a2, "Porian, Kaplan's setup", P.porian.aKaplanSetup);
      add('b, approach 2 (IsoFLOP)', k, b2, 'Kaplan frontier', P.kaplan.dOpt);
      add('a, approach 3 (parametric)', k, a3, 'Pearce & Song, non-embedding', P.pearceSong.aNonEmbedding);
    }
    const p3 = f.approach3;
    if (p3) {
      add('α in A/N^α', k, { x: p3.alpha, ci: p3.ci.alpha }, 'Chinchilla', P.chinchilla.alpha);
      add('α in A/N^α', k, { x: p3.alpha, ci: p3.ci.alpha }, 'Besiroglu et al.', P.besiroglu.alpha);
      add('β in B/D^β', k, { x: p3.beta, ci: p3.ci.beta }, 'Chinchilla', P.chinchilla.beta);
      add('β in B/D^β', k, { x: p3.beta, ci: p3.ci.beta }, 'Besiroglu et al.', P.besiroglu.beta);
      add('E (nats/token)', k, { x: p3.E, ci: p3.ci.E }, 'Chinchilla', P.chinchilla.E);
      add('E (nats/token)', k, { x: p3.E, ci: p3.ci.E }, 'Besiroglu et al.', P.besiroglu.E);
    }
    if (k === 'nonEmbedding') {
      const kn = f.lossVsN;
      const kc = f.lossVsC;
      const kd = f.lossVsD;
      add('a_N in L(N) = (N_c/N)^a_N', k, kn ? { x: kn.a, ci: kn.ci } : null, 'Kaplan', P.kaplan.aN);
      add('a_C in L(C_min) = (C_c/C)^a_C', k, kc ? { x: kc.a, ci: kc.ci } : null, 'Kaplan', P.kaplan.aC);
      add('a_D in L(D) = (D_c/D)^a_D', k, kd ? { x: kd.a, ci: kd.ci } : null, 'Kaplan', P.kaplan.aD);
    }
  }
  return rows;
}

export interface Verdict {
  claim: string;
  verdict: 'yes' | 'no' | 'not judged';
  evidence: string;
}

/** The claims the issue asks the default run to show, judged from the fits. */
export function gridVerdicts(fits: GridFits): Verdict[] {
  const out: Verdict[] = [];
  const t2 = fits.total.approach2;
  const n2 = fits.nonEmbedding.approach2;
  const t3 = fits.total.approach3;
  const n3 = fits.nonEmbedding.approach3;
  const judge = (ok: boolean | null): Verdict['verdict'] => (ok === null ? 'not judged' : ok ? 'yes' : 'no');
  const within = (ci: Interval, lo: number, hi: number) => (ci ? ci[0] >= lo && ci[1] <= hi : null);
  out.push({
    claim: 'With total parameters, a (N_opt ∝ C^a, approach 2) and its 95% interval lie inside [0.35, 0.65]',
    verdict: judge(t2 ? within(t2.ci.a, 0.35, 0.65) : null),
    evidence: t2 ? `a = ${fmtSig(t2.a)}, 95% CI ${fmtInterval(t2.ci.a)}` : 'no approach-2 fit',
  });
  const r2 = fits.reconciliation.approach2;
  out.push({
    claim:
      'With non-embedding parameters the same runs give a clearly higher a (approach 2: the paired 95% interval of the difference excludes 0)',
    verdict: judge(r2?.ci ? r2.ci[0] > 0 : null),
    evidence:
      r2 && t2 && n2
        ? `non-embedding a = ${fmtSig(n2.a)} ${fmtInterval(n2.ci.a)} vs total ${fmtSig(t2.a)}; difference ${fmtSig(r2.diff)}, 95% CI ${fmtInterval(r2.ci)} (Pearce & Song: ${P.pearceSong.aTotal} vs ${P.pearceSong.aNonEmbedding})`
        : 'no approach-2 fit for both counts',
  });
  const r3 = fits.reconciliation.approach3;
  out.push({
    claim: 'The same holds for approach 3 (paired interval of the difference excludes 0)',
    verdict: judge(r3?.ci ? r3.ci[0] > 0 : null),
    evidence:
      r3 && t3 && n3
        ? `non-embedding a = ${fmtSig(n3.a)} vs total ${fmtSig(t3.a)}; difference ${fmtSig(r3.diff)}, 95% CI ${fmtInterval(r3.ci)}`
        : 'no approach-3 fit for both counts',
  });
  for (const k of ['total', 'nonEmbedding'] as const) {
    const a2 = fits[k].approach2;
    const a3 = fits[k].approach3;
    const overlap = a2?.ci.a && a3?.ci.a ? a2.ci.a[0] <= a3.ci.a[1] && a3.ci.a[0] <= a2.ci.a[1] : null;
    out.push({
      claim: `Approaches 2 and 3 agree within their intervals (${COUNT_LABEL[k]})`,
      verdict: judge(overlap),
      evidence:
        a2 && a3
          ? `approach 2 a = ${fmtSig(a2.a)} ${fmtInterval(a2.ci.a)}, approach 3 a = ${fmtSig(a3.a)} ${fmtInterval(a3.ci.a)}`
          : 'one of the two fits is missing',
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Text.

/** What differs at this scale and why, each sentence from the data. */
export function gridDifferences(run: LoadedRun): string[] {
  const s = summaryOf(run);
  const fits = s.fits;
  const runs = completed(s);
  const out: string[] = [];
  if (runs.length === 0) return ['No unit completed, so nothing could be compared.'];
  const shares = runs.map((r) => r.embeddingParams / r.totalParams);
  const smallest = runs.reduce((a, b) => (a.totalParams <= b.totalParams ? a : b));
  const largest = runs.reduce((a, b) => (a.totalParams >= b.totalParams ? a : b));
  out.push(
    `Embeddings are ${fmtSig(100 * Math.min(...shares), 2)}% to ${fmtSig(100 * Math.max(...shares), 2)}% of our models' parameters (${fmtSig(100 * (smallest.embeddingParams / smallest.totalParams), 2)}% for ${smallest.model}, ${fmtSig(100 * (largest.embeddingParams / largest.totalParams), 2)}% for ${largest.model}). When the share falls as models grow, N_nonemb grows faster than N_total along the compute-optimal path, so an exponent measured in non-embedding parameters comes out higher: this is Pearce & Song's reconciliation of Kaplan's 0.73 with Chinchilla's 0.5, and the reason every fit here is done twice.`,
  );
  const t2 = fits.total.approach2;
  if (t2) {
    const tpp = t2.profiles.map((p) => p.Dopt / p.Nopt);
    out.push(
      `At the IsoFLOP minima our models see ${fmtSig(Math.min(...tpp), 2)} to ${fmtSig(Math.max(...tpp), 2)} tokens per (total) parameter, against Chinchilla's about ${P.chinchilla.tokensPerParam}; ${
        Math.max(...tpp) < P.chinchilla.tokensPerParam / 2 ||
        Math.min(...tpp) > P.chinchilla.tokensPerParam * 2
          ? 'the ratio is not a constant of nature: it depends on the data, tokenizer, architecture and optimisation, and ours differ from theirs on all four.'
          : 'close to theirs, though the ratio depends on the data, tokenizer and optimisation.'
      }`,
    );
    const budgetRuns = (C: number) => runs.filter((r) => r.budget === C);
    const rise = t2.profiles.map((p) => {
      const [c0, c1, c2] = p.coefficients;
      const at = (u: number) => c0 + c1 * u + c2 * u * u;
      return Math.max(at(Math.log(p.range[0])), at(Math.log(p.range[1]))) - p.lossAtOpt;
    });
    const rms = t2.profiles.map((p) => {
      const [c0, c1, c2] = p.coefficients;
      const rs = budgetRuns(p.budget).map((r) => {
        const u = Math.log(r.totalParams);
        return (r.finalValLoss as number) - (c0 + c1 * u + c2 * u * u);
      });
      return Math.sqrt(rs.reduce((acc, v) => acc + v * v, 0) / rs.length);
    });
    const spans = t2.profiles.map((p) => Math.log10(p.range[1] / p.range[0]));
    out.push(
      `Each budget has ${range(
        t2.profiles.map((p) => p.n),
        String,
      )} sizes over ${range(spans, (x) => fmtSig(x, 2))} decades of N; the fitted parabolas rise ${range(rise, (x) => fmtSig(x, 2))} nats from their minimum to the farther end of the sizes, and the runs scatter ${range(rms, (x) => fmtSig(x, 2))} nats (RMS) around them. A minimum is only as sharp as that rise is large against that scatter, which is what the bootstrap intervals of a measure. ${
        t2.profiles.every((p) => p.bracketed)
          ? 'Every minimum lies inside its budget’s sizes.'
          : `${t2.profiles.filter((p) => !p.bracketed).length} of ${t2.profiles.length} minima lie outside their budget's sizes (an extrapolation of the parabola).`
      }`,
    );
    out.push(
      `Our budgets span ${decades(Math.log10(Math.max(...s.grid.budgets) / Math.min(...s.grid.budgets)))} of compute (${fmtSig(Math.min(...s.grid.budgets))} to ${fmtSig(Math.max(...s.grid.budgets))} FLOPs), and the slope of N_opt against C rests on ${t2.n} minima; Chinchilla's IsoFLOP budgets are larger and more numerous, so our interval on a is wider than theirs would be.`,
    );
  }
  const maxEp = Math.max(...runs.map((r) => r.epochs));
  out.push(
    `Each run's warmup (${s.grid.warmupRule}) and cosine decay span that run's own length, the learning rate follows one rule per size (${s.grid.lrRule}) and the output layer's FLOPs are counted in 6·N_total: three of the four changes with which Porian et al. moved Kaplan's 0.86 to 0.50. We did not tune learning rate, batch size or AdamW β2 per size (the fourth), and batch size is fixed at ${fmtInt(s.grid.tokensPerStep)} tokens per step, so our smallest and largest models may each be off their own optimum.`,
  );
  out.push(
    `The most-repeated run saw ${fmtSig(maxEp, 2)} epochs of the ${fmtInt(s.grid.trainTokens)}-token training split (at most ${s.grid.maxEpochs}; Muennighoff et al. 2023 found up to about 4 epochs cost about as much as fresh data), so repetition is ${maxEp > 1 ? 'a small effect on the data-rich small models of the largest budgets' : 'not a factor'}.`,
  );
  const tok = run.config.tokenizer as { kind?: string } | undefined;
  out.push(
    `We train on ${describeCorpus(run.config.corpus)} with a ${tok?.kind ?? 'unnamed'} tokenizer of ${fmtInt(s.grid.vocabSize)} tokens and context ${run.config.seqLen ?? 'unknown'}, models of ${fmtSig(smallest.totalParams, 2)} to ${fmtSig(largest.totalParams, 2)} total parameters (Pearce & Song's IsoFLOP study: ${fmtSig(P.pearceSong.params[0], 2)} to ${fmtSig(P.pearceSong.params[1], 2)}; Chinchilla's models are larger by orders of magnitude). Loss levels, E and the other constants depend on corpus and tokenizer and are not comparable with the papers'; the exponents are what can be compared.`,
  );
  const k = fits.nonEmbedding;
  if (k.lossVsN && k.lossVsC) {
    const big = runs.filter((r) => r.model === largest.model);
    const tppBig = Math.max(...big.map((r) => r.tokens / r.totalParams));
    out.push(
      `Kaplan's L(N) measures models trained to convergence; our best run of each size is still compute-limited (the largest, ${largest.model}, saw at most ${fmtSig(tppBig, 2)} tokens per parameter), so a_N = ${fmtSig(k.lossVsN.a)} here mixes model size with undertraining. The frontier L(C_min) is the envelope of learning curves whose schedules end at different points: intermediate points of a cosine run are not annealed, which biases the envelope toward each run's end (the mismatch Chinchilla and Porian et al. point out in Kaplan's method).`,
    );
  }
  if (fits.excluded.length > 0)
    out.push(
      `${fits.excluded.length} unit(s) diverged and are left out of every fit: ${fits.excluded.map((e) => `${e.unit} (${e.reason})`).join('; ')}.`,
    );
  return out;
}

const ciCell = (ci: Interval) => fmtInterval(ci);

export function gridReport(run: LoadedRun, figuresRelPath: string): string {
  const s = summaryOf(run);
  const fits = s.fits;
  const rel = figuresRelPath.replace(/\/+$/, '');
  const info = run.run;
  const L: string[] = [];
  const iso = isIsoflop(s);
  L.push('# Scaling laws at small scale: IsoFLOP profiles, and Kaplan’s exponents from the same runs');
  L.push('');
  L.push(
    `This report measures compute-optimal scaling as Hoffmann et al. 2022 (Chinchilla) did, with an IsoFLOP grid, and fits Kaplan et al. 2020's laws to the same runs, each with total and with non-embedding parameters, to show why the two papers found different exponents (Pearce & Song 2024; Porian et al. 2024). It was generated from \`${run.dir.split('/').slice(-2).join('/')}\` alone${run.config.preset ? ` (preset \`${run.config.preset}\`)` : ''}; ${s.runs.length} runs.`,
  );
  L.push('');
  L.push(`FLOPs: ${s.flopConvention}`);
  L.push('');
  L.push('## Run');
  L.push('');
  const minutes =
    info.startedAt && info.finishedAt
      ? (Date.parse(info.finishedAt) - Date.parse(info.startedAt)) / 60000
      : null;
  L.push(mdRow(['run id', 'status', 'backend', 'started', 'finished', 'wall time', 'git commit', 'seed']));
  L.push(mdRow(['---', '---', '---', '---', '---', '---:', '---', '---']));
  L.push(
    mdRow([
      `\`${info.runId}\``,
      info.status,
      describeBackend(info.backend, { threads: false }),
      info.startedAt ?? 'n/a',
      info.finishedAt ?? 'n/a',
      minutes !== null ? `${fmtSig(minutes, 3)} min` : 'n/a',
      info.git?.commit ? `\`${info.git.commit.slice(0, 12)}\`${info.git.dirty ? ' (dirty)' : ''}` : 'n/a',
      String(run.config.seed ?? 'n/a'),
    ]),
  );
  L.push('');
  L.push('## Grid');
  L.push('');
  if (iso) {
    L.push(
      `${s.grid.budgets.length} budgets, ${s.grid.budgets.map((b) => fmtSig(b)).join(', ')} FLOPs (${decades(Math.log10(Math.max(...s.grid.budgets) / Math.min(...s.grid.budgets)))}); sizes per budget: ${s.grid.sizeRule} (Chinchilla's is about ${P.chinchilla.tokensPerParam} tokens per parameter); each run trains D = C / (6·N_total) tokens, rounded to whole steps of ${fmtInt(s.grid.tokensPerStep)} tokens.`,
    );
  } else {
    L.push(`Kaplan's protocol: every model on the same number of tokens (${fmtInt(s.runs[0]?.tokens)}).`);
  }
  L.push('');
  L.push(`- Learning rate: ${s.grid.lrRule}. Schedule: ${s.grid.warmupRule}.`);
  L.push(
    `- Data: at most ${s.grid.maxEpochs} epochs of the ${fmtInt(s.grid.trainTokens)}-token training split (Muennighoff et al. 2023); every run is evaluated on the same held-out rows.`,
  );
  L.push(
    `- Fits: 95% percentile intervals from ${fits.bootstrap.B} bootstrap resamples of the runs (seed ${fits.bootstrap.seed}): approaches 2 and 3 resample runs within each budget and refit both counts on the same draw; Kaplan's L(N) resamples sizes, L(C) and L(D) resample learning curves. Approach 3 minimises a Huber loss (δ = ${fits.huberDelta}) on log loss with L-BFGS from ${fmtInt(fits.starts)} starts (${fits.starts >= 4500 ? "Hoffmann et al.'s grid" : "a coarse subgrid of Hoffmann et al.'s"}); bootstrap refits start from the full fit's optimum and ${BOOTSTRAP_STARTS.length} more.`,
  );
  L.push('');
  L.push('## Figures');
  L.push('');
  if (iso) {
    L.push(`![IsoFLOP profiles, total parameters](${rel}/scaling-isoflop-total.svg)`);
    L.push('');
    L.push(`![IsoFLOP profiles, non-embedding parameters](${rel}/scaling-isoflop-nonembedding.svg)`);
    L.push('');
    L.push(`![Compute-optimal N and D against C](${rel}/scaling-optimal-n-d.svg)`);
    L.push('');
  }
  L.push(`![Validation loss vs compute](${rel}/scaling-loss-vs-compute.svg)`);
  L.push('');
  L.push(`![Validation loss vs tokens processed](${rel}/scaling-loss-vs-tokens.svg)`);
  L.push('');
  L.push(`![Final validation loss vs non-embedding parameters](${rel}/scaling-loss-vs-params.svg)`);
  L.push('');
  L.push('## Verdicts');
  L.push('');
  L.push(mdRow(['claim', 'verdict', 'evidence']));
  L.push(mdRow(['---', '---', '---']));
  for (const v of gridVerdicts(fits)) L.push(mdRow([v.claim, v.verdict, v.evidence]));
  L.push('');
  L.push('## Exponents: ours beside the papers');
  L.push('');
  L.push(
    mdRow([
      'quantity',
      'parameters',
      'ours',
      'our 95% interval',
      'paper',
      'their value',
      'inside our interval?',
    ]),
  );
  L.push(mdRow(['---', '---', '---:', '---', '---', '---:', '---']));
  for (const r of anchorRows(fits)) {
    L.push(
      mdRow([
        r.quantity,
        COUNT_SHORT[r.count],
        fmtSig(r.ours),
        ciCell(r.ci),
        r.paper,
        fmtSig(r.theirs),
        yesNo(r.contains),
      ]),
    );
  }
  L.push('');
  L.push(
    `Sources: ${[P.kaplan, P.chinchilla, P.besiroglu, P.pearceSong, P.porian, P.muennighoff].map((p) => p.cite).join('; ')}. Kaplan's exponents are in non-embedding parameters, Chinchilla's and Besiroglu's in total parameters; E depends on the corpus and tokenizer and is listed for completeness only.`,
  );
  const notes = [
    ...fits.total.notes.map((n) => `total: ${n}`),
    ...fits.nonEmbedding.notes.map((n) => `non-embedding: ${n}`),
  ];
  if (notes.length > 0) {
    L.push('');
    for (const n of notes) L.push(`- Not fitted or partial: ${n}`);
  }
  L.push('');
  if (iso) {
    L.push('## IsoFLOP minima');
    L.push('');
    L.push(
      mdRow([
        'budget (FLOPs)',
        'parameters',
        'sizes',
        'N_opt',
        'D_opt',
        'D_opt / N_opt',
        'loss at minimum',
        'inside the sizes?',
      ]),
    );
    L.push(mdRow(['---:', '---', '---:', '---:', '---:', '---:', '---:', '---']));
    for (const k of ['total', 'nonEmbedding'] as const) {
      for (const p of fits[k].approach2?.profiles ?? []) {
        L.push(
          mdRow([
            fmtSig(p.budget),
            COUNT_SHORT[k],
            String(p.n),
            fmtSig(p.Nopt),
            fmtSig(p.Dopt),
            fmtSig(p.Dopt / p.Nopt, 3),
            fmtSig(p.lossAtOpt, 4),
            p.bracketed ? 'yes' : 'no',
          ]),
        );
      }
    }
    L.push('');
  }
  L.push('## What differs at this scale and why');
  L.push('');
  for (const d of gridDifferences(run)) L.push(`- ${d}`);
  L.push('');
  L.push('## Runs');
  L.push('');
  L.push(
    mdRow([
      'unit',
      'layers',
      'd_model',
      'N total',
      'N non-emb.',
      'tokens',
      'D / N_total',
      'epochs',
      'peak lr',
      'final val loss',
      'status',
    ]),
  );
  L.push(mdRow(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---']));
  for (const r of s.runs) L.push(runCells(r));
  L.push('');
  return L.join('\n');
}

function runCells(r: ScalingRunRow): string {
  return mdRow([
    r.unit,
    String(r.numLayers),
    String(r.dModel),
    fmtInt(r.totalParams),
    fmtInt(r.nonEmbeddingParams),
    fmtInt(r.tokens),
    fmtSig(r.tokens / r.totalParams, 3),
    fmtSig(r.epochs, 2),
    fmtSig(r.lr, 3),
    r.finalValLoss !== null ? fmtSig(r.finalValLoss, 4) : 'n/a',
    r.status,
  ]);
}

/** The envelope of the learning curves (as the L(C) fit uses it), for callers that want its points. */
export function gridFrontier(run: LoadedRun, kind: CountKind) {
  const s = summaryOf(run);
  return gridEnvelope(validationCurves(metricRows(run), s.runs), kind);
}
