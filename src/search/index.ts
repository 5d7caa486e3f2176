/**
 * Full-text search over turns: an inverted index in typed arrays, built once per archive, ranked with BM25.
 * Postings are sorted by turn position (archive order), so filters by series, episode and segment are binary
 * searches, AND is an intersection from the rarest word, and only the requested page is ranked.
 * Why not a library (MiniSearch, measured): docs/architecture.md#search.
 */
import { LRUCache } from 'lru-cache';

import { UNSLICED, type Slices } from '../lib/slices.js';
import { ASCII_FLAG, SPEAKER, STRIDE, TEXT_END, TEXT_START, type CompactTurns } from '../parser/index.js';
import type { SearchQuery } from './query.js';
import { TermDictionary } from './tokens.js';
import { wordsAt } from './text.js';

const K1 = 1.2;
const B = 0.75;
/** Terms in at least this many turns get their postings sorted by rank once, on first use. */
const RANK_CACHE_MIN = 2048;
/** Bytes of rank-sorted postings kept (frequent words' orders, made on first use). */
export const RANK_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * What the index reads: the turns in position order, as the archive's segments hold them (each a run of positions
 * from `firstTurn`), and each turn's speaker.
 */
export interface SearchDocuments {
  readonly count: number;
  readonly segments: readonly { readonly firstTurn: number; readonly compact: CompactTurns }[];
  /** Position -> speaker number (the archive's speaker order). */
  readonly speakerOf: Int32Array;
}

/** Which turns a search may return: a range of positions, and optionally one speaker. */
export interface SearchScope {
  /** First position (inclusive). */
  readonly from: number;
  /** Last position (exclusive). */
  readonly to: number;
  /** Index into the index's speaker table, or -1 for any speaker. */
  readonly speaker: number;
}

export interface SearchHit {
  /** The turn's position. */
  readonly doc: number;
  /** BM25; higher is better. */
  readonly score: number;
}

export interface SearchPage {
  /** Every matching turn in scope, over all pages. */
  readonly totalCount: number;
  /** Best first; ties in archive order (series, episode, time). */
  readonly hits: readonly SearchHit[];
}

/** One query term's postings within the scope; `at` moves while intersecting. */
interface TermList {
  readonly term: number;
  readonly idf: number;
  at: number;
  readonly end: number;
}

export class SearchIndex {
  private constructor(
    private readonly docs: SearchDocuments,
    private readonly dictionary: TermDictionary,
    /** Postings of term t are [postStart[t], postStart[t + 1]). */
    private readonly postStart: Int32Array,
    private readonly postDoc: Int32Array,
    /** Term frequency in the turn, up to 255 (BM25 saturates long before). */
    private readonly postTf: Uint8Array,
    /** K1 * (1 - B + B * length / average length), per turn. */
    private readonly docNorm: Float32Array,
  ) {}

  /** Postings positions of frequent terms in rank order, made on first use, bounded by bytes. */
  private readonly ranked = new LRUCache<number, Int32Array>({
    maxSize: RANK_CACHE_BYTES,
    sizeCalculation: (order) => order.byteLength + 64,
  });
  /** Scratch space for dense intersections, all zero between searches (search is synchronous). */
  private seen = new Uint8Array(0);
  private accumulated = new Float64Array(0);
  /** Scratch for phrase checks: one turn's term ids. */
  private termScratch = new Int32Array(256);

  /** How many turns are indexed. */
  get size(): number {
    return this.docs.count;
  }

  /** Bytes the index holds (postings, norms, dictionary slots; term strings estimated). */
  get bytes(): number {
    return (
      this.postStart.byteLength +
      this.postDoc.byteLength +
      this.postTf.byteLength +
      this.docNorm.byteLength +
      this.dictionary.size * 48
    );
  }

  /**
   * Indexes the turns of `docs`, in position order (ties rank in that order). Two passes: the first reads every
   * text once, numbering words and collecting each turn's distinct terms with their frequencies; the second lays
   * them out term by term. Slices let a reload run it beside requests.
   *
   * @example
   * const index = await SearchIndex.build(archive.documents, timeSlices());
   * index.search(parsed.query, index.scopeAll(), 0, 10)
   */
  static async build(docs: SearchDocuments, slices: Slices = UNSLICED): Promise<SearchIndex> {
    const n = docs.count;
    const dictionary = new TermDictionary();
    const docLength = new Int32Array(n);
    let df = new Int32Array(1 << 15);
    let counter = new Uint16Array(1 << 15);
    let uniq = new Int32Array(1024);
    /**
     * Reads every turn's words in position order and hands `each(doc, distinct)` its distinct terms (in `uniq`) with
     * their frequencies (in `counter`, cleared after). Run twice: once to count, once to lay postings out. Reading
     * the texts twice costs less than keeping every turn's terms between the passes (a third of the corpus's size,
     * at the moment memory peaks).
     */
    const forEachDoc = async (insert: boolean, each: (doc: number, distinct: number) => void): Promise<void> => {
      let doc = 0;
      for (const segment of docs.segments) {
        const { cols, text } = segment.compact;
        for (let o = 0; o < cols.length; o += STRIDE) {
          const ascii = (cols[o + SPEAKER]! & ASCII_FLAG) !== 0;
          const tokens = dictionary.termsInto(text, cols[o + TEXT_START]!, cols[o + TEXT_END]!, ascii, insert);
          const ids = dictionary.ids;
          if (dictionary.size > counter.length) {
            const size = Math.max(counter.length * 2, dictionary.size);
            const c2 = new Uint16Array(size);
            c2.set(counter);
            counter = c2;
            const d2 = new Int32Array(size);
            d2.set(df);
            df = d2;
          }
          if (tokens > uniq.length) uniq = new Int32Array(tokens * 2);
          // Distinct terms with their frequencies, with a counter per term instead of sorting the turn's words.
          let distinct = 0;
          for (let k = 0; k < tokens; k++) {
            const t = ids[k]!;
            const seen = counter[t]!;
            if (seen === 0) uniq[distinct++] = t;
            if (seen < 0xffff) counter[t] = seen + 1;
          }
          docLength[doc] = tokens;
          each(doc, distinct);
          for (let k = 0; k < distinct; k++) counter[uniq[k]!] = 0;
          doc++;
          const pause = slices.tick();
          if (pause) await pause;
        }
      }
    };

    let pairs = 0;
    await forEachDoc(true, (_doc, distinct) => {
      for (let k = 0; k < distinct; k++) df[uniq[k]!]!++;
      pairs += distinct;
    });
    const terms = dictionary.size;
    let total = 0;
    for (let d = 0; d < n; d++) total += docLength[d]!;
    const average = total / Math.max(n, 1) || 1;
    const docNorm = new Float32Array(n);
    for (let d = 0; d < n; d++) docNorm[d] = K1 * (1 - B + (B * docLength[d]!) / average);

    const postStart = new Int32Array(terms + 1);
    for (let t = 0; t < terms; t++) postStart[t + 1] = postStart[t]! + df[t]!;
    const fill = postStart.slice(0, terms);
    const postDoc = new Int32Array(pairs);
    const postTf = new Uint8Array(pairs);
    // Docs come in position order, so each term's postings fill in position order.
    await forEachDoc(false, (doc, distinct) => {
      for (let k = 0; k < distinct; k++) {
        const t = uniq[k]!;
        const at = fill[t]!++;
        const tf = counter[t]!;
        postDoc[at] = doc;
        postTf[at] = tf > 255 ? 255 : tf;
      }
    });
    return new SearchIndex(docs, dictionary, postStart, postDoc, postTf, docNorm);
  }

  /** Every turn. */
  scopeAll(): SearchScope {
    return { from: 0, to: this.docs.count, speaker: -1 };
  }

  /**
   * Ranks the turns that hold every term of the query (and its phrases) within the scope, and returns the
   * page `[offset, offset + limit)` of them, with the exact total.
   */
  search(query: SearchQuery, scope: SearchScope, offset: number, limit: number): SearchPage {
    const lists: TermList[] = [];
    for (const word of query.terms) {
      const term = this.dictionary.get(word);
      if (term === undefined) return { totalCount: 0, hits: [] };
      const start = this.lowerBound(this.postStart[term]!, this.postStart[term + 1]!, scope.from);
      const end = this.lowerBound(start, this.postStart[term + 1]!, scope.to);
      if (start === end) return { totalCount: 0, hits: [] };
      const df = this.postStart[term + 1]! - this.postStart[term]!;
      const idf = Math.log(1 + (this.docs.count - df + 0.5) / (df + 0.5));
      lists.push({ term, idf, at: start, end });
    }
    lists.sort((a, b) => a.end - a.at - (b.end - b.at));

    if (lists.length === 1 && query.phrases.length === 0 && scope.speaker === -1) {
      return this.searchOne(lists[0]!, scope, offset, limit);
    }
    // Phrases as term ids: a phrase with a word no turn has cannot match (and the lists above already said so).
    const phrases = query.phrases.map((phrase) => Int32Array.from(phrase, (w) => this.dictionary.get(w) ?? -1));
    const rarest = lists[0]!;
    const matchDoc = new Int32Array(rarest.end - rarest.at);
    const matchScore = new Float64Array(rarest.end - rarest.at);
    const speakerOf = this.docs.speakerOf;
    const keep = (doc: number): boolean => {
      if (scope.speaker !== -1 && speakerOf[doc] !== scope.speaker) return false;
      return phrases.length === 0 || this.hasPhrases(doc, phrases);
    };
    const postings = lists.reduce((sum, l) => sum + l.end - l.at, 0);
    const count =
      postings > this.docs.count / 4
        ? this.intersectDense(lists, keep, matchDoc, matchScore)
        : this.intersectSparse(lists, keep, matchDoc, matchScore);
    const order = topK(matchDoc, matchScore, count, Math.min(offset + limit, count));
    const hits = order.slice(offset).map((i) => ({ doc: matchDoc[i]!, score: matchScore[i]! }));
    return { totalCount: count, hits };
  }

  /**
   * Whether a turn holds every phrase as consecutive words: its text is read again as term ids (no string is made
   * for ASCII words, and no pattern compiled per query), and each phrase's ids are looked for in that sequence.
   */
  private hasPhrases(doc: number, phrases: readonly Int32Array[]): boolean {
    const segment = this.segmentOf(doc);
    const { cols, text } = segment.compact;
    const o = (doc - segment.firstTurn) * STRIDE;
    let length = 0;
    this.dictionary.forEachTerm(
      text,
      cols[o + TEXT_START]!,
      cols[o + TEXT_END]!,
      (cols[o + SPEAKER]! & ASCII_FLAG) !== 0,
      false,
      (t) => {
        if (length === this.termScratch.length) {
          const bigger = new Int32Array(length * 2);
          bigger.set(this.termScratch);
          this.termScratch = bigger;
        }
        this.termScratch[length++] = t;
      },
    );
    const ids = this.termScratch;
    return phrases.every((phrase) => {
      outer: for (let i = 0; i + phrase.length <= length; i++) {
        for (let k = 0; k < phrase.length; k++) if (ids[i + k] !== phrase[k]) continue outer;
        return true;
      }
      return false;
    });
  }

  /** The segment holding a position (binary search over first positions). */
  private segmentOf(doc: number): SearchDocuments['segments'][number] {
    const segments = this.docs.segments;
    let lo = 0;
    let hi = segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (segments[mid]!.firstTurn <= doc) lo = mid;
      else hi = mid - 1;
    }
    return segments[lo]!;
  }

  /** AND by walking the rarest list and galloping through the others: cheap when the rarest list is short. */
  private intersectSparse(
    lists: readonly TermList[],
    keep: (doc: number) => boolean,
    matchDoc: Int32Array,
    matchScore: Float64Array,
  ): number {
    const [rarest, ...others] = lists as [TermList, ...TermList[]];
    let count = 0;
    outer: for (let p = rarest.at; p < rarest.end; p++) {
      const doc = this.postDoc[p]!;
      const norm = this.docNorm[doc]!;
      let score = this.contribution(rarest.idf, this.postTf[p]!, norm);
      for (const list of others) {
        list.at = this.gallop(list.at, list.end, doc);
        if (list.at === list.end) break outer;
        if (this.postDoc[list.at] !== doc) continue outer;
        score += this.contribution(list.idf, this.postTf[list.at]!, norm);
      }
      if (!keep(doc)) continue;
      matchDoc[count] = doc;
      matchScore[count++] = score;
    }
    return count;
  }

  /**
   * AND of frequent words: a dense pass per list into per-turn counters, which beats galloping once the lists
   * cover a good part of the archive (stop words). Counters are reset before returning.
   */
  private intersectDense(
    lists: readonly TermList[],
    keep: (doc: number) => boolean,
    matchDoc: Int32Array,
    matchScore: Float64Array,
  ): number {
    const n = this.docs.count;
    if (this.seen.length < n) {
      this.seen = new Uint8Array(n);
      this.accumulated = new Float64Array(n);
    }
    const { seen, accumulated } = this;
    lists.forEach((list, i) => {
      for (let p = list.at; p < list.end; p++) {
        const doc = this.postDoc[p]!;
        if (seen[doc] !== i) continue;
        seen[doc] = i + 1;
        accumulated[doc]! += this.contribution(list.idf, this.postTf[p]!, this.docNorm[doc]!);
      }
    });
    const rarest = lists[0]!;
    let count = 0;
    for (let p = rarest.at; p < rarest.end; p++) {
      const doc = this.postDoc[p]!;
      if (seen[doc] === lists.length && keep(doc)) {
        matchDoc[count] = doc;
        matchScore[count++] = accumulated[doc]!;
      }
      seen[doc] = 0;
      accumulated[doc] = 0;
    }
    return count;
  }

  private contribution(idf: number, tf: number, norm: number): number {
    return (idf * tf * (K1 + 1)) / (tf + norm);
  }

  /**
   * One word, no speaker filter: the total is the length of the postings in scope, and the page comes from the
   * term's postings in rank order (sorted once, on first use, for words frequent enough to need it).
   */
  private searchOne(list: TermList, scope: SearchScope, offset: number, limit: number): SearchPage {
    const totalCount = list.end - list.at;
    const start = this.postStart[list.term]!;
    const end = this.postStart[list.term + 1]!;
    const score = (p: number) =>
      (list.idf * this.postTf[p]! * (K1 + 1)) / (this.postTf[p]! + this.docNorm[this.postDoc[p]!]!);
    let ranked = this.ranked.get(list.term);
    if (!ranked && end - start >= RANK_CACHE_MIN) {
      const scores = new Float64Array(end - start);
      for (let p = start; p < end; p++) scores[p - start] = score(p);
      ranked = Int32Array.from({ length: end - start }, (_, i) => start + i).sort(
        (a, b) => scores[b - start]! - scores[a - start]! || a - b,
      );
      this.ranked.set(list.term, ranked);
    }
    if (!ranked) {
      const docs = Array.from({ length: totalCount }, (_, i) => this.postDoc[list.at + i]!);
      const scores = Array.from({ length: totalCount }, (_, i) => score(list.at + i));
      const order = topK(docs, scores, totalCount, Math.min(offset + limit, totalCount));
      return { totalCount, hits: order.slice(offset).map((i) => ({ doc: docs[i]!, score: scores[i]! })) };
    }
    const hits: SearchHit[] = [];
    let seen = 0;
    for (let i = 0; i < ranked.length && hits.length < limit; i++) {
      const p = ranked[i]!;
      const doc = this.postDoc[p]!;
      if (doc < scope.from || doc >= scope.to || seen++ < offset) continue;
      hits.push({ doc, score: score(p) });
    }
    return { totalCount, hits };
  }

  /** First position in [from, to) of the postings whose doc is >= doc. */
  private lowerBound(from: number, to: number, doc: number): number {
    let lo = from;
    let hi = to;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.postDoc[mid]! < doc) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** lowerBound, starting near `from`: cheap when the target is close, as it is while intersecting. */
  private gallop(from: number, to: number, doc: number): number {
    if (from >= to || this.postDoc[from]! >= doc) return from;
    let step = 1;
    let lo = from;
    while (lo + step < to && this.postDoc[lo + step]! < doc) {
      lo += step;
      step *= 2;
    }
    return this.lowerBound(lo + 1, Math.min(lo + step + 1, to), doc);
  }
}

/** Index of the first occurrence of `phrase` in `found` at or after `from`, or -1. */
export function phraseAt(found: readonly string[], phrase: readonly string[], from: number): number {
  outer: for (let i = from; i + phrase.length <= found.length; i++) {
    for (let k = 0; k < phrase.length; k++) if (found[i + k] !== phrase[k]) continue outer;
    return i;
  }
  return -1;
}

/** Indexes (into the first `count` matches) of the `k` best, best first: higher score, then lower position. */
function topK(
  docs: Int32Array | readonly number[],
  scores: Float64Array | readonly number[],
  count: number,
  k: number,
): number[] {
  const better = (a: number, b: number) => scores[a]! > scores[b]! || (scores[a] === scores[b] && docs[a]! < docs[b]!);
  if (k === 0) return [];
  if (k * 8 >= count) {
    return Array.from({ length: count }, (_, i) => i)
      .sort((a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : 0))
      .slice(0, k);
  }
  // A min-heap of the k best so far: its root is the worst of them.
  const heap: number[] = [];
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < heap.length && better(heap[worst]!, heap[l]!)) worst = l;
      if (r < heap.length && better(heap[worst]!, heap[r]!)) worst = r;
      if (worst === i) return;
      [heap[i], heap[worst]] = [heap[worst]!, heap[i]!];
      i = worst;
    }
  };
  for (let i = 0; i < count; i++) {
    if (heap.length < k) {
      heap.push(i);
      for (let c = heap.length - 1; c > 0;) {
        const parent = (c - 1) >> 1;
        if (!better(heap[parent]!, heap[c]!)) break;
        [heap[parent], heap[c]] = [heap[c]!, heap[parent]!];
        c = parent;
      }
    } else if (better(i, heap[0]!)) {
      heap[0] = i;
      down(0);
    }
  }
  return heap.sort((a, b) => (better(a, b) ? -1 : 1));
}

/** A highlighted range of a turn's text (UTF-16 offsets, end exclusive). */
export interface TextRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Where the query matches a text: every occurrence of each loose word, and each word of each phrase occurrence.
 *
 * @example
 * highlight('Boring tech is boring.', parseSearchQuery('"boring tech"').query) // [{ start: 0, end: 6 }, { start: 7, end: 11 }]
 */
export function highlight(text: string, query: SearchQuery): TextRange[] {
  const found = wordsAt(text);
  const marked = new Uint8Array(found.length);
  const loose = new Set(query.words);
  found.forEach((w, i) => {
    if (loose.has(w.word)) marked[i] = 1;
  });
  const plain = found.map((w) => w.word);
  for (const phrase of query.phrases) {
    for (let i = phraseAt(plain, phrase, 0); i !== -1; i = phraseAt(plain, phrase, i + 1)) {
      marked.fill(1, i, i + phrase.length);
    }
  }
  return found.filter((_, i) => marked[i]).map((w) => ({ start: w.start, end: w.end }));
}

/**
 * The snippet for a search hit: the whole text when it is short enough, else an excerpt around the first match.
 * Short texts skip finding the matches at all (the slower half of making a snippet).
 *
 * @example
 * searchSnippet('Boring tech is boring.', parseSearchQuery('tech').query) // 'Boring tech is boring.'
 */
export function searchSnippet(text: string, query: SearchQuery, width = 160): string {
  return text.length <= width ? text : snippet(text, highlight(text, query), width);
}

/**
 * A short excerpt of `text` around its first highlight, cut at spaces, with `…` where text was left out.
 *
 * @example
 * snippet('a b c ... long text ... clickhouse cloud ...', [{ start: 40, end: 50 }]) // '… text ... clickhouse cloud …'
 */
export function snippet(text: string, ranges: readonly TextRange[], width = 160): string {
  if (text.length <= width) return text;
  const first = ranges[0] ?? { start: 0, end: 0 };
  let start = Math.max(0, Math.min(first.start - Math.floor(width / 3), text.length - width));
  if (start > 0) {
    const space = text.indexOf(' ', start);
    start = space === -1 || space >= first.start ? start : space + 1;
  }
  let end = Math.min(text.length, start + width);
  if (end < text.length) {
    const space = text.lastIndexOf(' ', end);
    end = space > first.end ? space : end;
  }
  return `${start > 0 ? '…' : ''}${text.slice(start, end).trim()}${end < text.length ? '…' : ''}`;
}
