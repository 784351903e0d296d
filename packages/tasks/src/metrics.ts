/**
 * Metrics for downstream tasks: accuracy, macro-F1 and a confusion matrix for classification;
 * ROUGE-1, ROUGE-2 and ROUGE-L for generation, as defined by Lin (2004) and computed by Google's
 * `rouge-score` package (the one T5 reports with).
 */

function checkLengths(gold: readonly unknown[], predicted: readonly unknown[]): void {
  if (gold.length !== predicted.length) {
    throw new Error(`metrics: ${gold.length} gold labels but ${predicted.length} predictions`);
  }
}

/** Fraction of predictions equal to the gold label; 0 for no examples. */
export function accuracy(gold: readonly string[], predicted: readonly string[]): number {
  checkLengths(gold, predicted);
  if (gold.length === 0) return 0;
  let right = 0;
  for (let i = 0; i < gold.length; i++) if (gold[i] === predicted[i]) right++;
  return right / gold.length;
}

/**
 * What a classification evaluation records: 1 or 0 per example (correct or not, the scores a
 * paired test resamples), accuracy and macro-F1.
 */
export function classificationScores(
  gold: readonly string[],
  predicted: readonly string[],
): { perExample: number[]; accuracy: number; macroF1: number } {
  checkLengths(gold, predicted);
  return {
    perExample: gold.map((g, i) => (g === predicted[i] ? 1 : 0)),
    accuracy: accuracy(gold, predicted),
    macroF1: macroF1(gold, predicted),
  };
}

export interface ClassScore {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Number of gold examples of this class. */
  support: number;
}

/**
 * Per-class precision, recall and F1 over the classes that occur in the gold labels or the
 * predictions (scikit-learn's `unique_labels(y_true, y_pred)`). A class absent from both has no
 * defined F1 and is left out, so listing extra labels never changes the score; a class that is
 * only predicted (never gold) gets F1 = 0 and does count. 0/0 precision or recall is 0, as in
 * scikit-learn with zero_division=0. Classes come out sorted by name.
 */
export function perClassScores(gold: readonly string[], predicted: readonly string[]): ClassScore[] {
  checkLengths(gold, predicted);
  const labels = [...new Set([...gold, ...predicted])].sort();
  const tp = new Map<string, number>();
  const goldCount = new Map<string, number>();
  const predCount = new Map<string, number>();
  for (let i = 0; i < gold.length; i++) {
    goldCount.set(gold[i], (goldCount.get(gold[i]) ?? 0) + 1);
    predCount.set(predicted[i], (predCount.get(predicted[i]) ?? 0) + 1);
    if (gold[i] === predicted[i]) tp.set(gold[i], (tp.get(gold[i]) ?? 0) + 1);
  }
  return labels.map((label) => {
    const t = tp.get(label) ?? 0;
    const g = goldCount.get(label) ?? 0;
    const p = predCount.get(label) ?? 0;
    const precision = p > 0 ? t / p : 0;
    const recall = g > 0 ? t / g : 0;
    // 2TP / (2TP + FP + FN) equals 2PR/(P+R) and is 0 when there is no true positive.
    const f1 = g + p > 0 ? (2 * t) / (g + p) : 0;
    return { label, precision, recall, f1, support: g };
  });
}

/** Unweighted mean of per-class F1 (convention in perClassScores); 0 for no examples. */
export function macroF1(gold: readonly string[], predicted: readonly string[]): number {
  const scores = perClassScores(gold, predicted);
  if (scores.length === 0) return 0;
  return scores.reduce((a, s) => a + s.f1, 0) / scores.length;
}

export interface ConfusionMatrix {
  labels: string[];
  /** matrix[i][j]: examples of gold class labels[i] predicted as labels[j]. */
  matrix: number[][];
}

/**
 * Confusion matrix over `labels` (default: the sorted union of gold and predicted). Given labels
 * come first in their order; any label seen but not listed is appended, so no example is lost.
 */
export function confusionMatrix(
  gold: readonly string[],
  predicted: readonly string[],
  labels?: readonly string[],
): ConfusionMatrix {
  checkLengths(gold, predicted);
  const order = labels ? [...labels] : [];
  const extra = [...new Set([...gold, ...predicted])].filter((l) => !order.includes(l)).sort();
  order.push(...extra);
  const index = new Map(order.map((l, i) => [l, i]));
  const matrix = order.map(() => new Array<number>(order.length).fill(0));
  for (let i = 0; i < gold.length; i++) matrix[index.get(gold[i])!][index.get(predicted[i])!]++;
  return { labels: order, matrix };
}

export interface ClassificationReport {
  accuracy: number;
  macroF1: number;
  perClass: ClassScore[];
  confusion: ConfusionMatrix;
  count: number;
}

export function classificationReport(
  gold: readonly string[],
  predicted: readonly string[],
  labels?: readonly string[],
): ClassificationReport {
  return {
    accuracy: accuracy(gold, predicted),
    macroF1: macroF1(gold, predicted),
    perClass: perClassScores(gold, predicted),
    confusion: confusionMatrix(gold, predicted, labels),
    count: gold.length,
  };
}

// ---------------------------------------------------------------------------------------------
// ROUGE

export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

export interface RougeScores {
  rouge1: RougeScore;
  rouge2: RougeScore;
  rougeL: RougeScore;
}

export interface RougeOptions {
  /**
   * A stemmer applied to tokens longer than 3 characters, as rouge-score does with
   * `use_stemmer=True` (it uses NLTK's Porter stemmer). Off by default, like rouge-score; this
   * package ships no stemmer, so scores with stemming need one passed in.
   */
  stemmer?: (token: string) => string;
  /**
   * Replaces the default tokenizer altogether, as rouge-score's `tokenizer` argument does (so
   * `stemmer` is not applied: it belongs to the default tokenizer). casedTokenize is one.
   */
  tokenize?: (text: string) => string[];
}

/**
 * A tokenizer that keeps what the default one throws away: runs of letters and runs of digits
 * with their case, and every other non-space character as a token of its own ("Atlanta's," ->
 * Atlanta ' s ,). ROUGE-L over these tokens scores case and punctuation restoration, where the
 * default tokenizer sees only the words.
 */
export function casedTokenize(text: string): string[] {
  return text.match(/\p{L}+|\p{N}+|[^\p{L}\p{N}\s]/gu) ?? [];
}

/**
 * rouge-score's default tokenizer: lowercase, every run of characters other than [a-z0-9] is a
 * separator (so accented letters and other scripts are dropped, as there), optional stemming of
 * tokens longer than 3 characters.
 */
export function rougeTokenize(text: string, options: RougeOptions = {}): string[] {
  if (options.tokenize) return options.tokenize(text);
  const tokens = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(' ')
    .filter((t) => t.length > 0);
  const stem = options.stemmer;
  return stem ? tokens.map((t) => (t.length > 3 ? stem(t) : t)) : tokens;
}

function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * ROUGE-N on token lists: clipped n-gram overlap (sum over n-grams of the smaller count) divided by
 * the prediction's n-gram count (precision) and the target's (recall); as rouge-score's
 * _score_ngrams, a side with no n-grams counts as 1 in the denominator, giving 0.
 */
export function rougeNTokens(
  target: readonly string[],
  prediction: readonly string[],
  n: number,
): RougeScore {
  const t = ngramCounts(target, n);
  const p = ngramCounts(prediction, n);
  let overlap = 0;
  for (const [gram, c] of t) overlap += Math.min(c, p.get(gram) ?? 0);
  const targetTotal = Math.max(0, target.length - n + 1);
  const predTotal = Math.max(0, prediction.length - n + 1);
  const precision = overlap / Math.max(predTotal, 1);
  const recall = overlap / Math.max(targetTotal, 1);
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** Length of the longest common subsequence, O(n*m) time, O(m) memory. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  let prev = new Int32Array(b.length + 1);
  let curr = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      curr[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], curr[j - 1]);
    }
    [prev, curr] = [curr, prev];
  }
  return prev[b.length];
}

/** ROUGE-L (sentence level, rouge-score's "rougeL"): LCS / |prediction|, LCS / |target|. Empty side: all 0. */
export function rougeLTokens(target: readonly string[], prediction: readonly string[]): RougeScore {
  if (target.length === 0 || prediction.length === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  const lcs = lcsLength(target, prediction);
  const precision = lcs / prediction.length;
  const recall = lcs / target.length;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** ROUGE-1, ROUGE-2 and ROUGE-L of one prediction against one target (rouge-score's `score(target, prediction)`). */
export function rouge(target: string, prediction: string, options: RougeOptions = {}): RougeScores {
  const t = rougeTokenize(target, options);
  const p = rougeTokenize(prediction, options);
  return { rouge1: rougeNTokens(t, p, 1), rouge2: rougeNTokens(t, p, 2), rougeL: rougeLTokens(t, p) };
}

/**
 * Mean of per-example scores over a corpus (what rouge-score's BootstrapAggregator reports as the
 * mid value, without the bootstrap). 0 for no examples.
 */
export function meanRouge(
  targets: readonly string[],
  predictions: readonly string[],
  options: RougeOptions = {},
): RougeScores {
  checkLengths(targets, predictions);
  const sum: RougeScores = {
    rouge1: { precision: 0, recall: 0, fmeasure: 0 },
    rouge2: { precision: 0, recall: 0, fmeasure: 0 },
    rougeL: { precision: 0, recall: 0, fmeasure: 0 },
  };
  for (let i = 0; i < targets.length; i++) {
    const s = rouge(targets[i], predictions[i], options);
    for (const k of ['rouge1', 'rouge2', 'rougeL'] as const) {
      sum[k].precision += s[k].precision;
      sum[k].recall += s[k].recall;
      sum[k].fmeasure += s[k].fmeasure;
    }
  }
  const n = Math.max(targets.length, 1);
  for (const k of ['rouge1', 'rouge2', 'rougeL'] as const) {
    sum[k].precision /= n;
    sum[k].recall /= n;
    sum[k].fmeasure /= n;
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------
// Per-example scores, for bootstrap confidence intervals and paired tests over examples

/** Collapses runs of whitespace and trims, so that a decoder's spacing at the ends does not count. */
function squashSpace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Per-example exact match: 1 where the prediction equals the target after collapsing whitespace
 * and trimming, else 0. Case and punctuation count (no SQuAD-style normalization, which would
 * erase what a restoration task asks for). The mean is the exact-match accuracy.
 */
export function exactMatch(targets: readonly string[], predictions: readonly string[]): number[] {
  checkLengths(targets, predictions);
  return targets.map((t, i) => (squashSpace(t) === squashSpace(predictions[i]) ? 1 : 0));
}

/**
 * Per-example ROUGE-L F-measure, the values meanRouge averages for rougeL. Pass
 * `{ tokenize: casedTokenize }` where case and punctuation are the point.
 */
export function rougeLPerExample(
  targets: readonly string[],
  predictions: readonly string[],
  options: RougeOptions = {},
): number[] {
  checkLengths(targets, predictions);
  return targets.map(
    (t, i) => rougeLTokens(rougeTokenize(t, options), rougeTokenize(predictions[i], options)).fmeasure,
  );
}
