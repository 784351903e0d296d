/**
 * The objectives comparison: what each objective makes of a chunk (examples.ts), the FLOP
 * accounting, and the experiment end to end through the CLI on the smoke preset (the ablation
 * schema it writes, kill -9 and --resume, its input errors).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IGNORE_INDEX } from '@pretrain-lab/objectives';
import { afterAll, describe, expect, it } from 'vitest';
import { defaults, type ObjectiveName, type ObjectivesRow } from './config.js';
import { batcher, NUM_SENTINELS, type Seq2SeqBatch, trainingFlops } from './examples.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'packages', 'cli', 'src', 'bin.ts');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'objectives-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ids = { padId: 0, clsId: 2, sepId: 3, maskId: 4 };
const V = 200;
/** A stream of ordinary tokens 5..199 with a document separator now and then. */
const stream = Int32Array.from({ length: 5000 }, (_, i) =>
  i % 97 === 96 ? ids.sepId : 5 + ((i * 37) % 195),
);
const row = (objective: ObjectiveName): ObjectivesRow => ({ name: objective, objective });
/** Token 150 ends sentences; ids 5 mod 3 are '##' continuations. */
const data = {
  ids,
  sentenceEndIds: [150, ids.sepId],
  wordStart: Uint8Array.from({ length: V }, (_, i) => (i >= 5 && i % 3 === 0 ? 0 : 1)),
};

describe('examples: what each objective makes of a chunk', () => {
  it('encoder rows: [CLS] chunk [SEP], about 15% masked, labels the original tokens', () => {
    const b = batcher(defaults, data, V, row('mlm'));
    const x = b.batch(stream, Int32Array.of(0, 5, 9), 1, 0);
    if (x.kind !== 'encoder') throw new Error(x.kind);
    const T = defaults.model.seqLen;
    expect([x.inputIds[0], x.inputIds[T - 1]]).toEqual([ids.clsId, ids.sepId]);
    const labelled = x.mlmLabels.filter((l) => l !== IGNORE_INDEX).length;
    expect(labelled / (3 * (T - 2))).toBeGreaterThan(0.05);
    expect(labelled / (3 * (T - 2))).toBeLessThan(0.3);
    // A label is the chunk's original token at that position (chunk k starts at k * (T - 2)).
    const L = b.chunkLength;
    [0, 5, 9].forEach((k, r) => {
      for (let j = 1; j < T - 1; j++) {
        const label = x.mlmLabels[r * T + j];
        if (label !== IGNORE_INDEX) expect(label).toBe(stream[k * L + j - 1]);
        else expect(x.inputIds[r * T + j]).toBe(stream[k * L + j - 1]);
      }
    });
  });

  it('span-masking rows: whole-word spans, about 15% of the tokens, labelled with the originals', () => {
    const b = batcher(defaults, data, V, row('span-masking'));
    const x = b.batch(stream, Int32Array.of(0, 5, 9, 11), 3, 1);
    if (x.kind !== 'encoder') throw new Error(x.kind);
    const T = defaults.model.seqLen;
    const L = b.chunkLength;
    let masked = 0;
    [0, 5, 9, 11].forEach((k, r) => {
      expect([x.inputIds[r * T], x.inputIds[r * T + T - 1]]).toEqual([ids.clsId, ids.sepId]);
      for (let j = 1; j < T - 1; j++) {
        const label = x.mlmLabels[r * T + j];
        if (label === IGNORE_INDEX) continue;
        masked++;
        expect(label).toBe(stream[k * L + j - 1]);
        // A span covers whole words: a masked continuation's word start is masked too.
        if (!data.wordStart[label]) expect(x.mlmLabels[r * T + j - 1]).not.toBe(IGNORE_INDEX);
      }
    });
    expect(masked / (4 * (T - 2))).toBeGreaterThan(0.1);
    expect(masked / (4 * (T - 2))).toBeLessThan(0.25);
    // The same chunk masks the same way in another batch; another epoch masks it afresh.
    const again = b.batch(stream, Int32Array.of(5), 3, 1);
    const other = b.batch(stream, Int32Array.of(5), 3, 2);
    if (again.kind !== 'encoder' || other.kind !== 'encoder') throw new Error('kind');
    expect(Array.from(again.mlmLabels)).toEqual(Array.from(x.mlmLabels.subarray(T, 2 * T)));
    expect(Array.from(other.mlmLabels)).not.toEqual(Array.from(again.mlmLabels));
  });

  it('decoder rows: next-token targets of one chunk', () => {
    const b = batcher(defaults, data, V, row('causal-lm'));
    const x = b.batch(stream, Int32Array.of(2), 1, 0);
    if (x.kind !== 'decoder') throw new Error(x.kind);
    const L = b.chunkLength;
    expect(Array.from(x.inputs.subarray(1))).toEqual(Array.from(x.targets.subarray(0, x.T - 1)));
    expect(x.inputs[0]).toBe(stream[2 * L]);
  });

  it('encoder-decoder rows: each objective through its function, EOS-terminated, the same chunk the same way in any batch', () => {
    const chunk = (i: number, L: number) => Array.from(stream.subarray(i * L, (i + 1) * L));
    for (const o of [
      'span-corruption',
      'bert-style',
      'prefix-lm',
      'deshuffle',
      'text-infilling',
      'token-deletion',
      'document-rotation',
      'sentence-permutation',
    ] as const) {
      const b = batcher(defaults, data, V, row(o));
      const x = b.batch(stream, Int32Array.of(3, 4), 7, 2) as Seq2SeqBatch;
      const y = b.batch(stream, Int32Array.of(4), 7, 2) as Seq2SeqBatch;
      // Row 1 of x is chunk 4, as y's only row: a corruption does not depend on its batch.
      const realInputs = (z: Seq2SeqBatch, r: number) =>
        Array.from(z.inputIds.subarray(r * z.inLen, (r + 1) * z.inLen)).filter(
          (_, j) => z.attentionMask[r * z.inLen + j],
        );
      const targets = (z: Seq2SeqBatch, r: number) =>
        Array.from(z.labels.subarray(r * z.outLen, (r + 1) * z.outLen)).filter((t) => t !== IGNORE_INDEX);
      expect(realInputs(x, 1)).toEqual(realInputs(y, 0));
      expect(targets(x, 1)).toEqual(targets(y, 0));
      const t = targets(x, 0);
      const inp = realInputs(x, 0);
      expect(t[t.length - 1]).toBe(ids.sepId);
      expect(inp[inp.length - 1]).toBe(ids.sepId);
      const L = b.chunkLength;
      const original = chunk(3, L);
      if (o === 'deshuffle') expect([...inp.slice(0, -1)].sort()).toEqual([...original].sort());
      if (o === 'document-rotation') {
        const body = inp.slice(0, -1);
        const start = body.length - original.indexOf(body[0]);
        expect([...body.slice(start), ...body.slice(0, start)]).toEqual(original);
      }
      if (o === 'sentence-permutation') {
        expect([...inp.slice(0, -1)].sort()).toEqual([...original].sort());
        expect(inp.slice(0, -1)).not.toEqual(original); // chunk 3 has several sentences
      }
      if (
        [
          'bert-style',
          'deshuffle',
          'text-infilling',
          'token-deletion',
          'document-rotation',
          'sentence-permutation',
        ].includes(o)
      )
        expect(t.slice(0, -1)).toEqual(original); // the whole input reconstructed
      if (o === 'prefix-lm') expect([...inp.slice(0, -1), ...t.slice(0, -1)]).toEqual(original);
      if (o === 'span-corruption') {
        const sentinel = V + NUM_SENTINELS - 1; // <extra_id_0>
        expect(t[0]).toBe(sentinel);
        expect(inp).toContain(sentinel);
      }
      if (o === 'text-infilling') expect(inp).toContain(ids.maskId);
    }
  });

  it('FLOPs: the same batch costs more through ELECTRA than through MLM; a reconstruction costs more than span corruption', () => {
    const idx = Int32Array.of(0, 1, 2, 3);
    const cost = (o: ObjectiveName) =>
      trainingFlops(defaults, row(o), V, batcher(defaults, data, V, row(o)).batch(stream, idx, 1, 0));
    expect(cost('electra')).toBeGreaterThan(cost('mlm'));
    // Sharing layers costs nothing; ALBERT's E -> d projection and its d -> E -> V head move the
    // cost of a token by a few percent only (parameters, not compute, are what ALBERT saves).
    expect(cost('albert-mlm')).not.toBe(cost('mlm'));
    expect(Math.abs(cost('albert-mlm') / cost('mlm') - 1)).toBeLessThan(0.05);
    expect(cost('bert-style')).toBeGreaterThan(cost('span-corruption'));
    // MLM at d64, 2 layers: about 0.7 MFLOP per token (6 x 2 x 49k weights + attention + the masked head).
    expect(cost('mlm') / (4 * defaults.model.seqLen)).toBeGreaterThan(6e5);
    expect(cost('mlm') / (4 * defaults.model.seqLen)).toBeLessThan(8e5);
  });
});

function lab(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', bin, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, PRETRAIN_LAB_BACKEND: 'wasm' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const summaryOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
const withoutTiming = (s: any) => ({
  ...s,
  pretrain: s.pretrain.map(({ tokensPerSec: _t, ...p }: any) => p),
});
const rowsOf = (dir: string) =>
  fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { tokensPerSec: _t, elapsedSec: _e, ...rest } = JSON.parse(l);
      return rest;
    });

describe('pnpm exp objectives --preset smoke', () => {
  it('pretrains a row per architecture at one FLOP budget, probes every row and writes the ablation schema', () => {
    const out = path.join(tmp, 'smoke');
    const r = lab(['exp', 'objectives', '--preset', 'smoke', '--out', out, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = summaryOf(out);
    expect(s.variants.map((v: any) => [v.name, v.pretrained, v.fields.architecture])).toEqual([
      ['no pretraining (encoder)', false, 'encoder'],
      ['ELECTRA (encoder)', true, 'encoder'],
      ['ALBERT MLM (encoder, E8, shared layers)', true, 'encoder'],
      ['SpanBERT (encoder, span masking + SBO)', true, 'encoder'],
      ['causal LM + recall (decoder, d16)', true, 'decoder'],
      ['span corruption (encoder-decoder)', true, 'encoder-decoder'],
    ]);
    const trained = s.pretrain.filter((p: any) => p.steps > 0);
    expect(trained).toHaveLength(5);
    // The same budget: every row within one step's cost of it.
    for (const p of trained) expect(Math.abs(p.extra.flops - 2e8)).toBeLessThanOrEqual(p.extra.flopsPerStep);
    expect(Object.keys(trained[0].finalLoss).sort()).toEqual(['disc', 'discAccuracy', 'mlm', 'val']);
    // SpanBERT's row: MLM and SBO losses, both positive, the validation loss their sum.
    const spanBert = trained.find((p: any) => p.variant.startsWith('SpanBERT')).finalLoss;
    expect(spanBert.sbo).toBeGreaterThan(0);
    expect(spanBert.val).toBeCloseTo(spanBert.mlm + spanBert.sbo, 4);
    // A probe of every row on spam; the decoder also prompted: spam at 0 and 1 shots, kv-recall at 1 and 4 pairs.
    const cells = s.results.map((x: any) => `${x.variant} | ${x.task} | ${x.method} ${x.trainExamples}`);
    expect(cells.filter((c: string) => c.includes('probe'))).toHaveLength(6);
    expect(cells.filter((c: string) => c.includes('in-context')).sort()).toEqual([
      'causal LM + recall (decoder, d16) | kv-recall | in-context 1',
      'causal LM + recall (decoder, d16) | kv-recall | in-context 4',
      'causal LM + recall (decoder, d16) | spam | in-context 0',
      'causal LM + recall (decoder, d16) | spam | in-context 1',
    ]);
    for (const x of s.results)
      expect(x.perExample).toHaveLength(s.tasks.find((t: any) => t.name === x.task).testExamples);
  });

  it('after kill -9 mid-pretraining, --resume ends with exactly the rows of an uninterrupted run', async () => {
    const longer = ['--pretrain.flops=6e8', '--pretrain.checkpointEvery=10'];
    const straight = path.join(tmp, 'straight');
    expect(
      lab(['exp', 'objectives', '--preset', 'smoke', '--out', straight, '--quiet', ...longer]).code,
    ).toBe(0);
    const killed = path.join(tmp, 'killed');
    const child: ChildProcess = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        bin,
        'exp',
        'objectives',
        '--preset',
        'smoke',
        '--out',
        killed,
        '--quiet',
        ...longer,
      ],
      { cwd: root, env: { ...process.env, PRETRAIN_LAB_BACKEND: 'wasm' }, stdio: 'ignore' },
    );
    const marker = path.join(killed, 'checkpoints', 'pretrain-causal-lm-recall-decoder-d16-s1', 'state.json');
    const deadline = Date.now() + 120_000;
    while (!fs.existsSync(marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(fs.existsSync(marker)).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(fs.existsSync(path.join(killed, 'summary.json'))).toBe(false);
    const resumed = lab(['exp', 'objectives', '--resume', killed, '--quiet']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(rowsOf(killed)).toEqual(rowsOf(straight));
    expect(withoutTiming(summaryOf(killed))).toEqual(withoutTiming(summaryOf(straight)));
  });

  it('rejects an unknown objective in one line that lists the known ones', () => {
    const r = lab([
      'exp',
      'objectives',
      '--preset',
      'smoke',
      '--quiet',
      '--rows=[{"name":"x","objective":"gpt5"}]',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(
      /^error: row 'x': unknown objective 'gpt5'; known: none, mlm, span-masking, albert-mlm, electra, causal-lm,/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('in context', () => {
  it('recall sequences: pairs, then each key again followed by its value', async () => {
    const { recallSequence } = await import('./in-context.js');
    const { Rng } = await import('@pretrain-lab/runtime');
    const x = recallSequence(33, 4, 32, new Rng(3));
    const value = new Map<number, number>();
    for (let i = 0; i < 8; i += 2) value.set(x[i], x[i + 1]);
    expect(value.size).toBe(4); // distinct keys
    for (let i = 8; i + 1 < 33; i += 2) expect(x[i + 1]).toBe(value.get(x[i]));
    for (const t of x) expect(t >= 5 && t < 37).toBe(true);
  });

  it('kv-recall prompts end with one of their keys; the answer is its value', async () => {
    const { kvRecallPrompts } = await import('./in-context.js');
    for (const p of kvRecallPrompts(4, 20, 64, 1)) {
      expect(p.prompt).toHaveLength(9);
      const q = p.prompt[8];
      const i = Array.from(p.prompt.subarray(0, 8)).findIndex((t, j) => j % 2 === 0 && t === q);
      expect(i).toBeGreaterThanOrEqual(0);
      expect(p.answer).toBe(p.prompt[i + 1]);
    }
  });

  it('label-word prompts: k demonstrations "text [SEP] label [SEP]", then the text and [SEP]', async () => {
    const { labelWordPrompts } = await import('./in-context.js');
    const task = {
      kind: 'classification' as const,
      name: 't',
      labels: ['a', 'b'],
      train: { ids: [Int32Array.of(10, 11, 12), Int32Array.of(20, 21)], labels: Int32Array.of(0, 1) },
      test: { ids: [Int32Array.of(30, 31, 32, 33)], labels: Int32Array.of(1) },
    };
    const words = [Int32Array.of(7), Int32Array.of(8, 9)];
    const [zero] = labelWordPrompts(task, 0, words, ids, { wordsPerText: 3, splitSeed: 1, maxLen: 64 });
    expect(Array.from(zero.prompt)).toEqual([30, 31, 32, ids.sepId]);
    expect(zero.answer).toBe(1);
    const [two] = labelWordPrompts(task, 2, words, ids, { wordsPerText: 3, splitSeed: 1, maxLen: 64 });
    const p = Array.from(two.prompt);
    expect(p.slice(-4)).toEqual([30, 31, 32, ids.sepId]);
    // Each demonstration is one of the training texts followed by its own label word.
    const demos = p.slice(0, -4);
    const first =
      demos[0] === 10 ? [10, 11, 12, ids.sepId, 7, ids.sepId] : [20, 21, ids.sepId, 8, 9, ids.sepId];
    expect(demos.slice(0, first.length)).toEqual(first);
    expect(() =>
      labelWordPrompts(task, 2, words, ids, { wordsPerText: 3, splitSeed: 1, maxLen: 10 }),
    ).toThrow(/more than the context of 10/);
  });
});

describe('scorePrompts', () => {
  it('greedy next token and candidate log-probabilities agree with the model run prompt by prompt', async () => {
    const { initBackend } = await import('@pretrain-lab/runtime');
    const { GPT, resolveGPTConfig } = await import('@pretrain-lab/models');
    const tf = await import('@tensorflow/tfjs');
    const { scorePrompts } = await import('./in-context.js');
    await initBackend();
    const m = new GPT(
      resolveGPTConfig({ vocabSize: 30, seqLen: 12, dModel: 8, numLayers: 1, numHeads: 2 }),
      4,
    );
    const logProbs = (seq: number[]) =>
      tf.tidy(
        () =>
          tf.logSoftmax(m.forward(tf.tensor2d([seq], [1, seq.length], 'int32'))).arraySync() as number[][][],
      )[0];
    const greedy = [Int32Array.of(5, 6, 7), Int32Array.of(9, 10)];
    const wants = greedy.map((p) => {
      const lp = logProbs(Array.from(p))[p.length - 1];
      return lp.indexOf(Math.max(...lp));
    });
    // One prompt per answer: the model's own argmax (scores 1) and another token (scores 0).
    const prompts = [
      { prompt: greedy[0], candidates: [], answer: wants[0] },
      { prompt: greedy[1], candidates: [], answer: (wants[1] + 1) % 30 },
    ];
    // Candidates: the one with the larger summed log-probability wins.
    const cands = [Int32Array.of(3), Int32Array.of(4, 8)];
    const total = (c: Int32Array) => {
      const seq = [11, 12, ...c];
      const lp = logProbs(seq);
      return c.reduce((a, t, j) => a + lp[1 + j][t], 0);
    };
    const best = total(cands[0]) > total(cands[1]) ? 0 : 1;
    prompts.push({ prompt: Int32Array.of(11, 12), candidates: cands, answer: best } as any);
    prompts.push({ prompt: Int32Array.of(11, 12), candidates: cands, answer: 1 - best } as any);
    expect(await scorePrompts(m, prompts, 0)).toEqual([1, 0, 1, 0]);
    m.dispose();
  });
});
