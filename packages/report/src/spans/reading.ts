/**
 * The spans report's "Honest reading": the rule, one bullet per claim group with every claim's
 * verdict per task kind and the test behind each cell (difference, interval, p, seeds), what
 * worked and what did not, a plain note for any task that scored 0 everywhere, the target
 * lengths the settings produce, and the caveats of scale.
 */
import type { AblationSummary, TaskInfo } from '@pretrain-lab/experiment/schema';
import {
  type ClaimResult,
  type ClaimVerdict,
  fmtCellVerdict,
  fmtClaimVerdict,
  fmtDirection,
  fmtTest,
  judgeClaims,
  VERDICT_RULE,
} from '../ablation/claims.js';
import { cellLabel } from '../ablation/summary.js';
import { listText } from '../compare.js';
import { fmtInt } from '../format.js';
import { type SpansClaim, type SpansClaimGroup, spansClaimGroups, sweepRows } from './claims.js';
import { metricLabel, scaleText } from './setup.js';

export interface JudgedClaim {
  claim: SpansClaim;
  perKind: { kind: TaskInfo['kind']; result: ClaimResult }[];
}

export interface JudgedGroup {
  group: SpansClaimGroup;
  claims: JudgedClaim[];
}

export function judgeSpans(s: AblationSummary): JudgedGroup[] {
  return spansClaimGroups(s).map((group) => ({
    group,
    claims: group.claims.map((claim) => {
      const results = judgeClaims(
        s,
        claim.perKind.map((k) => k.claim),
      );
      return { claim, perKind: claim.perKind.map((k, i) => ({ kind: k.kind, result: results[i] })) };
    }),
  }));
}

/** A setting's name in code quotes: names hold commas ("span 3, 15%"). */
const q = (name: string) => `\`${name}\``;

/** "`span 3, 15%` vs `span 3, 50%` (greater)". */
export const claimWords = (c: SpansClaim): string => `${q(c.a)} vs ${q(c.b)} (${fmtDirection(c)})`;

/** The cells' tests; a lone cell without its verdict repeated, since the line ends with it. */
function cellsText(s: AblationSummary, r: ClaimResult): string {
  if (r.cells.length === 1 && r.untested.length === 0) {
    const c = r.cells[0];
    const some = c.seeds.length < s.seeds.length ? ` (seeds ${c.seeds.join(', ')})` : '';
    return `${cellLabel(c)}: ${fmtTest(c.test)}${some}`;
  }
  return [
    ...r.cells.map((c) => fmtCellVerdict(c, s.seeds)),
    ...r.untested.map((u) => `${cellLabel(u.cell)}: not tested (${u.reason})`),
  ].join('; ');
}

/** A claim's sub-bullets: one line when a row it needs is absent, else one line per task kind. */
function claimLines(s: AblationSummary, j: JudgedClaim): string[] {
  // A row's absence is found before any cell is looked at, so it is the same for every kind.
  const first = j.perKind[0]?.result;
  if (first && first.verdict === 'not run' && / not in this run$/.test(first.notRun))
    return [`  - ${claimWords(j.claim)}: ${fmtClaimVerdict(first)}.`];
  const L = [`  - ${claimWords(j.claim)}:`];
  for (const { kind, result: r } of j.perKind) {
    const tested = r.cells.length > 0;
    L.push(`    - ${kind}: ${tested ? `${cellsText(s, r)}: ` : ''}${fmtClaimVerdict(r)}.`);
  }
  return L;
}

/** The tasks on which every evaluation of every row scored 0, with a plain account of each. */
export function zeroTaskNotes(s: AblationSummary): string[] {
  const out: string[] = [];
  for (const t of s.tasks) {
    const rows = s.results.filter((r) => r.task === t.name);
    if (rows.length === 0 || !rows.every((r) => r.score === 0)) continue;
    const others = [...new Set(rows.flatMap((r) => Object.keys(r.scores)))].filter((k) => k !== t.metric);
    const second = others.map((k) => {
      const xs = rows.map((r) => r.scores[k]).filter((x) => Number.isFinite(x));
      const base = rows.filter((r) => r.variant === s.baseline).map((r) => r.scores[k]);
      const mean = (v: number[]) => (100 * v.reduce((a, x) => a + x, 0)) / v.length;
      const range = `${(100 * Math.min(...xs)).toFixed(1)} to ${(100 * Math.max(...xs)).toFixed(1)}%`;
      const cased = k === 'rougeL' && t.metric === 'exactMatch' ? ' (over cased tokens)' : '';
      return `${metricLabel(k)}${cased} ranges from ${range}${base.length ? ` (${s.baseline}: ${mean(base).toFixed(1)}%)` : ''}`;
    });
    const ex =
      rows.find((r) => r.variant !== s.baseline && r.examples?.length) ??
      rows.find((r) => r.examples?.length);
    const e = ex?.examples?.[0];
    const quote = (x: string) => `\`${x.replace(/[`\n\r]/g, ' ').slice(0, 80)}${x.length > 80 ? ' …' : ''}\``;
    out.push(
      `**\`${t.name}\` scored 0 ${metricLabel(t.metric)} for every row and seed** (${rows.length} evaluations): no model, pretrained or not, produced a single test target exactly, so this run says nothing about span corruption on this task; its cells are left untested above, not counted as "within noise".${second.length ? ` Its ${listText(second)}; that score is reported, not judged.` : ''}${e && ex ? ` A prediction of ${ex.variant}, seed ${ex.seed}: ${quote(e.prediction)} for the target ${quote(e.target)}.` : ''} Exact match needs every token of the target right; a model this small, fine-tuned this briefly, may not get there at all.`,
    );
  }
  return out;
}

/** Mean target length and throughput per setting of both sweeps, as the noise-mask arithmetic sets them. */
export function targetLengthNote(s: AblationSummary): string {
  const mean = (v: string, pick: (p: AblationSummary['pretrain'][number]) => unknown) => {
    const xs = s.pretrain
      .filter((p) => p.variant === v)
      .map(pick)
      .filter((x): x is number => typeof x === 'number');
    return xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : null;
  };
  // "by mean span (i.i.d., 2, 3): 19.0, 16.0 and 14.0 target tokens at 8,243, 8,929 and 9,617 tokens/s".
  const sweep = (which: 'span' | 'rate', what: string) => {
    const rows = sweepRows(s)
      .filter((r) => r.sweep === which)
      .map((r) => ({
        r,
        len: mean(r.variant, (p) => p.extra.targetLength),
        tps: mean(r.variant, (p) => p.tokensPerSec),
      }))
      .filter((x): x is { r: (typeof x)['r']; len: number; tps: number | null } => x.len !== null);
    if (rows.length < 2) return '';
    const tps = rows.every((x) => x.tps !== null)
      ? ` at ${listText(rows.map((x) => fmtInt(x.tps as number)))} input tokens/s`
      : '';
    return `${what} (${rows.map((x) => x.r.label).join(', ')}): ${listText(rows.map((x) => x.len.toFixed(1)))} target tokens${tps}`;
  };
  const parts = [sweep('span', 'by mean span'), sweep('rate', 'by corruption rate')].filter(Boolean);
  if (!parts.length) return '';
  return `**Target lengths** (T5: longer spans make targets shorter and training faster; reported, not tested, since they follow from the noise-mask arithmetic): mean target tokens per example ${parts.join('; ')}. Throughput on a shared machine also moves with its load.`;
}

/**
 * The claims with verdict `v`, group by group and claim by claim, with the task kinds where it
 * came out so: "**Title**: `A` vs `B` (greater) on generation and classification; ...". In the
 * pretraining group a claim is its setting alone.
 */
export function verdictSummary(judged: JudgedGroup[], v: ClaimVerdict): string {
  const parts = judged.flatMap(({ group, claims }) => {
    const byKinds = new Map<string, string[]>();
    for (const j of claims) {
      const kinds = j.perKind.filter((k) => k.result.verdict === v).map((k) => k.kind);
      if (kinds.length === 0) continue;
      const key = listText(kinds);
      const words = group.id === 'pretraining' ? q(j.claim.a) : claimWords(j.claim);
      byKinds.set(key, [...(byKinds.get(key) ?? []), words]);
    }
    if (byKinds.size === 0) return [];
    const what = [...byKinds].map(([kinds, ws]) => `${listText(ws)} on ${kinds}`);
    return [`**${group.title}**: ${what.join('; ')}`];
  });
  return parts.length ? parts.join('. ') : 'none';
}

/** The bullets of "## Honest reading", with the rule first and what worked last. */
export function spansHonestReading(
  s: AblationSummary,
  judged: JudgedGroup[],
  cfg: Record<string, any>,
): string[] {
  const L: string[] = [`Rule: ${VERDICT_RULE}`, ''];
  for (const { group, claims } of judged) {
    L.push(`- **${group.title}** (claim: ${group.text}; ${group.anchor}).`);
    for (const j of claims) L.push(...claimLines(s, j));
  }
  for (const note of zeroTaskNotes(s)) L.push(`- ${note}`);
  const lengths = targetLengthNote(s);
  if (lengths) L.push(`- ${lengths}`);
  L.push('');
  L.push(`- What worked (supported): ${verdictSummary(judged, 'supported')}.`);
  L.push(
    `- What did not (not supported: the interval lies against the claim): ${verdictSummary(judged, 'not supported')}.`,
  );
  L.push(`- Within noise (this run cannot tell): ${verdictSummary(judged, 'within noise')}.`);
  L.push(
    `- Not run (a row it needs is absent, or no cell could be tested): ${verdictSummary(judged, 'not run')}.`,
    '',
  );
  const caveats = [
    `At this scale a "within noise" is not a refutation: the model is ${scaleText(cfg)} and sees a tiny fraction of T5's 34B tokens, T5's own gaps between span lengths are a few tenths of a GLUE point, and our tasks are small, not GLUE, SQuAD or CNN/DailyMail.`,
  ];
  if (s.seeds.length === 1)
    caveats.push(
      'This run has one seed, so every interval carries test-set noise only: a verdict here says what this seed did, not what the setting does.',
    );
  L.push(caveats.join(' '), '');
  return L;
}
