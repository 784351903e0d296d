/**
 * Config checks every ablation experiment's validate() makes, with one wording: each throws a
 * UserError of one line naming the key and the value it got.
 */
import { UserError } from '@pretrain-lab/runtime';

const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;

/** seeds: a non-empty array of non-negative integers. */
export function checkSeeds(seeds: unknown): void {
  if (!Array.isArray(seeds) || seeds.length === 0 || !seeds.every((s) => Number.isInteger(s) && s >= 0))
    throw new UserError(
      `seeds must be a non-empty array of non-negative integers, got ${JSON.stringify(seeds)}`,
    );
}

/** model.<key> a positive integer for every key given, and dModel divisible by numHeads. */
export function checkModelShape(model: Record<string, unknown>, keys: readonly string[]): void {
  for (const k of keys)
    if (!posInt(model[k])) throw new UserError(`model.${k} must be a positive integer, got ${model[k]}`);
  if ((model.dModel as number) % (model.numHeads as number) !== 0)
    throw new UserError(`model.dModel ${model.dModel} is not divisible by model.numHeads ${model.numHeads}`);
}
