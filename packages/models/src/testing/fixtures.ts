/**
 * Loading the PyTorch reference fixtures written by tools/reference/gpt.py, for the parity
 * tests here and in packages/train. CI reads only these committed files; it needs no Python.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GPT, resolveGPTConfig } from '../gpt.js';

export interface Flat {
  shape: number[];
  data: number[];
}

export interface GPTFixture {
  config: {
    vocabSize: number;
    blockSize: number;
    nEmbd: number;
    nLayer: number;
    nHead: number;
    mlpRatio: number;
    batchSize: number;
    lnEps: number;
    tied: boolean;
  };
  params: Record<string, Flat>;
  inputs: Flat;
  targets: Flat;
  logits: Flat;
  loss: number;
  grads: Record<string, number[] | Flat>;
  optimizer: {
    lr: number;
    betas: [number, number];
    eps: number;
    weightDecay: number;
    gradClip: number;
    steps: number;
  };
  train: { losses: number[]; gradNorms: number[]; paramsAfter: Record<string, number[] | Flat> };
}

const here = path.dirname(fileURLToPath(import.meta.url));

export function loadGPTFixture(variant: 'tied' | 'untied'): GPTFixture {
  return JSON.parse(
    fs.readFileSync(path.join(here, '..', 'fixtures', `gpt-tiny-${variant}.json`), 'utf8'),
  ) as GPTFixture;
}

export function flatData(x: number[] | Flat): Float32Array {
  return Float32Array.from(Array.isArray(x) ? x : x.data);
}

/** Our GPT with the fixture's config and weights. */
export function gptFromFixture(fx: GPTFixture): GPT {
  const c = fx.config;
  const model = new GPT(
    resolveGPTConfig({
      vocabSize: c.vocabSize,
      seqLen: c.blockSize,
      dModel: c.nEmbd,
      numLayers: c.nLayer,
      numHeads: c.nHead,
      dFF: c.mlpRatio * c.nEmbd,
      tieEmbeddings: c.tied,
      layerNormEps: c.lnEps,
    }),
    0,
  );
  model.params.assign(Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, flatData(v)])));
  return model;
}

/** Largest |a - b| / (atol + rtol |b|) over two arrays; <= 1 means within tolerance. */
export function toleranceRatio(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  atol: number,
  rtol: number,
): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i])));
  return worst;
}
