/**
 * The plateau check's data (README.md, "What limits this default"): writes the exact span-
 * corruption batches the default pretraining sees (Brown + spam inputs, the default tokenizer,
 * inputs of 64, batch 32, seed 1) as raw int32 files, so that tools/reference/t5_plateau.py can
 * train the plain-PyTorch T5 on the same batches and show whether it leaves the unigram plateau.
 *
 *   npx tsx experiments/spans/plateau-dump.ts --mean-span 1 --rate 0.15 --steps 1500 --out /tmp/plateau
 *   /usr/bin/python3 tools/reference/t5_plateau.py /tmp/plateau --lr 3e-3 --steps 1500
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { IndexStream } from '@pretrain-lab/data';
import type { Seq2SeqBatch } from './batches.js';
import { defaults } from './config.js';
import { pretrainingData } from './data.js';
import { spanBatcher } from './units.js';

const { values } = parseArgs({
  options: {
    'mean-span': { type: 'string', default: '1' },
    rate: { type: 'string', default: '0.15' },
    steps: { type: 'string', default: '1500' },
    out: { type: 'string', default: '/tmp/plateau' },
  },
});
const meanSpan = Number(values['mean-span']);
const rate = Number(values.rate);
const steps = Number(values.steps);
const out = values.out as string;
const cfg = defaults;
const { inputLength, batchSize } = cfg.pretrain;
const seed = cfg.seeds[0];

fs.mkdirSync(out, { recursive: true });
const { tok, streams } = pretrainingData(cfg, out);
const { train, validation } = streams;
const { targetsLength, tokensLength, corrupt, batch } = spanBatcher(tok, { meanSpan, rate }, inputLength);
const order = new IndexStream(Math.floor(train.length / tokensLength), batchSize, seed, 'plateau check');

function write(name: string, n: number, next: (i: number) => Seq2SeqBatch) {
  const inputs = fs.openSync(`${out}/${name}.in`, 'w'); // int32 [n, B, inputLength]
  const labels = fs.openSync(`${out}/${name}.lab`, 'w'); // int32 [n, B, targetsLength], -100 ignored
  for (let i = 0; i < n; i++) {
    const b = next(i);
    fs.writeSync(inputs, b.inputIds);
    fs.writeSync(labels, b.labels);
  }
  fs.closeSync(inputs);
  fs.closeSync(labels);
}
write('train', steps, () => {
  const { indices, epoch } = order.next();
  return batch(Array.from(indices, (i) => corrupt(train, i, seed, epoch)));
});
// Validation as units.ts: the first evalExamples chunks of the validation split, epoch 0.
write('val', Math.ceil(cfg.pretrain.evalExamples / batchSize), (s) =>
  batch(
    Array.from({ length: batchSize }, (_, j) => corrupt(validation, s * batchSize + j, cfg.splitSeed, 0)),
  ),
);
const meta = {
  vocabSize: tok.vocabSize,
  sentinels: 100,
  eosId: tok.eosId,
  inputLength,
  targetsLength,
  batchSize,
  steps,
  meanSpan,
  rate,
  model: cfg.model,
  pretrain: { beta1: cfg.pretrain.beta1, beta2: cfg.pretrain.beta2, weightDecay: cfg.pretrain.weightDecay },
};
fs.writeFileSync(`${out}/meta.json`, `${JSON.stringify(meta, null, 2)}\n`);
console.log(
  `${out}: ${steps} training and ${Math.ceil(cfg.pretrain.evalExamples / batchSize)} validation batches of ${batchSize} x (${inputLength} -> ${targetsLength})`,
);
