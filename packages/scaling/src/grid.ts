/**
 * An IsoFLOP grid (Hoffmann et al. 2022, approach 2): a few compute budgets C, and for each
 * budget several model sizes around the compute-optimal one, each trained on D = C / (6 N)
 * tokens so that every run of a budget costs the same.
 *
 * FLOP convention, used everywhere in this package and the scaling experiment:
 * the grid is defined with N = every trainable parameter, embeddings included
 * (`countParams().total`), and C = 6 N D (Pearce & Song 2024 do the same). With tied embeddings
 * the token-embedding matrix is also the output layer, so 6 N_total counts the output layer's
 * FLOPs, which Porian et al. 2024 found was one of the reasons behind Kaplan's exponent. Every
 * fit is also done with Kaplan's non-embedding N (12 L d^2) and the matching C = 6 N_nonemb D.
 *
 * Sizes per budget come from a rule: the candidate shapes (the ladder) are sorted by N, the
 * compute-optimal size is estimated as N_opt(C) = sqrt(C / (6 r)) from Chinchilla's r of about
 * 20 tokens per parameter, and the budget takes the `sizesPerBudget` consecutive ladder shapes
 * that sit most evenly around that estimate. An explicit list per budget overrides the rule.
 *
 * Grid errors a user can cause (a budget too small, sizes that do not bracket, too few epochs of
 * data) are GridError, named 'ConfigError' so the CLI prints them as one line.
 */
import { countParams } from './params.js';

export class GridError extends Error {
  override name = 'ConfigError';
}

export interface ShapeSpec {
  numLayers: number;
  dModel: number;
  numHeads: number;
}

export const shapeName = (s: { numLayers: number; dModel: number }): string => `L${s.numLayers}-D${s.dModel}`;

export interface GridSpec {
  /** Compute budgets C in FLOPs (C = 6 N_total D), ascending. */
  budgets: readonly number[];
  /** Candidate shapes; any order (sorted by total parameters here). */
  ladder: readonly ShapeSpec[];
  sizesPerBudget: number;
  /** r in N_opt(C) = sqrt(C / (6 r)), the centre of each budget's sizes (Chinchilla: about 20). */
  tokensPerParam: number;
  /** Explicit model names (from the ladder) per budget; [] uses the rule for every budget. */
  perBudget?: readonly (readonly string[])[];
  vocabSize: number;
  seqLen: number;
  tieEmbeddings: boolean;
  /** Tokens per optimizer step (batch size x sequence length). */
  tokensPerStep: number;
  /** Every run needs at least this many optimizer steps. */
  minSteps: number;
}

export interface SizedShape extends ShapeSpec {
  model: string;
  /** Every trainable parameter (the grid's N). */
  totalParams: number;
  /** Kaplan's 12 L d^2. */
  nonEmbeddingParams: number;
  /** Token and position embeddings (and an untied head). */
  embeddingParams: number;
}

export interface PlannedUnit extends SizedShape {
  /** Stable id: the budget and the model, e.g. C3e11-L2-D32; the model name alone in a fixed grid. */
  id: string;
  /** Index of the budget in `budgets`; -1 in a fixed-token grid. */
  budgetIndex: number;
  /** The budget C in FLOPs (6 N_total D); 0 in a fixed-token grid. */
  budget: number;
  steps: number;
  tokens: number;
  /** 6 N_total D, FLOPs (equals the budget up to rounding D to whole steps). */
  compute: number;
  /** 6 N_nonemb D, FLOPs. */
  computeNonEmbedding: number;
}

export function sizeShape(
  s: ShapeSpec,
  spec: Pick<GridSpec, 'vocabSize' | 'seqLen' | 'tieEmbeddings'>,
): SizedShape {
  const c = countParams({
    vocabSize: spec.vocabSize,
    seqLen: spec.seqLen,
    dModel: s.dModel,
    numLayers: s.numLayers,
    tieEmbeddings: spec.tieEmbeddings,
  });
  return {
    numLayers: s.numLayers,
    dModel: s.dModel,
    numHeads: s.numHeads,
    model: shapeName(s),
    totalParams: c.total,
    nonEmbeddingParams: c.nonEmbedding,
    embeddingParams: c.embedding,
  };
}

/** Chinchilla's rule of thumb: C = 6 N D with D = r N gives N_opt = sqrt(C / (6 r)). */
export function nOptEstimate(C: number, tokensPerParam: number): number {
  return Math.sqrt(C / (6 * tokensPerParam));
}

/** A budget in a short stable form for ids and labels: 3e11, 1.58e12. */
export function fmtBudget(C: number): string {
  const [m, e] = C.toExponential(2).split('e');
  return `${String(Number(m))}e${Number(e)}`;
}

/** `count` budgets log-spaced from lo to hi inclusive, each rounded to 3 significant digits. */
export function logSpacedBudgets(lo: number, hi: number, count: number): number[] {
  if (!(lo > 0 && hi > lo) || !Number.isInteger(count) || count < 2)
    throw new GridError(`budgets: need 0 < lo < hi and count >= 2, got lo ${lo}, hi ${hi}, count ${count}`);
  return Array.from({ length: count }, (_, i) =>
    Number((lo * (hi / lo) ** (i / (count - 1))).toPrecision(3)),
  );
}

const stepsFor = (C: number, N: number, tokensPerStep: number) => Math.round(C / (6 * N * tokensPerStep));

/**
 * The `k` consecutive ladder entries that sit most evenly around `target`: fewest sizes on the
 * crowded side first (|below - above| smallest), then the window whose log-mean is nearest.
 */
function centredWindow(sorted: readonly SizedShape[], target: number, k: number): SizedShape[] {
  let best: { lo: number; imbalance: number; dist: number } | null = null;
  for (let lo = 0; lo + k <= sorted.length; lo++) {
    const win = sorted.slice(lo, lo + k);
    const below = win.filter((s) => s.totalParams < target).length;
    const imbalance = Math.abs(below - (k - below));
    const dist = Math.abs(win.reduce((acc, s) => acc + Math.log(s.totalParams), 0) / k - Math.log(target));
    if (!best || imbalance < best.imbalance || (imbalance === best.imbalance && dist < best.dist - 1e-12))
      best = { lo, imbalance, dist };
  }
  return sorted.slice(best!.lo, best!.lo + k);
}

const fmtN = (n: number): string =>
  n >= 1e6
    ? `${Number((n / 1e6).toPrecision(3))}M`
    : n >= 1e3
      ? `${Number((n / 1e3).toPrecision(3))}k`
      : String(Math.round(n));

/** The grid's units, budget by budget, smallest model first; throws GridError on a bad grid. */
export function planIsoflopGrid(spec: GridSpec): PlannedUnit[] {
  const { budgets, sizesPerBudget: k, tokensPerParam: r, tokensPerStep, minSteps } = spec;
  if (budgets.length < 1)
    throw new GridError('grid.budgets: need at least 1 budget (2 or more to fit N_opt against C)');
  for (let i = 0; i < budgets.length; i++) {
    if (!(budgets[i] > 0) || !Number.isFinite(budgets[i]))
      throw new GridError(`grid.budgets[${i}] must be a positive number of FLOPs, got ${budgets[i]}`);
    if (i > 0 && !(budgets[i] > budgets[i - 1]))
      throw new GridError(`grid.budgets must be strictly ascending; ${budgets[i]} follows ${budgets[i - 1]}`);
  }
  if (!Number.isInteger(k) || k < 3)
    throw new GridError(
      `grid.sizesPerBudget must be an integer >= 3 (a parabola has 3 coefficients), got ${k}`,
    );
  if (!(r > 0)) throw new GridError(`grid.tokensPerParam must be positive, got ${r}`);
  const sized = spec.ladder.map((s) => sizeShape(s, spec)).sort((a, b) => a.totalParams - b.totalParams);
  const byName = new Map(sized.map((s) => [s.model, s]));
  const perBudget = spec.perBudget ?? [];
  if (perBudget.length > 0 && perBudget.length !== budgets.length)
    throw new GridError(
      `grid.perBudget has ${perBudget.length} lists for ${budgets.length} budgets; give one list per budget or []`,
    );
  if (perBudget.length === 0 && sized.length < k)
    throw new GridError(
      `models: ${sized.length} shapes in the ladder but grid.sizesPerBudget is ${k}; add shapes or lower it`,
    );
  const smallest = sized[0];
  const units: PlannedUnit[] = [];
  budgets.forEach((C, bi) => {
    const label = fmtBudget(C);
    const target = nOptEstimate(C, r);
    let chosen: SizedShape[];
    if (perBudget.length > 0) {
      chosen = perBudget[bi].map((name) => {
        const s = byName.get(name);
        if (!s)
          throw new GridError(
            `grid.perBudget[${bi}]: '${name}' is not in models; valid: ${sized.map((m) => m.model).join(', ')}`,
          );
        return s;
      });
      chosen = [...new Set(chosen)].sort((a, b) => a.totalParams - b.totalParams);
      if (chosen.length < 3)
        throw new GridError(
          `grid.perBudget[${bi}]: budget ${label} needs at least 3 distinct sizes for a parabola`,
        );
    } else {
      chosen = centredWindow(sized, target, k);
    }
    // Too small: even the smallest shape would get fewer than minSteps steps.
    if (stepsFor(C, smallest.totalParams, tokensPerStep) < minSteps) {
      const need = 6 * smallest.totalParams * tokensPerStep * minSteps;
      throw new GridError(
        `budget ${label} FLOPs is too small for any size: even ${smallest.model} (N ${fmtN(smallest.totalParams)}) would train ${stepsFor(C, smallest.totalParams, tokensPerStep)} steps of ${tokensPerStep} tokens (grid.minSteps ${minSteps}); raise it to >= ${fmtBudget(need)}`,
      );
    }
    const need = Math.floor((chosen.length - 1) / 2);
    const below = chosen.filter((s) => s.totalParams < target).length;
    const above = chosen.length - below;
    if (below < need || above < need) {
      const side = below < need ? 'below' : 'above';
      throw new GridError(
        `budget ${label}: sizes ${chosen[0].model}..${chosen[chosen.length - 1].model} do not bracket N_opt ~ ${fmtN(target)} (${r} tokens/param): only ${Math.min(below, above)} of ${chosen.length} ${side} it, need ${need}; add ${side === 'below' ? 'smaller' : 'larger'} shapes to models, or move the budget ${side === 'below' ? 'up' : 'down'}`,
      );
    }
    for (const s of chosen) {
      const steps = stepsFor(C, s.totalParams, tokensPerStep);
      if (steps < minSteps) {
        throw new GridError(
          `budget ${label}: ${s.model} (N ${fmtN(s.totalParams)}) would train only ${steps} steps (grid.minSteps ${minSteps}); raise the budget to >= ${fmtBudget(6 * s.totalParams * tokensPerStep * minSteps)} or drop larger shapes`,
        );
      }
      const tokens = steps * tokensPerStep;
      units.push({
        ...s,
        id: `C${label}-${s.model}`,
        budgetIndex: bi,
        budget: C,
        steps,
        tokens,
        compute: 6 * s.totalParams * tokens,
        computeNonEmbedding: 6 * s.nonEmbeddingParams * tokens,
      });
    }
  });
  return units;
}

/** Kaplan's protocol: every model on the same number of steps. */
export function planFixedGrid(
  spec: Pick<GridSpec, 'ladder' | 'vocabSize' | 'seqLen' | 'tieEmbeddings' | 'tokensPerStep'> & {
    steps: number;
  },
): PlannedUnit[] {
  return spec.ladder.map((shape) => {
    const s = sizeShape(shape, spec);
    const tokens = spec.steps * spec.tokensPerStep;
    return {
      ...s,
      id: s.model,
      budgetIndex: -1,
      budget: 0,
      steps: spec.steps,
      tokens,
      compute: 6 * s.totalParams * tokens,
      computeNonEmbedding: 6 * s.nonEmbeddingParams * tokens,
    };
  });
}

/**
 * Fail before training when a unit would repeat its data more than `maxEpochs` times
 * (Muennighoff et al. 2023: up to about 4 epochs cost about as much as fresh data).
 */
export function checkEpochs(
  units: readonly PlannedUnit[],
  trainTokens: number,
  maxEpochs: number,
  corpus: string,
): void {
  let worst: PlannedUnit | null = null;
  for (const u of units) if (!worst || u.tokens > worst.tokens) worst = u;
  if (!worst || trainTokens <= 0) return;
  const epochs = worst.tokens / trainTokens;
  if (epochs > maxEpochs) {
    throw new GridError(
      `corpus '${corpus}' is too small: ${worst.id} needs ${fmtN(worst.tokens)} tokens = ${epochs.toFixed(1)} epochs of its ${fmtN(trainTokens)} training tokens (grid.maxEpochs ${maxEpochs}); use a larger corpus (e.g. brown+sotu+moby-dick or files:...), lower the largest budget, or drop the smallest shapes`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Cost estimate (a --plan): tokens and FLOPs per unit, minutes at a given speed per size.

/**
 * Seconds per training token as a + b * numLayers * dModel + 6 N_total / flopsPerSec, divided by
 * `speedup`. On the wasm backend at these widths a step is bound by element-wise work and op
 * overhead, which grow with layers x width, more than by matmul FLOPs.
 */
export interface ThroughputModel {
  secPerToken: number;
  secPerTokenPerLayerWidth: number;
  flopsPerSec: number;
  speedup: number;
}

/**
 * Fitted to training steps timed on the 2-core machine (tfjs-wasm with this project's kernels,
 * V1024 T64, batch 16-64; per-token time hardly depends on the batch from 2 layers up):
 * L1-D16 ~27 us/token, L2-D32 ~45, L3-D48 ~65, L4-D64 ~120, L4-D96 ~170, L6-D128 ~355.
 * The FLOP term is left out (Infinity): at these sizes it is not separable from the other.
 */
export const WASM_2CORE: ThroughputModel = {
  secPerToken: 20e-6,
  secPerTokenPerLayerWidth: 0.42e-6,
  flopsPerSec: Number.POSITIVE_INFINITY,
  speedup: 1,
};

export function modelTokensPerSec(m: ThroughputModel, u: SizedShape): number {
  const sec =
    m.secPerToken + m.secPerTokenPerLayerWidth * u.numLayers * u.dModel + (6 * u.totalParams) / m.flopsPerSec;
  return m.speedup / sec;
}

export interface UnitCost {
  id: string;
  model: string;
  budget: number;
  steps: number;
  tokens: number;
  /** Training FLOPs, 6 N_total D. */
  flops: number;
  /** Forward-only tokens spent on evaluation. */
  evalTokens: number;
  tokensPerSec: number;
  seconds: number;
}

export interface GridCost {
  units: UnitCost[];
  tokens: number;
  flops: number;
  seconds: number;
}

/**
 * Cost of every unit: training tokens at `tokensPerSec(unit)`, plus evaluation (a forward pass
 * costs about a third of a training step per token). `evalTokens(unit)` defaults to 0.
 */
export function estimateGridCost(
  units: readonly PlannedUnit[],
  tokensPerSec: (u: PlannedUnit) => number,
  evalTokens: (u: PlannedUnit) => number = () => 0,
): GridCost {
  const rows = units.map((u) => {
    const tps = tokensPerSec(u);
    const ev = evalTokens(u);
    return {
      id: u.id,
      model: u.model,
      budget: u.budget,
      steps: u.steps,
      tokens: u.tokens,
      flops: u.compute,
      evalTokens: ev,
      tokensPerSec: tps,
      seconds: (u.tokens + ev / 3) / tps,
    };
  });
  return {
    units: rows,
    tokens: rows.reduce((s, r) => s + r.tokens, 0),
    flops: rows.reduce((s, r) => s + r.flops, 0),
    seconds: rows.reduce((s, r) => s + r.seconds, 0),
  };
}

const pad = (s: string, n: number) => s.padStart(n);

/** The cost as a table, one line per unit and a total line. */
export function formatGridCost(cost: GridCost): string[] {
  const lines = [
    `${'unit'.padEnd(22)}${pad('steps', 8)}${pad('tokens', 12)}${pad('FLOPs', 10)}${pad('tok/s', 9)}${pad('minutes', 9)}`,
  ];
  for (const u of cost.units) {
    lines.push(
      `${u.id.padEnd(22)}${pad(String(u.steps), 8)}${pad(u.tokens.toLocaleString('en-US'), 12)}${pad(u.flops.toExponential(2), 10)}${pad(Math.round(u.tokensPerSec).toLocaleString('en-US'), 9)}${pad((u.seconds / 60).toFixed(1), 9)}`,
    );
  }
  lines.push(
    `total: ${cost.units.length} units, ${cost.tokens.toLocaleString('en-US')} tokens, ${cost.flops.toExponential(2)} FLOPs, about ${(cost.seconds / 60).toFixed(0)} minutes`,
  );
  return lines;
}
