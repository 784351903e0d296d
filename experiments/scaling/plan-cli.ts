/**
 * Size a scaling grid without training anything: every unit's N, D/N, learning rate and warmup,
 * then tokens, FLOPs and minutes per unit and the total (plan.ts):
 *
 *   pnpm --filter @pretrain-lab/exp-scaling plan [--preset P] [--speedup 3]
 *       [--tps L1-D16=55000,L4-D96=7000,...] [--data] [--key.path=value ...]
 *
 * --speedup divides the measured 2-core wasm step times (a faster backend); --tps sets tokens/s
 * per model name outright (measured elsewhere); --data also trains the tokenizer and counts the
 * corpus's tokens to check epochs (about 10 s).
 */
import {
  applyOverrides,
  extractOverrides,
  resolvePreset,
  runMain,
  UserError,
} from '@pretrain-lab/experiment';
import { checkEpochs, GridError, WASM_2CORE } from '@pretrain-lab/scaling';
import { planUnits, type ScalingConfig, scheduleFor, validate } from './config.js';
import { experiment } from './index.js';
import { estimateCost, formatPlan } from './plan.js';

function parseTps(raw: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of raw.split(',')) {
    const [k, v] = part.split('=');
    const n = Number(v);
    if (!k || !(n > 0)) throw new UserError(`--tps: expected MODEL=tokens/s[,...], got '${part}'`);
    out[k.trim()] = n;
  }
  return out;
}

async function main(): Promise<void> {
  const { overrides, rest } = extractOverrides(process.argv.slice(2));
  const flag = (name: string): string | undefined => {
    const i = rest.indexOf(`--${name}`);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const preset = flag('preset') ?? 'default';
  const cfg = applyOverrides(resolvePreset(experiment, preset), overrides).config as ScalingConfig;
  validate(cfg);
  const speedup = Number(flag('speedup') ?? '1');
  if (!(speedup > 0)) throw new UserError(`--speedup must be a positive number, got ${flag('speedup')}`);
  const tps = flag('tps');
  let vocab = cfg.tokenizer.vocabSize;
  let trainTokens: number | undefined;
  if (rest.includes('--data')) {
    const { prepareCorpus } = await import('./data.js');
    const d = prepareCorpus(cfg);
    vocab = d.tokenizer.vocabSize;
    trainTokens = d.trainTokens;
  } else if (cfg.tokenizer.kind === 'char') {
    throw new UserError('a char tokenizer has no vocabulary size before it is trained; pass --data');
  }
  const units = planUnits(cfg, vocab);
  if (trainTokens !== undefined) {
    try {
      checkEpochs(units, trainTokens, cfg.grid.maxEpochs, cfg.corpus);
    } catch (e) {
      throw e instanceof GridError ? new UserError(e.message) : e;
    }
  }
  const cost = estimateCost(cfg, units, {
    model: { ...WASM_2CORE, speedup },
    tokensPerSec: tps ? parseTps(tps) : undefined,
  });
  for (const u of units) {
    const s = scheduleFor(cfg, u);
    process.stdout.write(
      `${u.id.padEnd(22)} N_total ${String(u.totalParams).padStart(8)}  N_nonemb ${String(u.nonEmbeddingParams).padStart(8)}  D/N ${(u.tokens / u.totalParams).toFixed(1).padStart(6)}  lr ${s.lr.toPrecision(3)}  warmup ${s.warmupSteps}\n`,
    );
  }
  const speed = tps
    ? `--tps ${tps} (the measured wasm model for other sizes)`
    : speedup !== 1
      ? `${speedup}x the 2-core wasm speed measured in 2026-12`
      : undefined;
  for (const line of formatPlan(cfg, units, cost, { trainTokens, speed })) process.stdout.write(`${line}\n`);
}

await runMain(main);
