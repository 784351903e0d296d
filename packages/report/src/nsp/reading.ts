/**
 * The NSP report's "Honest reading" (one bullet per claim group, its verdicts, what worked and
 * what did not) and its cell-by-cell verdict lines, from the judged claims (nsp/claims.ts).
 */
import type { AblationSummary } from '@pretrain-lab/experiment/schema';
import {
  type ClaimResult,
  type ClaimVerdict,
  fmtClaimTest,
  fmtClaimVerdict,
  judgeClaims,
  VERDICT_RULE,
} from '../ablation/claims.js';
import { cellRows, gridCells, lossStat } from '../ablation/summary.js';
import { D2L_NSP_LOSS } from './anchors.js';
import { type NspClaimGroup, nspClaimGroups } from './claims.js';
import { scaleText } from './setup.js';

export interface JudgedGroup {
  group: NspClaimGroup;
  results: ClaimResult[];
}

export const judgeNsp = (s: AblationSummary): JudgedGroup[] =>
  nspClaimGroups(s).map((group) => ({ group, results: judgeClaims(s, group.claims) }));

/** A claim's test in the words of its group: the variant alone for pretraining claims. */
function testWords(r: ClaimResult, groupId: string): string {
  const c = r.claim;
  if (groupId === 'pretraining') return c.a;
  const base = fmtClaimTest(c);
  if (groupId === 'no-nsp')
    return `${base} (${c.direction === 'equal' ? 'matching' : "the paper's slight improvement"})`;
  return base;
}

/** True when the two rows of a claim gave the same per-example scores in every cell. */
function identicalRows(s: AblationSummary, a: string, b: string): boolean {
  const cells = gridCells(s);
  return (
    cells.length > 0 &&
    cells.every((c) => {
      const ra = cellRows(s, a, c);
      const rb = cellRows(s, b, c);
      return (
        ra.length > 0 &&
        JSON.stringify(ra.map((r) => r.perExample)) === JSON.stringify(rb.map((r) => r.perExample))
      );
    })
  );
}

/** Why static and dynamic masking may not differ in this run: too few passes over the data. */
function maskingNote(s: AblationSummary, r: ClaimResult): string {
  if (r.verdict === 'not run') return '';
  const staticRecs = s.pretrain.filter((p) => p.variant === r.claim.b);
  const epochs = staticRecs.length
    ? staticRecs.reduce((a, p) => a + p.epochs, 0) / staticRecs.length
    : Number.NaN;
  const notes: string[] = [];
  if (identicalRows(s, r.claim.a, r.claim.b))
    notes.push(
      'The two rows gave identical per-example scores in every cell, so this comparison is empty, not a result.',
    );
  if (Number.isFinite(epochs) && epochs <= 1)
    notes.push(
      `The static row pretrained on ${epochs.toFixed(2)} passes over its data; static masking repeats a mask only from the second pass on (dynamic and static masking draw the same mask the first time a sequence is seen), so the two rows could not differ by masking. Testing this needs several epochs.`,
    );
  return notes.join(' ');
}

/** The pair tasks' own losses against chance, ln 2 nats per pair. */
export function pairLossText(s: AblationSummary): string {
  const parts: string[] = [];
  for (const v of s.variants.filter((x) => x.pretrained)) {
    const l = lossStat(s, v.name, 'pair');
    if (!l) continue;
    const task = String(v.fields.pair ?? 'pair').toUpperCase();
    const value =
      l.n > 1
        ? `${l.mean.toFixed(3)} ± ${l.std.toFixed(3)} nats (${l.n} seeds)`
        : `${l.mean.toFixed(3)} nats (one seed)`;
    // "Learned something": more than 0.01 nats and two standard deviations under chance.
    const gap = Math.LN2 - l.mean;
    const learned = gap > Math.max(0.01, 2 * l.std);
    const reading = learned
      ? `${gap.toFixed(3)} nats below chance: the head learned something`
      : gap <= 0
        ? `${(-gap).toFixed(3)} nats above chance: the head learned nothing`
        : `only ${gap.toFixed(3)} nats below chance: the head learned little`;
    parts.push(`${v.name} (${task}) ends at ${value}: ${reading}`);
  }
  if (parts.length === 0) return '';
  return `**The pair tasks themselves** (final validation loss vs chance, ln 2 = ${Math.LN2.toFixed(3)} nats per pair, where "learned something" means more than 0.01 nats and two seed standard deviations below it; D2L's small BERT reports NSP loss ${D2L_NSP_LOSS.lo} to ${D2L_NSP_LOSS.hi} after 50 steps): ${parts.join('; ')}. A pair loss at chance adds gradient noise without signal, one small-scale reason removing NSP can help.`;
}

/**
 * The same cell verdicts of the pretraining claim, pooled over variants by task and method:
 * where pretraining shows and where it does not (a view of the cells, not a second test).
 */
function byTaskText(results: readonly ClaimResult[]): string {
  const groups = new Map<string, Record<string, number>>();
  for (const r of results)
    for (const c of r.cells) {
      const key = `${c.task}, ${c.method === 'probe' ? 'probe' : 'fine-tune'}`;
      const g = groups.get(key) ?? { supported: 0, 'not supported': 0, 'within noise': 0 };
      g[c.verdict]++;
      groups.set(key, g);
    }
  if (groups.size === 0) return '';
  const parts = [...groups.entries()].map(([key, g]) => {
    const n = g.supported + g['not supported'] + g['within noise'];
    return `${key}: ${g.supported} of ${n} cells supported${g['not supported'] ? `, ${g['not supported']} not supported` : ''}`;
  });
  return `By task and method, all variants and training-set sizes pooled: ${parts.join('; ')}.`;
}

/** The bullets of "## Honest reading", with the rule first and what worked last. */
export function nspHonestReading(
  s: AblationSummary,
  judged: JudgedGroup[],
  cfg: Record<string, any>,
): string[] {
  const L: string[] = [`Rule: ${VERDICT_RULE}`, ''];
  for (const { group, results } of judged) {
    const anchor = results[0]?.claim.anchor ?? '';
    const text = results[0]?.claim.text ?? '';
    const lines = results.map((r) => `${testWords(r, group.id)}: ${fmtClaimVerdict(r)}`);
    let bullet = `- **${group.title}** (claim: ${text}; ${anchor}). `;
    if (group.id === 'pretraining')
      bullet += `Per variant, cells where it beats ${results[0]?.claim.b ?? 'no pretraining'}: `;
    bullet += `${lines.join('; ')}.`;
    if (group.id === 'pretraining') bullet += ` ${byTaskText(results)}`;
    if (group.id === 'masking' && results[0]) {
      const note = maskingNote(s, results[0]);
      if (note) bullet += ` ${note}`;
    }
    L.push(bullet);
  }
  const pair = pairLossText(s);
  if (pair) L.push(`- ${pair}`);
  L.push('');
  // What worked and what did not, group by group: "title (test; test)".
  const summaryOf = (v: ClaimVerdict) => {
    const parts = judged
      .map(({ group, results }) => ({ group, hits: results.filter((r) => r.verdict === v) }))
      .filter((g) => g.hits.length > 0)
      .map(({ group, hits }) => `${group.title} (${hits.map((r) => testWords(r, group.id)).join('; ')})`);
    return parts.length ? parts.join('; ') : 'none';
  };
  L.push(`- What worked (supported): ${summaryOf('supported')}.`);
  L.push(
    `- What did not (not supported: the interval lies against the claim): ${summaryOf('not supported')}.`,
  );
  L.push(`- Within noise (this run cannot tell): ${summaryOf('within noise')}.`);
  L.push(`- Not run (a row it needs is absent): ${summaryOf('not run')}.`, '');
  const caveats = [
    `At this scale a "within noise" is not a refutation: the encoder is ${scaleText(cfg)} and sees a tiny fraction of its data, the paper's gaps between formats are 0 to 2.5 points, and our tasks are small classification tasks, not SQuAD, MNLI or RACE, which depend on reasoning across sentences.`,
  ];
  if (s.seeds.length === 1)
    caveats.push(
      'This run has one seed, so every interval carries test-set noise only: a verdict here says what this seed did, not what the variant does.',
    );
  L.push(caveats.join(' '), '');
  return L;
}
