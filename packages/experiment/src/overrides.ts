/**
 * `--key.path=value` overrides of an experiment's config, typed by the value they replace:
 * numbers must parse as numbers, booleans as true/false, arrays and objects as JSON. An
 * unknown key is an error listing the valid ones (nanoGPT's configurator, made strict).
 */
import { UserError } from '@pretrain-lab/runtime';

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

export function flattenKeys(obj: Json, prefix = ''): string[] {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return [prefix];
  return Object.entries(obj).flatMap(([k, v]) => flattenKeys(v, prefix ? `${prefix}.${k}` : k));
}

function typeName(v: Json): string {
  if (Array.isArray(v)) return 'a JSON array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'a JSON object';
  return `a ${typeof v}`;
}

export function parseValue(key: string, raw: string, current: Json): Json {
  const fail = (): never => {
    throw new UserError(`--${key}: expected ${typeName(current)}, got '${raw}'`);
  };
  if (typeof current === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) fail();
    return n;
  }
  if (typeof current === 'boolean') {
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    return fail();
  }
  if (typeof current === 'string') return raw;
  try {
    const parsed = JSON.parse(raw) as Json;
    if (Array.isArray(current) !== Array.isArray(parsed) || typeof parsed !== 'object' || parsed === null)
      fail();
    return parsed;
  } catch {
    return fail();
  }
}

/** Apply overrides to a deep copy of `base`; returns the new config and the printed lines. */
export function applyOverrides<T extends Json>(
  base: T,
  overrides: Record<string, string>,
): { config: T; applied: string[] } {
  const config = structuredClone(base) as T;
  const valid = flattenKeys(base);
  const applied: string[] = [];
  for (const [key, raw] of Object.entries(overrides)) {
    const path = key.split('.');
    let node: any = config;
    for (let i = 0; i < path.length - 1; i++) {
      node = node?.[path[i]];
      if (node === null || typeof node !== 'object' || Array.isArray(node)) node = undefined;
    }
    const leaf = path[path.length - 1];
    if (node === undefined || !(leaf in node)) {
      const near = valid.filter((k) => k.split('.')[0] === path[0]);
      const list = (near.length > 0 ? near : valid).join(', ');
      throw new UserError(`unknown config key '${key}'; valid keys: ${list}`);
    }
    node[leaf] = parseValue(key, raw, node[leaf] as Json);
    applied.push(`${key} = ${JSON.stringify(node[leaf])}`);
  }
  return { config, applied };
}

/** Options of the CLI itself; every other `--key=value` is a config override. */
const CLI_OPTIONS = new Set([
  'preset',
  'out',
  'resume',
  'backend',
  'quiet',
  'results',
  'docs',
  'json',
  'vs-torch',
  'steps',
  'sweep',
  'no-sweep',
  'workloads',
  'warmup',
  'internal-one',
  'format',
  'text',
  'prompt',
  'max-tokens',
  'temperature',
  'top-k',
  'seed',
  'help',
  'mean-span',
  'rate',
  'length',
  'tokenizer',
]);

/**
 * Split argv into config overrides and the rest: `--a.b=value` or `--a.b value` (a dotted
 * key), or `--key=value` for a key that is not one of the CLI's own options.
 */
export function extractOverrides(argv: string[]): { overrides: Record<string, string>; rest: string[] } {
  const overrides: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--([A-Za-z_][\w-]*(?:\.[\w-]+)*)(?:=(.*))?$/s.exec(a);
    const dotted = m?.[1].includes('.');
    if (!m || (!dotted && (m[2] === undefined || CLI_OPTIONS.has(m[1])))) {
      rest.push(a);
      continue;
    }
    if (m[2] !== undefined) overrides[m[1]] = m[2];
    else if (i + 1 < argv.length) overrides[m[1]] = argv[++i];
    else throw new UserError(`--${m[1]} needs a value`);
  }
  return { overrides, rest };
}
