/**
 * The scaling experiment's figures and markdown report, from a results run directory alone.
 *
 * A run in the grid schema (`summary.schema`, packages/scaling/src/schema.ts: the IsoFLOP grid
 * and the fixed-token protocol) is reported by scaling-grid.ts. A run written before that
 * schema (Kaplan's protocol as first committed: `summary.models`, compute = 6 N_nonemb D) is
 * reported by the functions below, unchanged, so its docs regenerate byte for byte.
 */

import {
  computeFrontier,
  FLOPS_PER_PF_DAY,
  type FrontierPoint,
  fitScalingSummary,
  flopsToPfDays,
  isScalingGridSummary,
  offsetPowerLaw,
  type ScalingFits,
} from '@pretrain-lab/scaling';
import * as aq from 'arquero';
import type { TopLevelSpec } from 'vega-lite';
import { describeBackend, describeCorpus, mdRow } from './compare.js';
import { fmtInt, fmtInterval, fmtSig } from './format.js';
import { renderCharts } from './render.js';
import { type LoadedRun, loadRun, type MetricRow, type ModelSummary } from './results.js';
import { CHINCHILLA, KAPLAN } from './scaling-anchors.js';
import { GRID_FIGURES, gridFigures, gridReport } from './scaling-grid.js';

export { CHINCHILLA, KAPLAN, SCALING_ANCHORS } from './scaling-anchors.js';

/** Figures of a run written before the grid schema. */
export const SCALING_FIGURES = [
  'scaling-loss-vs-compute',
  'scaling-loss-vs-params',
  'scaling-loss-vs-tokens',
] as const;

const WIDTH = 520;
const HEIGHT = 340;
const LOSS_TITLE = 'Validation loss (nats/token)';

/** Positive, finite validation rows sorted by model size, model name, then step. */
function valRows(run: LoadedRun): MetricRow[] {
  return (
    run.metrics
      .filter((d: MetricRow) => d.split === 'val' && d.loss > 0 && d.tokens > 0 && d.compute > 0)
      .orderby('nonEmbeddingParams', 'model', 'step')
      .objects() as MetricRow[]
  ).filter((d) => Number.isFinite(d.loss));
}

/** The fits stored in summary.json; recomputed (and flagged) when an older run lacks them. */
export function runFits(run: LoadedRun): { fits: ScalingFits; recomputed: boolean } {
  const stored = run.summary?.fits as ScalingFits | undefined;
  if (stored && 'params' in stored && 'compute' in stored) return { fits: stored, recomputed: false };
  const models = (run.summary?.models ?? []).map((m) => ({
    model: m.model,
    nonEmbeddingParams: m.nonEmbeddingParams,
    finalValLoss: m.finalValLoss,
  }));
  const rows = valRows(run);
  const names = [...new Set(rows.map((r) => r.model))];
  const curves = names.map((model) => ({
    model,
    points: rows.filter((r) => r.model === model).map((r) => ({ compute: r.compute, loss: r.loss })),
  }));
  return { fits: fitScalingSummary(models, curves, { seed: run.config.seed ?? 0 }), recomputed: true };
}

/** `count` log-spaced values from lo to hi inclusive. */
function logSpace(lo: number, hi: number, count: number): number[] {
  const a = Math.log(lo);
  const b = Math.log(hi);
  return Array.from({ length: count }, (_, i) => Math.exp(a + ((b - a) * i) / (count - 1)));
}

/** Legend label of a model: its name and N. */
const modelLabel = (model: string, N: number): string => `${model} (N ${fmtSig(N, 3)})`;

/**
 * One colour per model, ordered by N on a sequential scheme, so size reads as lightness and
 * every line still has its own legend entry. `rows` must already be sorted by N.
 */
function colorByN(rows: { label: string }[]): Record<string, unknown> {
  const domain = [...new Set(rows.map((r) => r.label))];
  return {
    field: 'label',
    type: 'ordinal',
    title: 'Model (non-embedding N)',
    scale: { domain, scheme: 'viridis' },
    legend: { labelLimit: 0, titleLimit: 0 },
  };
}

const logScale = { type: 'log', nice: false } as const;

export function lossVsComputeSpec(run: LoadedRun, fits: ScalingFits): TopLevelSpec {
  const rows = valRows(run).map((r) => ({
    model: r.model,
    label: modelLabel(r.model, r.nonEmbeddingParams),
    pfDays: flopsToPfDays(r.compute),
    loss: r.loss,
  }));
  const layers: unknown[] = [
    {
      data: { values: rows },
      mark: { type: 'line', strokeWidth: 1.5, point: { size: 12 } },
      encoding: {
        x: {
          field: 'pfDays',
          type: 'quantitative',
          scale: logScale,
          title: 'Compute C (PF-days, 6·N·tokens)',
          axis: { format: '.0e' },
        },
        y: { field: 'loss', type: 'quantitative', scale: logScale, title: LOSS_TITLE },
        color: colorByN(rows),
        detail: { field: 'model', type: 'nominal' },
      },
    },
  ];
  const fit = fits.compute;
  if (fit) {
    const line = logSpace(fit.range[0], fit.range[1], 24).map((c) => ({
      pfDays: c,
      loss: (fit.Cc / c) ** fit.a,
    }));
    layers.push({
      data: { values: line },
      mark: { type: 'line', color: '#d62728', strokeDash: [6, 4], strokeWidth: 2 },
      encoding: { x: { field: 'pfDays', type: 'quantitative' }, y: { field: 'loss', type: 'quantitative' } },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Validation loss vs training compute',
      subtitle: fit
        ? `dashed: compute-efficient frontier L = (C_c/C)^a_C, a_C = ${fmtSig(fit.a)} (Kaplan: ${KAPLAN.aC})`
        : 'no frontier fit (too few curves)',
    },
    width: WIDTH,
    height: HEIGHT,
    layer: layers,
  } as TopLevelSpec;
}

export function lossVsParamsSpec(run: LoadedRun, fits: ScalingFits): TopLevelSpec {
  const models = [...(run.summary?.models ?? [])]
    .filter((m) => m.nonEmbeddingParams > 0 && m.finalValLoss > 0)
    .sort((a, b) => a.nonEmbeddingParams - b.nonEmbeddingParams || (a.model < b.model ? -1 : 1));
  const series = ['measured (final val loss)', 'power law (N_c/N)^a_N', 'offset E + A/N^α'];
  const points = models.map((m) => ({
    N: m.nonEmbeddingParams,
    loss: m.finalValLoss,
    series: series[0],
    model: m.model,
  }));
  const layers: unknown[] = [];
  const Ns = models.map((m) => m.nonEmbeddingParams);
  const lo = Math.min(...Ns) / 1.5;
  const hi = Math.max(...Ns) * 1.5;
  const color = {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: { domain: series, range: ['#1f77b4', '#d62728', '#2ca02c'] },
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
  if (fits.params && models.length > 0) {
    const p = fits.params;
    const line = logSpace(lo, hi, 24).map((N) => ({ N, loss: (p.Nc / N) ** p.a, series: series[1] }));
    layers.push({
      data: { values: line },
      mark: { type: 'line', strokeWidth: 2, strokeDash: [6, 4] },
      encoding: { x, y, color },
    });
  }
  if (fits.offset && models.length > 0) {
    const o = fits.offset;
    const line = logSpace(lo, hi, 48).map((N) => ({ N, loss: offsetPowerLaw(o, N), series: series[2] }));
    layers.push({
      data: { values: line },
      mark: { type: 'line', strokeWidth: 2, strokeDash: [2, 3] },
      encoding: { x, y, color },
    });
  }
  layers.push({
    data: { values: points },
    mark: { type: 'point', filled: true, size: 70 },
    encoding: { x, y, color, tooltip: [{ field: 'model' }] },
  });
  const p = fits.params;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Final validation loss vs model size',
      subtitle: p
        ? `a_N = ${fmtSig(p.a)}, 95% CI ${fmtInterval(p.ci)} (Kaplan: ${KAPLAN.aN})` +
          (fits.offset ? `; offset fit α = ${fmtSig(fits.offset.alpha)}, E = ${fmtSig(fits.offset.E)}` : '')
        : 'no power-law fit (fewer than 2 model sizes)',
    },
    width: WIDTH,
    height: HEIGHT,
    layer: layers,
  } as TopLevelSpec;
}

export function lossVsTokensSpec(run: LoadedRun): TopLevelSpec {
  const rows = valRows(run).map((r) => ({
    model: r.model,
    label: modelLabel(r.model, r.nonEmbeddingParams),
    tokens: r.tokens,
    loss: r.loss,
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Validation loss vs tokens processed',
      subtitle: 'one line per model size; larger models are more sample-efficient in Kaplan et al.',
    },
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 1.5, point: { size: 12 } },
    encoding: {
      x: {
        field: 'tokens',
        type: 'quantitative',
        scale: logScale,
        title: 'Tokens processed D',
        axis: { format: '.1s' },
      },
      y: { field: 'loss', type: 'quantitative', scale: logScale, title: LOSS_TITLE },
      color: colorByN(rows),
      detail: { field: 'model', type: 'nominal' },
    },
  } as TopLevelSpec;
}

/** The lower envelope of the validation curves, in PF-days, as fitted by fitScalingSummary. */
function envelope(run: LoadedRun): FrontierPoint[] {
  const rows = valRows(run);
  const names = [...new Set(rows.map((r) => r.model))];
  return computeFrontier(
    names.map((model) => ({
      model,
      points: rows
        .filter((r) => r.model === model)
        .map((r) => ({ compute: flopsToPfDays(r.compute), loss: r.loss })),
    })),
  );
}

/** Whether a run directory holds a grid-schema run (scaling-grid.ts reports it). */
export function isGridRun(runDir: string): boolean {
  return isScalingGridSummary(loadRun(runDir).summary);
}

/** The figures a run produces, by name (without extension). */
export function scalingFigureNames(runDir: string): readonly string[] {
  const run = loadRun(runDir);
  return isScalingGridSummary(run.summary) ? GRID_FIGURES(run) : SCALING_FIGURES;
}

/** Write the run's figures to `outDir`; returns the files (svg and png for each). */
export async function scalingFigures(runDir: string, outDir: string): Promise<string[]> {
  const run = loadRun(runDir);
  if (isScalingGridSummary(run.summary)) return gridFigures(run, outDir);
  const { fits } = runFits(run);
  const specs: [string, TopLevelSpec][] = [
    ['scaling-loss-vs-compute', lossVsComputeSpec(run, fits)],
    ['scaling-loss-vs-params', lossVsParamsSpec(run, fits)],
    ['scaling-loss-vs-tokens', lossVsTokensSpec(run)],
  ];
  return renderCharts(specs, outDir);
}

/** Sentences for "What differs at this scale and why", each parameterised by the data. */
function differences(run: LoadedRun, fits: ScalingFits, models: ModelSummary[]): string[] {
  const out: string[] = [];
  const p = fits.params;
  if (p) {
    const ratio = p.a / KAPLAN.aN;
    let s = `Our L(N) exponent is a_N = ${fmtSig(p.a)} against Kaplan's ${KAPLAN.aN} (${fmtSig(ratio, 2)}x theirs), from ${p.n} model sizes with r² = ${fmtSig(p.r2)} in log-log space.`;
    if (p.ci) {
      const inside = p.ci[0] <= KAPLAN.aN && KAPLAN.aN <= p.ci[1];
      s += inside
        ? ` The 95% bootstrap interval ${fmtInterval(p.ci)} contains Kaplan's value, so at this scale we cannot tell the two apart.`
        : ` The 95% bootstrap interval ${fmtInterval(p.ci)} does not contain Kaplan's value: loss falls ${p.a > KAPLAN.aN ? 'faster' : 'slower'} with N here than in their models.`;
      const relWidth = (p.ci[1] - p.ci[0]) / Math.abs(p.a);
      s += ` The interval's width is ${fmtSig(100 * relWidth, 2)}% of the estimate${
        relWidth > 0.3
          ? `; with only ${p.n} sizes, resamples that drop the smallest or largest model move the slope a lot`
          : ''
      }.`;
    } else {
      s += ' There are too few distinct sizes for a bootstrap interval.';
    }
    out.push(s);
  }
  if (models.length > 0) {
    const Ns = models.map((m) => m.nonEmbeddingParams);
    const lo = Math.min(...Ns);
    const hi = Math.max(...Ns);
    const decades = Math.log10(hi / lo);
    out.push(
      `Our models span N = ${fmtSig(lo)} to ${fmtSig(hi)} non-embedding parameters (${fmtSig(decades, 2)} decades); Kaplan's span 768 to 1.5e9 (about 6.3 decades), so any curvature of L(N) over a wide range is invisible here, and a pure power law fitted over ${fmtSig(decades, 2)} decades is sensitive to each point.`,
    );
    const embShare = models.map((m) => (m.totalParams - m.nonEmbeddingParams) / m.totalParams);
    const smallest = models.reduce((a, b) => (a.nonEmbeddingParams <= b.nonEmbeddingParams ? a : b));
    const smallShare = (smallest.totalParams - smallest.nonEmbeddingParams) / smallest.totalParams;
    out.push(
      `Parameters outside N (embeddings, biases, LayerNorms) are ${fmtSig(100 * Math.min(...embShare), 2)}% to ${fmtSig(100 * Math.max(...embShare), 2)}% of the total (${fmtSig(100 * smallShare, 2)}% for the smallest model, ${smallest.model}); Kaplan excluded embeddings because counting them bends the trend at small sizes, which matters more here than at their scale.`,
    );
    const tpp = models.map((m) => m.tokens / m.nonEmbeddingParams);
    const minT = Math.min(...tpp);
    const maxT = Math.max(...tpp);
    const regime =
      maxT < CHINCHILLA.tokensPerParam
        ? 'all below'
        : minT > CHINCHILLA.tokensPerParam
          ? 'all above'
          : 'on both sides of';
    out.push(
      `Each model saw ${fmtSig(minT, 2)} to ${fmtSig(maxT, 2)} tokens per non-embedding parameter, ${regime} Chinchilla's compute-optimal ratio of about ${CHINCHILLA.tokensPerParam}; ${
        regime === 'all above'
          ? 'the final losses are therefore close to converged for their size, which is the regime L(N) describes.'
          : 'models below that ratio are still data-limited, so their final loss overstates L(N) and biases a_N.'
      }`,
    );
  }
  const c = fits.compute;
  if (c) {
    let s = `The compute-efficient frontier gives a_C = ${fmtSig(c.a)} against Kaplan's ${KAPLAN.aC}`;
    if (c.ci) {
      const inside = c.ci[0] <= KAPLAN.aC && KAPLAN.aC <= c.ci[1];
      s += `, 95% interval ${fmtInterval(c.ci)}, which ${inside ? 'contains' : 'does not contain'} theirs`;
    }
    s += `. It is fitted over ${fmtSig(c.range[0])} to ${fmtSig(c.range[1])} PF-days (${fmtSig(Math.log10(c.range[1] / c.range[0]), 2)} decades of compute).`;
    const frontier = envelope(run);
    if (frontier.length > 1 && models.length > 0) {
      const owners = [...new Set(frontier.map((f) => f.model))];
      const smallest = models[0].model;
      const share = frontier.filter((f) => f.model === smallest).length / frontier.length;
      s += ` ${owners.length} of ${models.length} models reach the envelope somewhere; the smallest, ${smallest}, owns ${fmtSig(100 * share, 2)}% of it (log-spaced grid).`;
      if (share > 0.4) {
        s +=
          " Kaplan fitted L(C_min) where many sizes compete; an envelope this dominated by one model follows that model's learning curve, including its early transient, more than a trend across sizes.";
      }
    }
    out.push(s);
  }
  const o = fits.offset;
  if (o) {
    out.push(
      `The offset form L = E + A/N^α gives α = ${fmtSig(o.alpha)} (Chinchilla ${CHINCHILLA.alpha}) and E = ${fmtSig(o.E)} nats/token (Chinchilla ${CHINCHILLA.E}). ${
        o.alpha > (p?.a ?? 0)
          ? 'α exceeds the pure-law a_N because E absorbs the part of the loss that no model size removes; the pure law spreads that floor into a shallower slope.'
          : 'α is not above the pure-law a_N, so with these points the fit finds little irreducible floor.'
      } E depends on the corpus's entropy and the tokenizer, so it is not comparable with Chinchilla's number, only the exponents are.`,
    );
  }
  const tok = run.config.tokenizer;
  const vocab = tok?.vocabSize;
  out.push(
    `We train on ${describeCorpus(run.config.corpus)} with a ${tok?.kind ?? 'unnamed'} tokenizer of ${vocab !== undefined ? fmtInt(vocab) : 'unknown'} tokens and context ${run.config.seqLen ?? 'unknown'}; Kaplan used WebText2 with byte-level BPE (50,257 tokens, context 1024). Loss per token depends on the tokenizer and corpus${
      vocab !== undefined && vocab !== 50257 ? ` (our vocabulary is ${fmtSig(vocab / 50257, 2)}x theirs)` : ''
    }, so the constants N_c and C_c are not comparable across the two, while the exponents are.`,
  );
  return out;
}

/** Markdown for docs/experiments/scaling.md. `figuresRelPath` is the figures folder relative to the report. */
export function scalingReport(runDir: string, figuresRelPath: string): string {
  const run = loadRun(runDir);
  if (isScalingGridSummary(run.summary)) return gridReport(run, figuresRelPath);
  const { fits, recomputed } = runFits(run);
  const models = [...(run.summary?.models ?? [])].sort(
    (a, b) => a.nonEmbeddingParams - b.nonEmbeddingParams || (a.model < b.model ? -1 : 1),
  );
  const rel = figuresRelPath.replace(/\/+$/, '');
  const info = run.run;
  const lines: string[] = [];
  lines.push('# Scaling laws at small scale');
  lines.push('');
  lines.push(
    `This report reproduces, at small scale, the three panels of Kaplan et al. 2020 ("Scaling Laws for Neural Language Models"): validation loss against training compute, model size and tokens processed. It was generated from \`${run.dir.split('/').slice(-2).join('/')}\` alone; ${models.length} GPT-style models were trained${
      run.config.preset ? ` with preset \`${run.config.preset}\`` : ''
    }. N counts non-embedding weights as Kaplan do (12·layers·d_model²) and compute is C = 6·N·tokens.`,
  );
  lines.push('');
  lines.push('## Run');
  lines.push('');
  lines.push(mdRow(['run id', 'status', 'backend', 'started', 'finished', 'git commit', 'seed']));
  lines.push(mdRow(['---', '---', '---', '---', '---', '---', '---']));
  lines.push(
    mdRow([
      `\`${info.runId}\``,
      info.status,
      describeBackend(info.backend, { threads: false }),
      info.startedAt ?? 'n/a',
      info.finishedAt ?? 'n/a',
      info.git?.commit ? `\`${info.git.commit.slice(0, 12)}\`${info.git.dirty ? ' (dirty)' : ''}` : 'n/a',
      String(run.config.seed ?? 'n/a'),
    ]),
  );
  lines.push('');
  if (recomputed) {
    lines.push(
      '> summary.json of this run has no `fits`; they were recomputed here with `fitScalingSummary`.',
    );
    lines.push('');
  }
  lines.push('## Figures');
  lines.push('');
  lines.push(`![Validation loss vs compute](${rel}/scaling-loss-vs-compute.svg)`);
  lines.push('');
  lines.push(`![Final validation loss vs non-embedding parameters](${rel}/scaling-loss-vs-params.svg)`);
  lines.push('');
  lines.push(`![Validation loss vs tokens processed](${rel}/scaling-loss-vs-tokens.svg)`);
  lines.push('');
  lines.push('## Exponents: ours beside the papers');
  lines.push('');
  const p = fits.params;
  const c = fits.compute;
  const o = fits.offset;
  lines.push(mdRow(['quantity', 'ours', '95% bootstrap interval', 'Kaplan 2020', 'Chinchilla 2022']));
  lines.push(mdRow(['---', '---:', '---', '---:', '---:']));
  lines.push(mdRow(['a_N in L(N) = (N_c/N)^a_N', fmtSig(p?.a), fmtInterval(p?.ci), String(KAPLAN.aN), '']));
  lines.push(mdRow(['N_c (non-embedding params)', fmtSig(p?.Nc), '', fmtSig(KAPLAN.Nc), '']));
  lines.push(mdRow(['a_C in L(C) = (C_c/C)^a_C', fmtSig(c?.a), fmtInterval(c?.ci), String(KAPLAN.aC), '']));
  lines.push(mdRow(['C_c (PF-days)', fmtSig(c?.Cc), '', fmtSig(KAPLAN.CcPfDays), '']));
  lines.push(mdRow(['a_D in L(D) = (D_c/D)^a_D', 'not fitted', '', String(KAPLAN.aD), '']));
  lines.push(mdRow(['α in L = E + A/N^α', fmtSig(o?.alpha), '', '', String(CHINCHILLA.alpha)]));
  lines.push(mdRow(['A', fmtSig(o?.A), '', '', String(CHINCHILLA.A)]));
  lines.push(mdRow(['E (nats/token)', fmtSig(o?.E), '', '', String(CHINCHILLA.E)]));
  lines.push(mdRow(['β in B/D^β', 'not fitted', '', '', String(CHINCHILLA.beta)]));
  lines.push('');
  lines.push(
    `Intervals: ${fits.bootstrap.B} bootstrap resamples of the models (seed ${fits.bootstrap.seed}), percentile ${fmtSig((100 * (1 - fits.bootstrap.level)) / 2, 2)}/${fmtSig(100 - (100 * (1 - fits.bootstrap.level)) / 2, 3)}; resamples with fewer than 2 distinct sizes are skipped. a_D is not fitted because every model here trains on the same token budget; the offset fit minimises a Huber loss (δ = 1e-3) on log loss from Chinchilla's grid of starts.`,
  );
  if (fits.notes.length > 0) {
    lines.push('');
    for (const n of fits.notes) lines.push(`- Not fitted: ${n}`);
  }
  lines.push('');
  lines.push('## Models');
  lines.push('');
  lines.push(
    mdRow([
      'model',
      'layers',
      'd_model',
      'N (non-embedding)',
      'total params',
      'final val loss',
      'tokens',
      'compute (PF-days)',
    ]),
  );
  lines.push(mdRow(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']));
  for (const m of models) {
    lines.push(
      mdRow([
        m.model,
        String(m.numLayers),
        String(m.dModel),
        fmtInt(m.nonEmbeddingParams),
        fmtInt(m.totalParams),
        fmtSig(m.finalValLoss, 4),
        fmtInt(m.tokens),
        fmtSig(m.compute / FLOPS_PER_PF_DAY),
      ]),
    );
  }
  lines.push('');
  lines.push('## What differs at this scale and why');
  lines.push('');
  for (const s of differences(run, fits, models)) {
    lines.push(`- ${s}`);
  }
  lines.push('');
  return lines.join('\n');
}

/** Validation rows as an arquero table, for callers that want to slice them further. */
export function scalingValidationTable(runDir: string): aq.ColumnTable {
  return aq.from(valRows(loadRun(runDir)));
}
