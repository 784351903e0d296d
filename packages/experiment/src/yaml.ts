/**
 * Plain JSON values as block YAML, for manifests people read (k8s.ts). Strings are written as
 * JSON strings, which YAML reads as double-quoted scalars, so no value can turn into another
 * type ("yes", "1e3", "null") or break the layout; keys are quoted unless plainly safe.
 */
type Value = string | number | boolean | null | Value[] | { [k: string]: Value };

const plainKey = (k: string) => /^[A-Za-z_][\w./-]*$/.test(k);
const key = (k: string) => (plainKey(k) ? k : JSON.stringify(k));

function scalar(v: Value): string | null {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`yaml: ${v} has no YAML form here`);
    return String(v);
  }
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.length === 0) return '[]';
  if (!Array.isArray(v) && Object.keys(v).length === 0) return '{}';
  return null;
}

function lines(v: Value, indent: string): string[] {
  const out: string[] = [];
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = scalar(item);
      if (s !== null) out.push(`${indent}- ${s}`);
      else {
        // The first line of a nested block goes after the dash; the rest keep its indent.
        const inner = lines(item, `${indent}  `);
        out.push(`${indent}- ${inner[0].slice(indent.length + 2)}`, ...inner.slice(1));
      }
    }
    return out;
  }
  for (const [k, item] of Object.entries(v as Record<string, Value>)) {
    if (item === undefined) continue;
    const s = scalar(item);
    if (s !== null) out.push(`${indent}${key(k)}: ${s}`);
    else out.push(`${indent}${key(k)}:`, ...lines(item, `${indent}  `));
  }
  return out;
}

/** One YAML document per value, separated by `---`. */
export function toYAML(docs: readonly unknown[]): string {
  return docs.map((d) => `${lines(d as Value, '').join('\n')}\n`).join('---\n');
}
