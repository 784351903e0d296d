import { describe, expect, it } from 'vitest';
import {
  checkEpochs,
  estimateGridCost,
  fmtBudget,
  formatGridCost,
  GridError,
  type GridSpec,
  logSpacedBudgets,
  modelTokensPerSec,
  nOptEstimate,
  planFixedGrid,
  planIsoflopGrid,
  WASM_2CORE,
} from './grid.js';
import { countParams } from './params.js';

const ladder = [
  [1, 8],
  [1, 12],
  [1, 16],
  [2, 16],
  [2, 24],
  [2, 32],
  [3, 40],
  [3, 48],
  [4, 56],
  [4, 64],
].map(([numLayers, dModel]) => ({ numLayers, dModel, numHeads: 2 }));

const spec: GridSpec = {
  budgets: [3e11, 1e12, 3e12],
  ladder,
  sizesPerBudget: 5,
  tokensPerParam: 20,
  vocabSize: 1024,
  seqLen: 64,
  tieEmbeddings: true,
  tokensPerStep: 1024,
  minSteps: 100,
};

describe('planIsoflopGrid', () => {
  const units = planIsoflopGrid(spec);

  it('gives each budget its sizes around N_opt = sqrt(C / 120), smallest first, with stable ids', () => {
    expect(units).toHaveLength(15);
    for (const C of spec.budgets) {
      const us = units.filter((u) => u.budget === C);
      expect(us).toHaveLength(5);
      const target = nOptEstimate(C, 20);
      expect(us.filter((u) => u.totalParams < target).length).toBeGreaterThanOrEqual(2);
      expect(us.filter((u) => u.totalParams > target).length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < us.length; i++) expect(us[i].totalParams).toBeGreaterThan(us[i - 1].totalParams);
    }
    expect(units[0].id).toBe('C3e11-L1-D16');
    expect(new Set(units.map((u) => u.id)).size).toBe(units.length);
  });

  it('trains D = C / (6 N_total) tokens rounded to whole steps, and counts both computes', () => {
    for (const u of units) {
      expect(u.steps).toBe(Math.round(u.budget / (6 * u.totalParams * 1024)));
      expect(u.tokens).toBe(u.steps * 1024);
      expect(Math.abs(u.compute / u.budget - 1)).toBeLessThan(0.5 / u.steps + 1e-12);
      expect(u.computeNonEmbedding).toBe(6 * u.nonEmbeddingParams * u.tokens);
      const c = countParams({
        vocabSize: 1024,
        seqLen: 64,
        dModel: u.dModel,
        numLayers: u.numLayers,
        tieEmbeddings: true,
      });
      expect(u.totalParams).toBe(c.total);
      expect(u.nonEmbeddingParams).toBe(12 * u.numLayers * u.dModel ** 2);
    }
  });

  it('takes explicit per-budget lists', () => {
    const u = planIsoflopGrid({
      ...spec,
      budgets: [1e12, 3e12],
      perBudget: [
        ['L1-D16', 'L2-D24', 'L2-D32', 'L3-D48', 'L4-D56'],
        ['L2-D24', 'L2-D32', 'L3-D48', 'L4-D56', 'L4-D64'],
      ],
    });
    expect(u.filter((x) => x.budget === 1e12).map((x) => x.model)).toEqual([
      'L1-D16',
      'L2-D24',
      'L2-D32',
      'L3-D48',
      'L4-D56',
    ]);
  });

  it('refuses a budget too small for any size, saying which budget to raise and to what', () => {
    expect(() => planIsoflopGrid({ ...spec, budgets: [1e9, 1e12] })).toThrow(GridError);
    expect(() => planIsoflopGrid({ ...spec, budgets: [1e9, 1e12] })).toThrow(
      /^budget 1e9 FLOPs is too small for any size: even L1-D8 .* raise it to >= /,
    );
  });

  it('refuses sizes that do not bracket N_opt', () => {
    expect(() => planIsoflopGrid({ ...spec, budgets: [3e11, 1e14] })).toThrow(
      /budget 1e14: sizes .* do not bracket N_opt ~ .* add larger shapes to models, or move the budget down/,
    );
    expect(() =>
      planIsoflopGrid({
        ...spec,
        budgets: [1e12, 3e12],
        perBudget: [
          ['L1-D8', 'L1-D12', 'L1-D16'],
          ['L2-D24', 'L2-D32', 'L3-D40'],
        ],
      }),
    ).toThrow(/budget 1e12: sizes L1-D8..L1-D16 do not bracket/);
  });

  it('refuses a unit with fewer than minSteps steps, and other malformed grids', () => {
    expect(() => planIsoflopGrid({ ...spec, minSteps: 2000 })).toThrow(
      /would train only \d+ steps \(grid.minSteps 2000\)/,
    );
    expect(() => planIsoflopGrid({ ...spec, budgets: [1e12, 3e11] })).toThrow(/strictly ascending/);
    expect(() => planIsoflopGrid({ ...spec, sizesPerBudget: 2 })).toThrow(
      /sizesPerBudget must be an integer >= 3/,
    );
    expect(() => planIsoflopGrid({ ...spec, perBudget: [['L1-D8']] })).toThrow(/one list per budget/);
    expect(() =>
      planIsoflopGrid({ ...spec, budgets: [1e12], perBudget: [['L9-D9', 'L1-D8', 'L1-D12']] }),
    ).toThrow(/'L9-D9' is not in models/);
  });
});

describe('checkEpochs', () => {
  it('fails before training when a unit would repeat the corpus more than maxEpochs times', () => {
    const units = planIsoflopGrid(spec);
    const most = Math.max(...units.map((u) => u.tokens));
    expect(() => checkEpochs(units, most / 4, 4, 'brown')).not.toThrow();
    expect(() => checkEpochs(units, most / 5, 4, 'brown')).toThrow(
      /^corpus 'brown' is too small: C3e12-L2-D32 needs .* = 5.0 epochs/,
    );
  });
});

describe('planFixedGrid', () => {
  it('is Kaplan’s protocol: every model on the same steps, ids are model names', () => {
    const u = planFixedGrid({
      ladder: ladder.slice(0, 3),
      vocabSize: 1024,
      seqLen: 64,
      tieEmbeddings: true,
      tokensPerStep: 1024,
      steps: 1000,
    });
    expect(u.map((x) => [x.id, x.tokens, x.budgetIndex])).toEqual([
      ['L1-D8', 1024000, -1],
      ['L1-D12', 1024000, -1],
      ['L1-D16', 1024000, -1],
    ]);
  });
});

describe('cost estimate', () => {
  it('adds tokens, FLOPs and seconds per unit at the given speed', () => {
    const units = planIsoflopGrid(spec);
    const c = estimateGridCost(
      units,
      () => 10_000,
      () => 3000,
    );
    expect(c.tokens).toBe(units.reduce((s, u) => s + u.tokens, 0));
    expect(c.flops).toBe(units.reduce((s, u) => s + u.compute, 0));
    expect(c.seconds).toBeCloseTo(
      units.reduce((s, u) => s + (u.tokens + 1000) / 10_000, 0),
      6,
    );
    const lines = formatGridCost(c);
    expect(lines).toHaveLength(units.length + 2);
    expect(lines[lines.length - 1]).toMatch(/^total: 15 units, .* tokens, .* FLOPs, about \d+ minutes$/);
  });

  it('the wasm model matches the measured speeds it was fitted to, and a speedup divides time', () => {
    const shape = (L: number, d: number) => ({
      numLayers: L,
      dModel: d,
      numHeads: 2,
      model: '',
      totalParams: 0,
      nonEmbeddingParams: 0,
      embeddingParams: 0,
    });
    expect(1e6 / modelTokensPerSec(WASM_2CORE, shape(4, 96))).toBeCloseTo(181, -1);
    expect(
      modelTokensPerSec({ ...WASM_2CORE, speedup: 3 }, shape(1, 16)) /
        modelTokensPerSec(WASM_2CORE, shape(1, 16)),
    ).toBeCloseTo(3, 10);
  });
});

describe('budgets', () => {
  it('log-spaced, rounded to 3 digits, short labels', () => {
    expect(logSpacedBudgets(3e11, 1e13, 4)).toEqual([3e11, 9.65e11, 3.11e12, 1e13]);
    expect(fmtBudget(3.11e12)).toBe('3.11e12');
    expect(fmtBudget(1e13)).toBe('1e13');
  });
});
