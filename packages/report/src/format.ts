/** Number formatting for reports and chart labels: fixed rules, so output is byte-stable. */

/** `digits` significant digits; scientific notation outside [1e-3, 1e4). */
export function fmtSig(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  if (x === 0) return '0';
  const ax = Math.abs(x);
  if (ax >= 1e4 || ax < 1e-3) {
    const [m, e] = x.toExponential(digits - 1).split('e');
    return `${m}e${Number(e)}`;
  }
  return String(Number(x.toPrecision(digits)));
}

/** Integer with thousands separators (no locale dependence). */
export function fmtInt(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  const s = String(Math.round(Math.abs(x)));
  return (x < 0 ? '-' : '') + s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function fmtInterval(ci: readonly [number, number] | null | undefined, digits = 3): string {
  return ci ? `[${fmtSig(ci[0], digits)}, ${fmtSig(ci[1], digits)}]` : 'n/a';
}

/** JSON with object keys sorted at every level, for stable text from unordered objects. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value as object).sort())
      out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}
