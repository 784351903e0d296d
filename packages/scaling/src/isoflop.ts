/**
 * Chinchilla's approach 2 (Hoffmann et al. 2022, Section 3.2): for each compute budget, fit a
 * parabola to final loss against log N over the runs of that budget (an IsoFLOP profile), take
 * its minimum as the compute-optimal N_opt(C) and D_opt(C), then fit N_opt ~ C^a and
 * D_opt ~ C^b across budgets by least squares in log-log space.
 *
 * The same code serves both parameter counts. N is whatever the caller passes (total or
 * non-embedding); D_opt is read off the budget's runs at N_opt (a line of log D on log N
 * through them; within one budget log D = log(C/6) - log N_total exactly), and the budget's
 * compute in that count is C_opt = 6 N_opt D_opt. With total parameters C_opt is the budget
 * itself; with non-embedding parameters it is Kaplan's 6 N_nonemb D at the optimum.
 */

export interface IsoflopRun {
  /** Budget the run belongs to (any key; runs with the same key form one profile). */
  budget: number;
  N: number;
  D: number;
  loss: number;
}

export interface LineFit {
  slope: number;
  intercept: number;
  r2: number;
  n: number;
}

/** Ordinary least squares y = intercept + slope x. */
export function fitLine(xs: readonly number[], ys: readonly number[]): LineFit {
  const n = xs.length;
  if (n !== ys.length || n < 2)
    throw new Error(`fitLine: need >= 2 paired points, got ${n} and ${ys.length}`);
  const mx = xs.reduce((s, v) => s + v, 0) / n;
  const my = ys.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
    syy += (ys[i] - my) ** 2;
  }
  if (!(sxx > 0)) throw new Error('fitLine: all x are equal');
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ssRes = 0;
  for (let i = 0; i < n; i++) ssRes += (ys[i] - intercept - slope * xs[i]) ** 2;
  return { slope, intercept, r2: syy > 0 ? 1 - ssRes / syy : 1, n };
}

/** y = c0 + c1 x + c2 x^2 by least squares (x centred internally for conditioning). */
export function fitParabola(xs: readonly number[], ys: readonly number[]): [number, number, number] {
  const n = xs.length;
  if (n !== ys.length || new Set(xs).size < 3)
    throw new Error(`fitParabola: need >= 3 distinct x, got ${new Set(xs).size}`);
  const m = xs.reduce((s, v) => s + v, 0) / n;
  // Normal equations in u = x - m: sums of u^k and u^k y.
  const S = [0, 0, 0, 0, 0];
  const T = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const u = xs[i] - m;
    let p = 1;
    for (let k = 0; k <= 4; k++) {
      S[k] += p;
      if (k <= 2) T[k] += p * ys[i];
      p *= u;
    }
  }
  const M = [
    [S[0], S[1], S[2], T[0]],
    [S[1], S[2], S[3], T[1]],
    [S[2], S[3], S[4], T[2]],
  ];
  // Gaussian elimination with partial pivoting.
  for (let c = 0; c < 3; c++) {
    let piv = c;
    for (let r = c + 1; r < 3; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    [M[c], M[piv]] = [M[piv], M[c]];
    for (let r = c + 1; r < 3; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k < 4; k++) M[r][k] -= f * M[c][k];
    }
  }
  const q = [0, 0, 0];
  for (let r = 2; r >= 0; r--) {
    let s = M[r][3];
    for (let k = r + 1; k < 3; k++) s -= M[r][k] * q[k];
    q[r] = s / M[r][r];
  }
  // Back from u = x - m to x.
  return [q[0] - q[1] * m + q[2] * m * m, q[1] - 2 * q[2] * m, q[2]];
}

export interface IsoflopProfile {
  budget: number;
  /** Runs in the profile (distinct sizes). */
  n: number;
  /** Loss = c0 + c1 ln N + c2 (ln N)^2. */
  coefficients: [number, number, number];
  /** Smallest and largest N of the profile's runs. */
  range: [number, number];
  Nopt: number;
  Dopt: number;
  /** 6 N_opt D_opt in the caller's count. */
  Copt: number;
  lossAtOpt: number;
  /** Whether N_opt lies inside the sampled sizes. */
  bracketed: boolean;
}

/**
 * One budget's profile. Null, with the reason, when the parabola opens downwards or its
 * minimum lies more than a quarter of the sampled log-range outside it (then the sizes do not
 * bracket the optimum and the minimum is an extrapolation).
 */
export function fitIsoflopProfile(runs: readonly IsoflopRun[]): IsoflopProfile | { reason: string } {
  const xs = runs.map((r) => Math.log(r.N));
  const distinct = new Set(xs).size;
  if (distinct < 3) return { reason: `${distinct} distinct sizes (a parabola needs 3)` };
  const c = fitParabola(
    xs,
    runs.map((r) => r.loss),
  );
  if (!(c[2] > 0)) return { reason: 'the parabola opens downwards (no minimum)' };
  const x = -c[1] / (2 * c[2]);
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const slack = (hi - lo) / 4;
  if (x < lo - slack || x > hi + slack)
    return {
      reason: `the minimum, N ${Math.exp(x).toPrecision(3)}, is far outside the sizes ${Math.exp(lo).toPrecision(3)}..${Math.exp(hi).toPrecision(3)}`,
    };
  const d = fitLine(
    xs,
    runs.map((r) => Math.log(r.D)),
  );
  const Nopt = Math.exp(x);
  const Dopt = Math.exp(d.intercept + d.slope * x);
  return {
    budget: runs[0].budget,
    n: distinct,
    coefficients: c,
    range: [Math.exp(lo), Math.exp(hi)],
    Nopt,
    Dopt,
    Copt: 6 * Nopt * Dopt,
    lossAtOpt: c[0] + c[1] * x + c[2] * x * x,
    bracketed: x >= lo && x <= hi,
  };
}

export interface Approach2Fit {
  profiles: IsoflopProfile[];
  /** N_opt = kN C^a. */
  a: number;
  kN: number;
  /** D_opt = kD C^b. */
  b: number;
  kD: number;
  r2: number;
  /** Budgets whose minimum entered the fit. */
  n: number;
  /** Budgets left out, with why. */
  rejected: { budget: number; reason: string }[];
}

/** Group runs by budget, in ascending budget order. */
export function groupByBudget<T extends { budget: number }>(runs: readonly T[]): T[][] {
  const m = new Map<number, T[]>();
  for (const r of runs) {
    if (!m.has(r.budget)) m.set(r.budget, []);
    m.get(r.budget)!.push(r);
  }
  return [...m.keys()].sort((a, b) => a - b).map((k) => m.get(k)!);
}

export function fitApproach2(runs: readonly IsoflopRun[]): Approach2Fit {
  const profiles: IsoflopProfile[] = [];
  const rejected: { budget: number; reason: string }[] = [];
  for (const group of groupByBudget(runs)) {
    const p = fitIsoflopProfile(group);
    if ('reason' in p) rejected.push({ budget: group[0].budget, reason: p.reason });
    else profiles.push(p);
  }
  if (profiles.length < 2)
    throw new Error(
      `approach 2: ${profiles.length} budget(s) with a minimum, need 2${rejected.length > 0 ? `; ${rejected.map((r) => `budget ${r.budget.toExponential(2)}: ${r.reason}`).join('; ')}` : ''}`,
    );
  const lc = profiles.map((p) => Math.log(p.Copt));
  const nf = fitLine(
    lc,
    profiles.map((p) => Math.log(p.Nopt)),
  );
  const df = fitLine(
    lc,
    profiles.map((p) => Math.log(p.Dopt)),
  );
  return {
    profiles,
    a: nf.slope,
    kN: Math.exp(nf.intercept),
    b: df.slope,
    kD: Math.exp(df.intercept),
    r2: nf.r2,
    n: profiles.length,
    rejected,
  };
}
