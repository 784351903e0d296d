/**
 * Units of work with stable ids: a unit's id is a hash of its kind and resolved config (sorted
 * keys), so the same unit has the same id in every process, on every machine, and a changed
 * config gives a new id. The ledger records units by id.
 */
import { createHash } from 'node:crypto';

export function canonicalJSON(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJSON).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJSON(v)}`).join(',')}}`;
}

/** `kind-<12 hex>`: sha256 of the kind and the canonical JSON of the config. */
export function unitId(kind: string, config: unknown): string {
  return `${kind}-${createHash('sha256')
    .update(`${kind}\n${canonicalJSON(config)}`)
    .digest('hex')
    .slice(0, 12)}`;
}
