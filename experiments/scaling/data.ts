/**
 * The scaling grid's data: one corpus or several joined by '+', split by document, a tokenizer
 * trained on the training split only (or the run's saved one), packed into sequences.
 */
import fs from 'node:fs';
import {
  type Document,
  documentText,
  END_OF_TEXT,
  loadCorpus,
  type PreparedData,
  prepareData,
  splitDocuments,
} from '@pretrain-lab/data';
import { loadTokenizer, saveTokenizer, type Tokenizer, trainTokenizer } from '@pretrain-lab/tokenizers';
import type { ScalingConfig } from './config.js';

/** One corpus, or several joined by '+' (document ids prefixed by their corpus to stay unique). */
export function loadCorpora(spec: string): Document[] {
  const names = spec.split('+').map((s) => s.trim());
  if (names.length === 1) return [...loadCorpus(names[0])];
  return names.flatMap((name) => loadCorpus(name).map((d) => ({ ...d, id: `${name}/${d.id}` })));
}

function buildTokenizer(cfg: ScalingConfig, trainTexts: string[]): Tokenizer {
  if (cfg.tokenizer.kind === 'char')
    return trainTokenizer('char', trainTexts, { specialTokens: [END_OF_TEXT], unkToken: '<unk>' });
  return trainTokenizer('bpe', trainTexts, {
    vocabSize: cfg.tokenizer.vocabSize,
    specialTokens: [END_OF_TEXT],
  });
}

export interface PreparedCorpus {
  docs: Document[];
  tokenizer: Tokenizer;
  data: PreparedData;
  /** Tokens in the packed training split (one epoch). */
  trainTokens: number;
  /** Seconds the tokenizer took to train; null when it was loaded. */
  tokenizerSec: number | null;
}

/** `tokPath`: load the tokenizer from there when it exists, else train it and save it there. */
export function prepareCorpus(cfg: ScalingConfig, tokPath?: string): PreparedCorpus {
  const docs = loadCorpora(cfg.corpus);
  let tokenizer: Tokenizer;
  let tokenizerSec: number | null = null;
  if (tokPath && fs.existsSync(tokPath)) {
    tokenizer = loadTokenizer(tokPath);
  } else {
    const t0 = Date.now();
    const trainDocs = splitDocuments(docs, { seed: cfg.seed }).train;
    tokenizer = buildTokenizer(cfg, trainDocs.map(documentText));
    tokenizerSec = (Date.now() - t0) / 1000;
    if (tokPath) saveTokenizer(tokenizer, tokPath);
  }
  const data = prepareData(docs, tokenizer, { seed: cfg.seed, seqLen: cfg.seqLen });
  return { docs, tokenizer, data, trainTokens: data.packed.train.count * cfg.seqLen, tokenizerSec };
}
