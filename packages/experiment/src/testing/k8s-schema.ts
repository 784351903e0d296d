/**
 * Checks a manifest against the batch/v1 Job schema in k8s-job-schema.json (written by
 * gen-k8s-job-schema.py from the Kubernetes API's generated Python client): every field must be
 * one the API knows, of its type, and every required field present. A strict check, as
 * `kubectl apply --validate=strict` makes it: an unknown field is an error, not ignored.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

type FieldType =
  | 'string'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'any'
  | { array: FieldType }
  | { map: FieldType }
  | { ref: string };

interface Schema {
  source: string;
  root: string;
  types: Record<string, { properties: Record<string, FieldType>; required: string[] }>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const JOB_SCHEMA: Schema = JSON.parse(fs.readFileSync(path.join(here, 'k8s-job-schema.json'), 'utf8'));

function check(value: unknown, type: FieldType, at: string, errors: string[], schema: Schema): void {
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  if (type === 'any') return;
  if (typeof type === 'string') {
    const ok =
      type === 'integer' ? Number.isInteger(value) : type === 'number' ? kind === 'number' : kind === type;
    if (!ok) errors.push(`${at}: expected ${type}, got ${kind}`);
    return;
  }
  if ('array' in type) {
    if (!Array.isArray(value)) errors.push(`${at}: expected an array, got ${kind}`);
    else for (const [i, v] of value.entries()) check(v, type.array, `${at}[${i}]`, errors, schema);
    return;
  }
  if (kind !== 'object') {
    errors.push(`${at}: expected an object, got ${kind}`);
    return;
  }
  const obj = value as Record<string, unknown>;
  if ('map' in type) {
    for (const [k, v] of Object.entries(obj)) check(v, type.map, `${at}.${k}`, errors, schema);
    return;
  }
  const t = schema.types[type.ref];
  if (!t) throw new Error(`schema: no type ${type.ref}`);
  for (const r of t.required)
    if (obj[r] === undefined) errors.push(`${at}: missing required field '${r}' (${type.ref})`);
  for (const [k, v] of Object.entries(obj)) {
    const ft = t.properties[k];
    if (!ft) errors.push(`${at}: unknown field '${k}' in ${type.ref}`);
    else check(v, ft, `${at}.${k}`, errors, schema);
  }
}

/** Every problem with `job` as a batch/v1 Job, as "path: what"; empty when it is valid. */
export function jobErrors(job: unknown, schema: Schema = JOB_SCHEMA): string[] {
  const errors: string[] = [];
  check(job, { ref: schema.root }, 'Job', errors, schema);
  const j = job as { apiVersion?: unknown; kind?: unknown };
  if (j?.apiVersion !== 'batch/v1')
    errors.push(`Job.apiVersion: expected 'batch/v1', got ${String(j?.apiVersion)}`);
  if (j?.kind !== 'Job') errors.push(`Job.kind: expected 'Job', got ${String(j?.kind)}`);
  return errors;
}
