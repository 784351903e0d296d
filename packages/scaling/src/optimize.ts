/**
 * Nelder-Mead simplex minimisation (Nelder & Mead 1965, with the standard coefficients
 * reflection 1, expansion 2, contraction 0.5, shrink 0.5). Derivative-free, so it copes with
 * the kink of a Huber loss; deterministic for a given start.
 */
export interface NelderMeadOptions {
  /** Initial simplex step per coordinate (default 0.1 or 10% of |x0_i|, whichever is larger). */
  step?: number[];
  maxIter?: number;
  /** Stop when the spread of f over the simplex falls below this. */
  fTol?: number;
  /** Stop when the simplex is smaller than this in every coordinate. */
  xTol?: number;
}

export interface MinimizeResult {
  x: number[];
  f: number;
  iterations: number;
}

export function nelderMead(
  f: (x: number[]) => number,
  x0: number[],
  opts: NelderMeadOptions = {},
): MinimizeResult {
  const n = x0.length;
  const maxIter = opts.maxIter ?? 200 * n;
  const fTol = opts.fTol ?? 1e-12;
  const xTol = opts.xTol ?? 1e-10;
  const evalf = (x: number[]): number => {
    const v = f(x);
    return Number.isFinite(v) ? v : Number.POSITIVE_INFINITY;
  };
  let simplex: number[][] = [x0.slice()];
  for (let i = 0; i < n; i++) {
    const x = x0.slice();
    x[i] += opts.step?.[i] ?? Math.max(0.1, 0.1 * Math.abs(x0[i]));
    simplex.push(x);
  }
  let values = simplex.map(evalf);
  let iter = 0;
  for (; iter < maxIter; iter++) {
    // Sort by value; ties broken by index so the run is deterministic.
    const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    simplex = order.map(([, i]) => simplex[i]);
    values = order.map(([v]) => v);
    const best = values[0];
    const worst = values[n];
    let size = 0;
    for (let i = 1; i <= n; i++) {
      for (let j = 0; j < n; j++) size = Math.max(size, Math.abs(simplex[i][j] - simplex[0][j]));
    }
    if ((Number.isFinite(worst) && Math.abs(worst - best) <= fTol) || size <= xTol) break;

    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j] += simplex[i][j] / n;
    const along = (t: number): number[] => centroid.map((c, j) => c + t * (simplex[n][j] - c));

    const xr = along(-1);
    const fr = evalf(xr);
    if (fr < values[0]) {
      const xe = along(-2);
      const fe = evalf(xe);
      if (fe < fr) {
        simplex[n] = xe;
        values[n] = fe;
      } else {
        simplex[n] = xr;
        values[n] = fr;
      }
      continue;
    }
    if (fr < values[n - 1]) {
      simplex[n] = xr;
      values[n] = fr;
      continue;
    }
    // Contraction: outside if the reflected point beat the worst, inside otherwise.
    const outside = fr < values[n];
    const xc = along(outside ? -0.5 : 0.5);
    const fc = evalf(xc);
    if (fc < (outside ? fr : values[n])) {
      simplex[n] = xc;
      values[n] = fc;
      continue;
    }
    // Shrink towards the best vertex.
    for (let i = 1; i <= n; i++) {
      simplex[i] = simplex[i].map((v, j) => simplex[0][j] + 0.5 * (v - simplex[0][j]));
      values[i] = evalf(simplex[i]);
    }
  }
  let bi = 0;
  for (let i = 1; i < values.length; i++) if (values[i] < values[bi]) bi = i;
  return { x: simplex[bi], f: values[bi], iterations: iter };
}
