/**
 * Full-text search over turns: an inverted index in typed arrays, built once per archive, ranked with BM25.
 *
 * Why not a library: MiniSearch, measured on 101k generated turns, took 7.8 s to build, 6.4x the text's size
 * in heap, and 15 ms (a mid-frequency word) to 325 ms (`the`) per one-word query, because it scores and returns
 * every hit. Here postings are sorted by turn position (archive order), so filters by series, episode and segment
 * are binary searches, AND is an intersection from the rarest word, and only the requested page is ranked.
 */
import type { TurnRecord } from '../archive/types.js';
import type { SearchQuery } from './query.js';
import { TermTable } from './terms.js';
import { fold, forEachWord, wordsAt } from './text.js';

const K1 = 1.2;
const B = 0.75;
/** Terms in at least this many turns get their postings sorted by rank once, on first use. */
const RANK_CACHE_MIN = 2048;

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
  readonly turn: TurnRecord;
  /** BM25; higher is better. */
  readonly score: number;
}

/** A hit as the GraphQL layer hands it on: snippet and highlights are computed only when asked for. */
export interface SearchEdgeRecord {
  readonly cursor: string;
  readonly node: TurnRecord;
  readonly score: number;
  readonly query: SearchQuery;
}

export interface SearchPage {
  /** Every matching turn in scope, over all pages. */
  readonly totalCount: number;
  /** Best first; ties in archive order (series, episode, time). */
  readonly hits: readonly SearchHit[];
}

/** Growable Int32Array, to build the token stream without a JS array of millions of numbers. */
class IntBuffer {
  data: Int32Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Int32Array(capacity);
  }
  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
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
    private readonly turns: readonly TurnRecord[],
    private readonly termIds: ReadonlyMap<string, number>,
    /** Postings of term t are [postStart[t], postStart[t + 1]). */
    private readonly postStart: Int32Array,
    private readonly postDoc: Int32Array,
    private readonly postTf: Uint16Array,
    /** K1 * (1 - B + B * length / average length), per turn. */
    private readonly docNorm: Float32Array,
    private readonly docSpeaker: Int32Array,
    private readonly speakerIndex: ReadonlyMap<string, number>,
  ) {}

  /** Postings positions of frequent terms in rank order, filled on first use. */
  private readonly ranked = new Map<number, Int32Array>();
  /** Scratch space for dense intersections, all zero between searches (search is synchronous). */
  private seen = new Uint8Array(0);
  private accumulated = new Float64Array(0);

  /**
   * Indexes turns; their order in `turns` is their position, and ties rank in that order.
   *
   * @example
   * const index = SearchIndex.build(archive.turns);
   * index.search(parsed.query, index.scopeAll(), 0, 10)
   */
  static build(turns: readonly TurnRecord[]): SearchIndex {
    const n = turns.length;
    const table = new TermTable();
    const speakerIndex = new Map<string, number>();
    const docSpeaker = new Int32Array(n);
    const docStart = new Int32Array(n + 1);
    // Sized from the parser's word counts, close to the token count, so the stream rarely grows (each growth
    // holds the old and the new buffer at once).
    const stream = new IntBuffer(Math.ceil(turns.reduce((sum, t) => sum + t.wordCount, 0) * 1.1) + 1024);
    for (let d = 0; d < n; d++) {
      const turn = turns[d]!;
      let speaker = speakerIndex.get(turn.speaker.id);
      if (speaker === undefined) speakerIndex.set(turn.speaker.id, (speaker = speakerIndex.size));
      docSpeaker[d] = speaker;
      forEachWord(turn.text, (source, start, end) => stream.push(table.idOfSlice(source, start, end)));
      docStart[d + 1] = stream.length;
    }

    const termIds = table.toMap();
    // Per turn: distinct terms with their frequencies; per term: how many turns hold it. A turn's distinct terms
    // are written over its own tokens (there are never more of them than tokens read so far), which saves a
    // second array the size of the whole token stream at the moment memory use peaks.
    const df = new Int32Array(termIds.size);
    const uniqTerm = stream.data;
    const uniqTf = new Uint16Array(stream.length);
    const uniqStart = new Int32Array(n + 1);
    const docNorm = new Float32Array(n);
    // Term frequencies with a scratch counter per term instead of sorting each turn's words.
    const counter = new Uint16Array(termIds.size);
    let u = 0;
    for (let d = 0; d < n; d++) {
      const from = docStart[d]!;
      const to = docStart[d + 1]!;
      for (let i = from; i < to; i++) {
        const t = stream.data[i]!;
        if (counter[t] === 0) uniqTerm[u++] = t;
        if (counter[t]! < 0xffff) counter[t]!++;
      }
      for (let i = uniqStart[d]!; i < u; i++) {
        const t = uniqTerm[i]!;
        uniqTf[i] = counter[t]!;
        df[t]!++;
        counter[t] = 0;
      }
      uniqStart[d + 1] = u;
    }
    const average = stream.length / Math.max(n, 1) || 1;
    for (let d = 0; d < n; d++) docNorm[d] = K1 * (1 - B + (B * (docStart[d + 1]! - docStart[d]!)) / average);

    const postStart = new Int32Array(termIds.size + 1);
    for (let t = 0; t < termIds.size; t++) postStart[t + 1] = postStart[t]! + df[t]!;
    const fill = postStart.slice(0, termIds.size);
    const postDoc = new Int32Array(u);
    const postTf = new Uint16Array(u);
    for (let d = 0; d < n; d++) {
      for (let i = uniqStart[d]!; i < uniqStart[d + 1]!; i++) {
        const at = fill[uniqTerm[i]!]!++;
        postDoc[at] = d;
        postTf[at] = uniqTf[i]!;
      }
    }
    return new SearchIndex(turns, termIds, postStart, postDoc, postTf, docNorm, docSpeaker, speakerIndex);
  }

  /** Every turn. */
  scopeAll(): SearchScope {
    return { from: 0, to: this.turns.length, speaker: -1 };
  }

  /** The speaker-table index of a speaker id, or undefined when the speaker has no turns. */
  speaker(id: string): number | undefined {
    return this.speakerIndex.get(id);
  }

  /**
   * Ranks the turns that hold every term of the query (and its phrases) within the scope, and returns the
   * page `[offset, offset + limit)` of them, with the exact total.
   */
  search(query: SearchQuery, scope: SearchScope, offset: number, limit: number): SearchPage {
    const lists: TermList[] = [];
    for (const word of query.terms) {
      const term = this.termIds.get(word);
      if (term === undefined) return { totalCount: 0, hits: [] };
      const start = this.lowerBound(this.postStart[term]!, this.postStart[term + 1]!, scope.from);
      const end = this.lowerBound(start, this.postStart[term + 1]!, scope.to);
      if (start === end) return { totalCount: 0, hits: [] };
      const df = this.postStart[term + 1]! - this.postStart[term]!;
      const idf = Math.log(1 + (this.turns.length - df + 0.5) / (df + 0.5));
      lists.push({ term, idf, at: start, end });
    }
    lists.sort((a, b) => a.end - a.at - (b.end - b.at));

    if (lists.length === 1 && query.phrases.length === 0 && scope.speaker === -1) {
      return this.searchOne(lists[0]!, scope, offset, limit);
    }
    const patterns = phrasePatterns(query.phrases);
    const rarest = lists[0]!;
    const matchDoc = new Int32Array(rarest.end - rarest.at);
    const matchScore = new Float64Array(rarest.end - rarest.at);
    const keep = (doc: number): boolean => {
      if (scope.speaker !== -1 && this.docSpeaker[doc] !== scope.speaker) return false;
      if (patterns.length === 0) return true;
      const folded = fold(this.turns[doc]!.text);
      return patterns.every((pattern) => pattern.test(folded));
    };
    const postings = lists.reduce((sum, l) => sum + l.end - l.at, 0);
    const count =
      postings > this.turns.length / 4
        ? this.intersectDense(lists, keep, matchDoc, matchScore)
        : this.intersectSparse(lists, keep, matchDoc, matchScore);
    const order = topK(matchDoc, matchScore, count, Math.min(offset + limit, count));
    const hits = order.slice(offset).map((i) => ({ turn: this.turns[matchDoc[i]!]!, score: matchScore[i]! }));
    return { totalCount: count, hits };
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
    const n = this.turns.length;
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
      return { totalCount, hits: order.slice(offset).map((i) => ({ turn: this.turns[docs[i]!]!, score: scores[i]! })) };
    }
    const hits: SearchHit[] = [];
    let seen = 0;
    for (let i = 0; i < ranked.length && hits.length < limit; i++) {
      const p = ranked[i]!;
      const doc = this.postDoc[p]!;
      if (doc < scope.from || doc >= scope.to || seen++ < offset) continue;
      hits.push({ turn: this.turns[doc]!, score: score(p) });
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

/**
 * One pattern per phrase over folded text: its words separated only by non-word characters. A regular
 * expression over the folded text is an order of magnitude cheaper than splitting every candidate into words.
 */
function phrasePatterns(phrases: readonly (readonly string[])[]): RegExp[] {
  const escape = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return phrases.map(
    (phrase) => new RegExp(`(?<![\\p{L}\\p{N}])${phrase.map(escape).join('[^\\p{L}\\p{N}]+')}(?![\\p{L}\\p{N}])`, 'u'),
  );
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
