/**
 * Unigram language-model tokenizer (SentencePiece / T5): words are split on whitespace and marked
 * with '▁' at their start, and each word is segmented by Viterbi over piece log-probabilities.
 *
 * Training follows SentencePiece's unigram trainer: seed pieces = all kept characters plus the
 * most frequent substrings of words (score count x length); then rounds of EM (forward-backward
 * expected counts, Bayesian M-step with digamma, pieces with expected count < 0.5 dropped), each
 * followed by pruning to `shrinkingFactor` of the pieces by the approximate loss of likelihood from
 * removing each piece, until 1.1 x the target size; the final vocabulary keeps every character
 * and the highest-scoring pieces.
 *
 * Vocabulary (T5): `<pad>`=0, `</s>`=1, `<unk>`=2, pieces by descending score, then sentinels
 * `<extra_id_99>` ... `<extra_id_0>`, so that `<extra_id_k>` = vocabSize - 1 - k.
 * Encoding reproduces HF's `Unigram::encode_optimized` (ties, unknown characters, fused unk),
 * so the `tokenizers` library gives the same ids (unigram.test.ts).
 */
import { type HFAddedToken, hfAddedTokens, TokenizerFormatError } from './hf.js';
import { METASPACE, metaspacePreTokenize } from './normalize.js';
import { IdBuffer, specialTokenPattern, splitOnSpecialTokens } from './special.js';
import type { Tokenizer } from './types.js';
import type { EncodingWithSpecials } from './wordpiece.js';

export const T5_SPECIAL_TOKENS = ['<pad>', '</s>', '<unk>'] as const;
/** HF's and SentencePiece's penalty for an unknown character: min score - 10. */
const UNK_PENALTY = 10;

export interface UnigramTrainOptions {
  /** Total vocabulary: the 3 specials, the pieces and the sentinels. */
  vocabSize: number;
  /** Number of `<extra_id_k>` sentinels at the end of the vocabulary. Default 100. */
  extraIds?: number;
  /** Apply Unicode NFKC before tokenizing (T5/SentencePiece normalize with NFKC). Default true. */
  nfkc?: boolean;
  /** Seed pieces before EM. Default max(20 x vocabSize, 50 000). */
  seedSize?: number;
  /** Each pruning round keeps this share of the pieces. Default 0.75. */
  shrinkingFactor?: number;
  /** EM iterations per round. Default 2. */
  subIterations?: number;
  /** Longest piece, in characters. Default 16. */
  maxPieceLength?: number;
  /** Share of character occurrences the alphabet must cover; rarer characters become `<unk>`. Default 0.9995. */
  characterCoverage?: number;
}

/** SentencePiece's digamma. */
function digamma(x: number): number {
  let result = 0;
  for (; x < 7; ++x) result -= 1 / x;
  x -= 1 / 2;
  const xx = 1 / x;
  const xx2 = xx * xx;
  const xx4 = xx2 * xx2;
  result +=
    Math.log(x) + (1 / 24) * xx2 - (7 / 960) * xx4 + (31 / 8064) * xx4 * xx2 - (127 / 30720) * xx4 * xx4;
  return result;
}

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** A trie over UTF-16 code units; `visit` gets (end, pieceId) for every piece starting at `start`, shortest first. */
class PieceTrie {
  private readonly children = new Map<number, number>();
  private nodePiece: number[] = [-1];

  add(piece: string, id: number): void {
    let node = 0;
    for (let i = 0; i < piece.length; i++) {
      const key = node * 65536 + piece.charCodeAt(i);
      let next = this.children.get(key);
      if (next === undefined) {
        next = this.nodePiece.length;
        this.nodePiece.push(-1);
        this.children.set(key, next);
      }
      node = next;
    }
    this.nodePiece[node] = id;
  }

  prefixes(text: string, start: number, visit: (end: number, id: number) => void): void {
    let node = 0;
    for (let i = start; i < text.length; i++) {
      const next = this.children.get(node * 65536 + text.charCodeAt(i));
      if (next === undefined) return;
      node = next;
      const id = this.nodePiece[node];
      if (id >= 0) visit(i + 1, id);
    }
  }
}

interface HFUnigramJSON {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: HFAddedToken[];
  normalizer: Record<string, unknown> | null;
  pre_tokenizer: Record<string, unknown>;
  post_processor: Record<string, unknown>;
  decoder: Record<string, unknown>;
  model: { type: 'Unigram'; unk_id: number; vocab: [string, number][]; byte_fallback: false };
}

const METASPACE_JSON = { type: 'Metaspace', replacement: METASPACE, prepend_scheme: 'always', split: true };
const CACHE_LIMIT = 200_000;

export class UnigramTokenizer implements Tokenizer {
  readonly kind = 'unigram';
  readonly vocabSize: number;
  readonly specialTokens: Readonly<Record<string, number>>;
  readonly nfkc: boolean;
  readonly unkId: number;
  readonly eosId: number;
  private readonly pieces: readonly string[];
  private readonly scores: Float64Array;
  private readonly ids: Map<string, number>;
  private readonly trie = new PieceTrie();
  private readonly unkScore: number;
  private readonly specialPattern: RegExp | null;
  private readonly cache = new Map<string, Int32Array>();

  /**
   * @param vocab [piece, log-probability] by id; special tokens are in it too (score 0).
   * @param specialTokens content -> id of the tokens matched whole in the raw input.
   */
  constructor(
    vocab: readonly (readonly [string, number])[],
    specialTokens: Readonly<Record<string, number>>,
    options: { unkId?: number; nfkc?: boolean; eosToken?: string } = {},
  ) {
    this.vocabSize = vocab.length;
    this.pieces = vocab.map(([piece]) => piece);
    this.scores = Float64Array.from(vocab, ([, score]) => score);
    this.ids = new Map();
    let minScore = Infinity;
    vocab.forEach(([piece, score], id) => {
      if (this.ids.has(piece))
        throw new Error(`UnigramTokenizer: piece ${JSON.stringify(piece)} appears twice in the vocab`);
      if (piece.length === 0) throw new Error(`UnigramTokenizer: piece ${id} is empty`);
      this.ids.set(piece, id);
      this.trie.add(piece, id);
      if (score < minScore) minScore = score;
    });
    this.unkScore = minScore - UNK_PENALTY;
    for (const [token, id] of Object.entries(specialTokens)) {
      if (this.pieces[id] !== token)
        throw new Error(`UnigramTokenizer: special token ${JSON.stringify(token)} is not at id ${id}`);
    }
    this.specialTokens = Object.freeze({ ...specialTokens });
    this.unkId = options.unkId ?? 2;
    if (this.pieces[this.unkId] === undefined)
      throw new Error(`UnigramTokenizer: unk id ${this.unkId} is not in the vocab`);
    const eos = this.ids.get(options.eosToken ?? '</s>');
    if (eos === undefined) throw new Error('UnigramTokenizer: the vocab has no </s>');
    this.eosId = eos;
    this.nfkc = options.nfkc ?? true;
    this.specialPattern = specialTokenPattern(Object.keys(specialTokens));
  }

  /** Trains on `texts` (special tokens in them are skipped); see UnigramTrainOptions. */
  static train(texts: readonly string[], options: UnigramTrainOptions): UnigramTokenizer {
    const extraIds = options.extraIds ?? 100;
    const nfkc = options.nfkc ?? true;
    const maxPieceLength = options.maxPieceLength ?? 16;
    const shrinkingFactor = options.shrinkingFactor ?? 0.75;
    const subIterations = options.subIterations ?? 2;
    const coverage = options.characterCoverage ?? 0.9995;
    const { vocabSize } = options;
    const sentinels = Array.from({ length: extraIds }, (_, k) => `<extra_id_${extraIds - 1 - k}>`);
    const specials = [...T5_SPECIAL_TOKENS, ...sentinels];
    const pieceBudget = vocabSize - specials.length;
    if (!Number.isInteger(vocabSize) || pieceBudget < 2)
      throw new Error(`UnigramTokenizer.train: vocabSize must be an integer >= ${specials.length + 2}`);

    // 1. Distinct pre-tokenized words ('▁word') and their counts.
    const pattern = specialTokenPattern(specials);
    const wordCounts = new Map<string, number>();
    const countWord = (word: string): void => {
      wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
    };
    for (const text of texts) {
      for (const segment of splitOnSpecialTokens(text, pattern)) {
        if (!segment.special)
          metaspacePreTokenize(nfkc ? segment.text.normalize('NFKC') : segment.text, countWord);
      }
    }
    const words = [...wordCounts.keys()];
    const wordCount = Float64Array.from(wordCounts.values());

    // 2. Characters, most frequent first, up to the coverage.
    const charCounts = new Map<string, number>();
    words.forEach((word, w) => {
      for (const ch of word) charCounts.set(ch, (charCounts.get(ch) ?? 0) + wordCount[w]);
    });
    const byCount = (counts: Map<string, number>) => (a: string, b: string) =>
      counts.get(b)! - counts.get(a)! || (a < b ? -1 : a > b ? 1 : 0);
    const charsByCount = [...charCounts.keys()].sort(byCount(charCounts));
    let totalChars = 0;
    for (const c of charCounts.values()) totalChars += c;
    const required = new Set<string>();
    let covered = 0;
    for (const ch of charsByCount) {
      if (required.size > 0 && covered / totalChars >= coverage) break;
      required.add(ch);
      covered += charCounts.get(ch)!;
    }
    if (required.size > pieceBudget)
      throw new Error(
        `UnigramTokenizer.train: ${required.size} characters do not fit in ${pieceBudget} pieces; ` +
          'raise vocabSize or lower characterCoverage',
      );

    // 3. Seeds: every kept character, then substrings seen at least twice by count x length.
    const subCounts = new Map<string, number>();
    words.forEach((word, w) => {
      const c = wordCount[w];
      const offsets: number[] = [];
      for (let i = 0; i < word.length; i += word.codePointAt(i)! > 0xffff ? 2 : 1) offsets.push(i);
      offsets.push(word.length);
      const n = offsets.length - 1;
      for (let i = 0; i < n; i++) {
        for (let len = 2; len <= maxPieceLength && i + len <= n; len++) {
          const last = word.slice(offsets[i + len - 1], offsets[i + len]);
          if (!required.has(last)) break;
          if (len === 2 && !required.has(word.slice(offsets[i], offsets[i + 1]))) break;
          const sub = word.slice(offsets[i], offsets[i + len]);
          subCounts.set(sub, (subCounts.get(sub) ?? 0) + c);
        }
      }
    });
    const seedSize = options.seedSize ?? Math.max(20 * vocabSize, 50_000);
    const substrings: [string, number][] = [];
    for (const [sub, c] of subCounts) if (c >= 2) substrings.push([sub, c * [...sub].length]);
    subCounts.clear();
    substrings.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const seeds: [string, number][] = [...required].map((ch) => [ch, charCounts.get(ch)!]);
    for (const s of substrings) {
      if (seeds.length >= seedSize) break;
      seeds.push(s);
    }
    const nPieces = seeds.length;
    const pieceStr = seeds.map(([s]) => s);
    const score = new Float64Array(nPieces);
    let seedSum = 0;
    for (const [, s] of seeds) seedSum += s;
    seeds.forEach(([, s], i) => {
      score[i] = Math.log(s) - Math.log(seedSum);
    });
    const alive = new Uint8Array(nPieces).fill(1);
    const isChar = new Uint8Array(nPieces);
    for (let i = 0; i < required.size; i++) isChar[i] = 1;
    const trie = new PieceTrie();
    for (let i = 0; i < nPieces; i++) trie.add(pieceStr[i], i);

    // 4. Lattices, built once: edges (start, end, piece) of every word and every piece, by start.
    //    piece -1 is an unknown character; a character whose piece died also scores as unknown.
    const buildLattices = (strings: readonly string[]) => {
      const offset = new Int32Array(strings.length + 1);
      const start: number[] = [];
      const end: number[] = [];
      const piece: number[] = [];
      strings.forEach((s, k) => {
        for (let i = 0; i < s.length; ) {
          const width = s.codePointAt(i)! > 0xffff ? 2 : 1;
          let single = false;
          trie.prefixes(s, i, (e, id) => {
            start.push(i);
            end.push(e);
            piece.push(id);
            if (e - i === width) single = true;
          });
          if (!single) {
            start.push(i);
            end.push(i + width);
            piece.push(-1);
          }
          i += width;
        }
        offset[k + 1] = start.length;
      });
      return {
        offset,
        start: Int32Array.from(start),
        end: Int32Array.from(end),
        piece: Int32Array.from(piece),
      };
    };
    const wl = buildLattices(words);
    const pl = buildLattices(pieceStr);
    const wordLen = Int32Array.from(words, (w) => w.length);

    let unkScore = 0;
    const refreshUnk = (): void => {
      let min = Infinity;
      for (let i = 0; i < nPieces; i++) if (alive[i] && score[i] < min) min = score[i];
      unkScore = min - UNK_PENALTY;
    };
    /** Score of edge e, or NaN if it is not in the current lattice. */
    const edgeScore = (p: number): number => {
      if (p >= 0 && alive[p]) return score[p];
      if (p < 0 || isChar[p]) return unkScore;
      return Number.NaN;
    };

    const alpha = new Float64Array(1024);
    const beta = new Float64Array(1024);
    const eStep = (): Float64Array => {
      refreshUnk();
      const expected = new Float64Array(nPieces);
      const { offset, start, end, piece } = wl;
      for (let w = 0; w < words.length; w++) {
        const n = wordLen[w];
        if (n + 1 > alpha.length) continue; // longer than any sane word; skip
        alpha.fill(-Infinity, 0, n + 1);
        beta.fill(-Infinity, 0, n + 1);
        alpha[0] = 0;
        beta[n] = 0;
        const from = offset[w];
        const to = offset[w + 1];
        for (let e = from; e < to; e++) {
          const s = edgeScore(piece[e]);
          if (Number.isNaN(s)) continue;
          alpha[end[e]] = logAddExp(alpha[end[e]], alpha[start[e]] + s);
        }
        for (let e = to - 1; e >= from; e--) {
          const s = edgeScore(piece[e]);
          if (Number.isNaN(s)) continue;
          beta[start[e]] = logAddExp(beta[start[e]], s + beta[end[e]]);
        }
        const z = alpha[n];
        const c = wordCount[w];
        for (let e = from; e < to; e++) {
          const p = piece[e];
          if (p < 0 || !alive[p]) continue;
          expected[p] += c * Math.exp(alpha[start[e]] + score[p] + beta[end[e]] - z);
        }
      }
      return expected;
    };

    const mStep = (expected: Float64Array): void => {
      let sum = 0;
      for (let i = 0; i < nPieces; i++) {
        if (!alive[i]) continue;
        if (expected[i] < 0.5) alive[i] = 0;
        else sum += expected[i];
      }
      const logSum = digamma(sum);
      for (let i = 0; i < nPieces; i++) if (alive[i]) score[i] = digamma(expected[i]) - logSum;
    };

    // Viterbi over edges [from, to) of a string of length n; returns the piece ids of the best path
    // (-1 for unknown characters), or null. `skip` excludes one edge.
    const bestScore = new Float64Array(1024);
    const bestEdge = new Int32Array(1024);
    const viterbi = (
      lat: { start: Int32Array; end: Int32Array; piece: Int32Array },
      from: number,
      to: number,
      n: number,
      skip: number,
    ): number[] | null => {
      if (n + 1 > bestScore.length) return null;
      bestScore.fill(-Infinity, 0, n + 1);
      bestEdge.fill(-1, 0, n + 1);
      bestScore[0] = 0;
      for (let e = from; e < to; e++) {
        if (e === skip) continue;
        const s = edgeScore(lat.piece[e]);
        if (Number.isNaN(s) || bestScore[lat.start[e]] === -Infinity) continue;
        const cand = bestScore[lat.start[e]] + s;
        if (cand > bestScore[lat.end[e]]) {
          bestScore[lat.end[e]] = cand;
          bestEdge[lat.end[e]] = e;
        }
      }
      if (bestEdge[n] < 0) return null;
      const path: number[] = [];
      for (let pos = n; pos > 0; ) {
        const e = bestEdge[pos];
        path.push(lat.piece[e] >= 0 && alive[lat.piece[e]] ? lat.piece[e] : -1);
        pos = lat.start[e];
      }
      return path.reverse();
    };

    const prune = (desired: number): void => {
      refreshUnk();
      const alwaysKeep = new Uint8Array(nPieces);
      const alternatives: (number[] | null)[] = new Array(nPieces).fill(null);
      for (let i = 0; i < nPieces; i++) {
        if (!alive[i]) continue;
        const n = pieceStr[i].length;
        const best = viterbi(pl, pl.offset[i], pl.offset[i + 1], n, -1);
        if (best === null) continue;
        if (best.length >= 2) continue; // its own best segmentation is split: never used
        alwaysKeep[i] = 1;
        // The whole-piece edge is the last edge starting at 0 that ends at n.
        let self = -1;
        for (let e = pl.offset[i]; e < pl.offset[i + 1]; e++) if (pl.piece[e] === i) self = e;
        const second = viterbi(pl, pl.offset[i], pl.offset[i + 1], n, self);
        if (second !== null && !second.includes(-1)) alternatives[i] = second;
      }
      const freq = new Float64Array(nPieces);
      const inSentences = new Float64Array(nPieces);
      let vsum = 0;
      for (let w = 0; w < words.length; w++) {
        const path = viterbi(wl, wl.offset[w], wl.offset[w + 1], wordLen[w], -1);
        if (path === null) continue;
        const c = wordCount[w];
        vsum += c;
        for (const p of path) {
          if (p < 0) continue;
          freq[p] += c;
          inSentences[p] += c;
        }
      }
      let sum = 0;
      for (let i = 0; i < nPieces; i++) sum += freq[i];
      const logSum = Math.log(sum);
      const keep: number[] = [];
      const candidates: [number, number][] = [];
      for (let i = 0; i < nPieces; i++) {
        if (!alive[i] || freq[i] === 0 || !alwaysKeep[i]) continue;
        const alt = alternatives[i];
        if (alt === null) {
          keep.push(i);
          continue;
        }
        const f = inSentences[i] / vsum;
        const logProbSp = Math.log(freq[i]) - logSum;
        const logSumAlt = Math.log(sum + freq[i] * (alt.length - 1));
        let logProbAlt = 0;
        for (const n of alt) logProbAlt += Math.log(freq[n] + freq[i]) - logSumAlt;
        candidates.push([i, f * (logProbSp - logProbAlt)]);
      }
      let aliveCount = 0;
      for (let i = 0; i < nPieces; i++) aliveCount += alive[i];
      const prunedSize = Math.max(desired, Math.floor(shrinkingFactor * aliveCount));
      candidates.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
      for (const [i] of candidates) {
        if (keep.length >= prunedSize) break;
        keep.push(i);
      }
      alive.fill(0);
      for (const i of keep) alive[i] = 1;
    };

    // 5. EM rounds with pruning, down to 1.1 x the piece budget.
    const desired = Math.floor(pieceBudget * 1.1);
    for (let round = 0; ; round++) {
      for (let it = 0; it < subIterations; it++) mStep(eStep());
      let aliveCount = 0;
      for (let i = 0; i < nPieces; i++) aliveCount += alive[i];
      if (aliveCount <= desired || round > 100) break;
      prune(desired);
    }

    // 6. Finalize: every kept character (missing ones just below the lowest score), then the best pieces.
    let minScore = Infinity;
    for (let i = 0; i < nPieces; i++) if (alive[i] && score[i] < minScore) minScore = score[i];
    if (minScore === Infinity) minScore = 0;
    const final: [string, number][] = [];
    let penalty = 0;
    for (const ch of charsByCount) {
      if (!required.has(ch)) continue;
      const i = pieceStr.indexOf(ch);
      if (alive[i]) {
        final.push([ch, score[i]]);
      } else {
        penalty += 1e-4;
        final.push([ch, minScore - penalty]);
      }
    }
    const rest: number[] = [];
    for (let i = 0; i < nPieces; i++) if (alive[i] && !isChar[i]) rest.push(i);
    rest.sort((a, b) => score[b] - score[a] || (pieceStr[a] < pieceStr[b] ? -1 : 1));
    for (const i of rest) {
      if (final.length >= pieceBudget) break;
      final.push([pieceStr[i], score[i]]);
    }
    final.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const vocab: [string, number][] = [
      ...T5_SPECIAL_TOKENS.map((t): [string, number] => [t, 0]),
      ...final,
      ...sentinels.map((t): [string, number] => [t, 0]),
    ];
    const specialIds: Record<string, number> = {};
    vocab.forEach(([piece], id) => {
      if (specials.includes(piece)) specialIds[piece] = id;
    });
    return new UnigramTokenizer(vocab, specialIds, { unkId: 2, nfkc });
  }

  /** Reads a tokenizer.json with a Unigram model written by toHuggingFaceJSON(). */
  static fromHuggingFaceJSON(json: unknown): UnigramTokenizer {
    if (typeof json !== 'object' || json === null) throw new TokenizerFormatError('expected a JSON object');
    const j = json as Partial<HFUnigramJSON>;
    const model = j.model;
    if (model?.type !== 'Unigram') throw new TokenizerFormatError('model.type must be "Unigram"');
    if (!Array.isArray(model.vocab))
      throw new TokenizerFormatError('model.vocab must be an array of [piece, score]');
    const vocab = model.vocab.map((entry, i): [string, number] => {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number')
        throw new TokenizerFormatError(`model.vocab[${i}] is not [piece, score]`);
      return [entry[0], entry[1]];
    });
    if (typeof model.unk_id !== 'number') throw new TokenizerFormatError('model.unk_id must be a number');
    if ((model as { byte_fallback?: unknown }).byte_fallback === true)
      throw new TokenizerFormatError('byte_fallback is not supported');
    const normalizer = j.normalizer ?? null;
    if (normalizer !== null && normalizer.type !== 'NFKC')
      throw new TokenizerFormatError('normalizer must be NFKC or null');
    const specialTokens: Record<string, number> = {};
    for (const token of j.added_tokens ?? []) {
      if (!token.special) continue;
      if (vocab[token.id]?.[0] !== token.content)
        throw new TokenizerFormatError(
          `special token ${JSON.stringify(token.content)} is not at id ${token.id} in the vocab`,
        );
      specialTokens[token.content] = token.id;
    }
    return new UnigramTokenizer(vocab, specialTokens, { unkId: model.unk_id, nfkc: normalizer !== null });
  }

  /** The id of sentinel `<extra_id_k>` (T5 span corruption): vocabSize - 1 - k for our vocabularies. */
  sentinelId(k: number): number {
    const id = this.ids.get(`<extra_id_${k}>`);
    if (id === undefined)
      throw new Error(`UnigramTokenizer.sentinelId: no <extra_id_${k}> in the vocabulary`);
    return id;
  }

  /** The pieces ('▁word') that HF's NFKC + WhitespaceSplit + Metaspace make of `text`. */
  preTokenize(text: string): string[] {
    const pieces: string[] = [];
    metaspacePreTokenize(this.nfkc ? text.normalize('NFKC') : text, (p) => pieces.push(p));
    return pieces;
  }

  /** ids without `</s>`; special tokens written in the text are matched whole. */
  encode(text: string): Int32Array {
    const out = new IdBuffer(text.length);
    for (const segment of splitOnSpecialTokens(text, this.specialPattern)) {
      if (segment.special) {
        out.push(this.specialTokens[segment.text]);
        continue;
      }
      const normalized = this.nfkc ? segment.text.normalize('NFKC') : segment.text;
      metaspacePreTokenize(normalized, (piece) => out.pushAll(this.encodePiece(piece)));
    }
    return out.toInt32Array();
  }

  /** `text </s>`, type ids 0, as T5's post-processor. */
  encodeWithSpecials(text: string): EncodingWithSpecials {
    const a = this.encode(text);
    const ids = new Int32Array(a.length + 1);
    ids.set(a);
    ids[a.length] = this.eosId;
    return { ids, typeIds: new Uint8Array(ids.length) };
  }

  /** `a </s> b </s>`, type ids 0. */
  encodePair(a: string, b: string): EncodingWithSpecials {
    const first = this.encodeWithSpecials(a).ids;
    const second = this.encodeWithSpecials(b).ids;
    const ids = new Int32Array(first.length + second.length);
    ids.set(first);
    ids.set(second, first.length);
    return { ids, typeIds: new Uint8Array(ids.length) };
  }

  /** Viterbi as HF's `encode_optimized`: strictly better paths replace, so the earliest start wins ties. */
  private encodePiece(text: string): Int32Array {
    const cached = this.cache.get(text);
    if (cached !== undefined) return cached;
    const n = text.length;
    const best = new Float64Array(n + 1);
    const from = new Int32Array(n + 1).fill(-1);
    const id = new Int32Array(n + 1);
    for (let pos = 0; pos < n; ) {
      const width = text.codePointAt(pos)! > 0xffff ? 2 : 1;
      const till = best[pos];
      let single = false;
      this.trie.prefixes(text, pos, (end, piece) => {
        const cand = this.scores[piece] + till;
        if (from[end] < 0 || cand > best[end]) {
          best[end] = cand;
          from[end] = pos;
          id[end] = piece;
        }
        if (end - pos === width) single = true;
      });
      if (!single) {
        const end = pos + width;
        const cand = this.unkScore + till;
        if (from[end] < 0 || cand > best[end]) {
          best[end] = cand;
          from[end] = pos;
          id[end] = this.unkId;
        }
      }
      pos += width;
    }
    const reversed: number[] = [];
    for (let end = n; end > 0; end = from[end]) {
      // Consecutive unknowns fuse into one <unk> (HF's fuse_unk).
      if (id[end] === this.unkId && reversed.length > 0 && reversed[reversed.length - 1] === this.unkId)
        continue;
      reversed.push(id[end]);
    }
    const result = Int32Array.from(reversed.reverse());
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(text, result);
    return result;
  }

  /** HF's Metaspace decoder: '▁' -> ' ', except that the first token loses its '▁'s. */
  decode(ids: ArrayLike<number>): string {
    let text = '';
    for (let i = 0; i < ids.length; i++) {
      const token = this.pieces[ids[i]];
      if (token === undefined)
        throw new Error(`UnigramTokenizer.decode: id ${ids[i]} is outside 0..${this.vocabSize - 1}`);
      text += token.replaceAll(METASPACE, i === 0 ? '' : ' ');
    }
    return text;
  }

  idToToken(id: number): string | undefined {
    return this.pieces[id];
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  /** The piece's log-probability (0 for special tokens). */
  score(id: number): number {
    return this.scores[id];
  }

  toHuggingFaceJSON(): HFUnigramJSON {
    const eos = this.pieces[this.eosId];
    const a = { Sequence: { id: 'A', type_id: 0 } };
    const b = { Sequence: { id: 'B', type_id: 0 } };
    const s = { SpecialToken: { id: eos, type_id: 0 } };
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: hfAddedTokens(this.specialTokens),
      normalizer: this.nfkc ? { type: 'NFKC' } : null,
      pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, METASPACE_JSON] },
      post_processor: {
        type: 'TemplateProcessing',
        single: [a, s],
        pair: [a, s, b, s],
        special_tokens: { [eos]: { id: eos, ids: [this.eosId], tokens: [eos] } },
      },
      decoder: METASPACE_JSON,
      model: {
        type: 'Unigram',
        unk_id: this.unkId,
        vocab: this.pieces.map((piece, i): [string, number] => [piece, this.scores[i]]),
        byte_fallback: false,
      },
    };
  }
}
