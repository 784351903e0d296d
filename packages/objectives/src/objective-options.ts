/**
 * What the objectives' entry points share when they take options: unknown keys are an error, and
 * randomness comes in as exactly one of `seed` (a stream derived for the objective) or `rng`.
 * Internal: not exported from the package index.
 */
import { Rng } from '@pretrain-lab/runtime/rng';

/** Throws on an option the caller misspelled, naming the ones that exist. */
export function checkKeys(opts: object, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(opts)) {
    if (!allowed.includes(key))
      throw new Error(`${where}: unknown option '${key}' (known: ${allowed.join(', ')})`);
  }
}

/** Either a seed or a generator, never both (a silent precedence would hide a bug). */
export interface SeedOrRng {
  /** Seed for a stream derived as Rng.derive(seed, <the objective's label>). Give this or `rng`. */
  seed?: number;
  /** Generator to draw from (advanced by the call). Give this or `seed`. */
  rng?: Rng;
}

export function streamOf(opts: SeedOrRng, label: string, where: string): Rng {
  if ((opts.seed === undefined) === (opts.rng === undefined)) {
    throw new Error(`${where} needs exactly one of \`seed\` or \`rng\``);
  }
  if (opts.rng !== undefined) return opts.rng;
  if (!Number.isInteger(opts.seed)) throw new Error(`${where}: seed must be an integer, got ${opts.seed}`);
  return Rng.derive(opts.seed as number, label);
}

export function checkRate(name: string, value: number, where: string): void {
  if (!(value >= 0 && value <= 1)) throw new Error(`${where}: ${name} must be in [0, 1], got ${value}`);
}

export function checkTokenId(name: string, value: number, where: string): void {
  if (!Number.isInteger(value))
    throw new Error(`${where}: ${name} must be an integer token id, got ${value}`);
}

export const asInt32 = (tokens: ArrayLike<number>): Int32Array =>
  tokens instanceof Int32Array ? tokens : Int32Array.from(tokens);

/**
 * ceil(length * rate), the budget rule of fairseq's BART noising and SpanBERT (math.ceil), with a
 * product within 1e-9 of an integer taken as that integer: in doubles 10 * 0.3 is
 * 3.0000000000000004, whose ceiling would budget 4 tokens for "30% of 10".
 */
export function ceilCount(length: number, rate: number): number {
  const x = length * rate;
  const nearest = Math.round(x);
  return Math.abs(x - nearest) < 1e-9 ? nearest : Math.ceil(x);
}
