/**
 * Loading the PyTorch reference fixtures written by tools/reference/gpt.py, for the parity
 * tests here and in packages/train. CI reads only these committed files; it needs no Python.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { BERT, type BERTPretrainBatch, resolveBERTConfig } from '../bert.js';
import { Electra, type ElectraBatch, resolveElectraConfig } from '../electra.js';
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

/** Any committed fixture by name (packages/models/src/fixtures/<name>.json). */
export function loadFixtureJSON<T>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(here, '..', 'fixtures', `${name}.json`), 'utf8')) as T;
}

/** The fixtures written by tools/reference/bert.py. */
export interface BERTFixture {
  config: {
    vocabSize: number;
    maxLen: number;
    typeVocabSize: number;
    dModel: number;
    numLayers: number;
    numHeads: number;
    dFF: number;
    layerNormEps: number;
    batchSize: number;
    preNorm: boolean;
  };
  params: Record<string, Flat>;
  inputs: { inputIds: Flat; tokenTypeIds: Flat; attentionMask: Flat; mlmLabels: Flat; nspLabels: Flat };
  mlmLogits: Flat;
  nspLogits: Flat;
  losses: { mlm: number; nsp: number; total: number };
  grads: Record<string, number[]>;
  optimizer: {
    lr: number;
    betas: [number, number];
    eps: number;
    weightDecay: number;
    gradClip: number;
    steps: number;
  };
  train: { losses: number[]; gradNorms: number[]; paramsAfter: Record<string, number[]> };
}

export const loadBERTFixture = (variant: 'postnorm' | 'prenorm'): BERTFixture =>
  loadFixtureJSON(`bert-tiny-${variant}`);

/** Our BERT with a fixture's config (no dropout) and weights (BERT's and ALBERT's fixtures alike). */
function bertWith(fx: { config: BERTFixture['config']; params: Record<string, Flat> }): BERT {
  const { batchSize: _, ...c } = fx.config;
  const model = new BERT(resolveBERTConfig({ ...c, dropout: 0 }), 0);
  model.params.assign(Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, flatData(v)])));
  return model;
}

/** A fixture's padded pretraining batch as tensors, `pair` the pair head's labels (the caller disposes them). */
function pretrainBatchOf(
  i: { inputIds: Flat; tokenTypeIds: Flat; attentionMask: Flat; mlmLabels: Flat },
  pair: Flat,
): BERTPretrainBatch {
  const t2 = (f: Flat) => tf.tensor2d(f.data, f.shape as [number, number], 'int32');
  return {
    inputIds: t2(i.inputIds),
    tokenTypeIds: t2(i.tokenTypeIds),
    attentionMask: t2(i.attentionMask),
    mlmLabels: t2(i.mlmLabels),
    nspLabels: tf.tensor1d(pair.data, 'int32'),
  };
}

/** Our BERT with the fixture's config (no dropout) and weights. */
export const bertFromFixture = (fx: BERTFixture): BERT => bertWith(fx);

/** The fixture's padded pretraining batch as tensors (the caller disposes them). */
export const bertFixtureBatch = (fx: BERTFixture): BERTPretrainBatch =>
  pretrainBatchOf(fx.inputs, fx.inputs.nspLabels);

/** The fixture written by tools/reference/albert.py (BERT with ALBERT's two switches). */
export interface ALBERTFixture {
  config: BERTFixture['config'] & { embeddingSize: number; shareLayers: boolean };
  params: Record<string, Flat>;
  inputs: { inputIds: Flat; tokenTypeIds: Flat; attentionMask: Flat; mlmLabels: Flat; sopLabels: Flat };
  mlmLogits: Flat;
  sopLogits: Flat;
  losses: { mlm: number; sop: number; total: number };
  grads: Record<string, number[]>;
}

export const loadALBERTFixture = (): ALBERTFixture => loadFixtureJSON('albert-tiny');

/** Our BERT with the ALBERT fixture's config (no dropout) and weights. */
export const albertFromFixture = (fx: ALBERTFixture): BERT => bertWith(fx);

/** The ALBERT fixture's batch; its SOP labels go to the pair head as `nspLabels`. */
export const albertFixtureBatch = (fx: ALBERTFixture): BERTPretrainBatch =>
  pretrainBatchOf(fx.inputs, fx.inputs.sopLabels);

/** The fixture written by tools/reference/distil.py. */
export interface DistilFixture {
  defaultWeights: { temperature: number; alphaCE: number; alphaMLM: number; alphaCos: number };
  functions: {
    name: string;
    weights: DistilFixture['defaultWeights'];
    inputs: {
      studentLogits: Flat;
      teacherLogits: Flat;
      labels: Flat;
      studentHidden: Flat;
      teacherHidden: Flat;
      attentionMask: Flat;
    };
    losses: { softTarget: number; mlm: number; cosine: number; total: number };
    grads: Record<
      'softTarget' | 'mlm' | 'cosine' | 'total',
      { studentLogits: number[]; studentHidden: number[] }
    >;
  }[];
  model: {
    teacherConfig: BERTFixture['config'];
    studentLayers: number[];
    teacherParams: Record<string, Flat>;
    studentParamNames: string[];
    studentParamsWithoutGrad: string[];
    inputs: { inputIds: Flat; attentionMask: Flat; mlmLabels: Flat };
    studentLogits: Flat;
    teacherLogits: Flat;
    studentHidden: Flat;
    teacherHidden: Flat;
    losses: { softTarget: number; mlm: number; cosine: number; total: number };
    grads: Record<string, number[]>;
  };
}

export const loadDistilFixture = (): DistilFixture => loadFixtureJSON('distil-tiny');

/** The distillation fixture's teacher: our BERT with its config (no dropout) and weights. */
export function distilTeacherFromFixture(fx: DistilFixture): BERT {
  const { batchSize: _, ...c } = fx.model.teacherConfig;
  const model = new BERT(resolveBERTConfig({ ...c, dropout: 0 }), 0);
  model.params.assign(
    Object.fromEntries(Object.entries(fx.model.teacherParams).map(([k, v]) => [k, flatData(v)])),
  );
  return model;
}

/** The fixture written by tools/reference/electra.py: one batch, a pre-norm and a post-norm case. */
export interface ElectraFixture {
  generator: { numLayers: number; numHeads: number; dFF: number };
  discWeight: number;
  inputs: { inputIds: Flat; attentionMask: Flat; mlmLabels: Flat; samples: Flat };
  cases: {
    name: 'prenorm' | 'postnorm';
    config: BERTFixture['config'];
    params: Record<string, Flat>;
    genLogits: Flat;
    discInputs: Flat;
    discLabels: Flat;
    discLogits: Flat;
    losses: { mlm: number; disc: number; total: number };
    discAccuracy: number;
    replacedFraction: number;
    grads: Record<string, number[]>;
    mlmGrads: Record<string, number[]>;
  }[];
}

export const loadElectraFixture = (): ElectraFixture => loadFixtureJSON('electra-tiny');

/** Our Electra with a fixture case's config (no dropout) and weights. */
export function electraFromFixture(fx: ElectraFixture, c: ElectraFixture['cases'][number]): Electra {
  const { batchSize: _, ...disc } = c.config;
  const model = new Electra(resolveElectraConfig({ ...disc, dropout: 0 }, fx.generator, fx.discWeight), 0);
  model.params.assign(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, flatData(v)])));
  return model;
}

/** The fixture's batch as int32 tensors and its generator samples (the caller disposes the tensors). */
export function electraFixtureBatch(fx: ElectraFixture): { batch: ElectraBatch; samples: Int32Array } {
  const t2 = (f: Flat) => tf.tensor2d(f.data, f.shape as [number, number], 'int32');
  const i = fx.inputs;
  return {
    batch: { inputIds: t2(i.inputIds), attentionMask: t2(i.attentionMask), mlmLabels: t2(i.mlmLabels) },
    samples: Int32Array.from(i.samples.data),
  };
}
