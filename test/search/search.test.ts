import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generateCorpus, random } from '../../bench/generate-corpus.js';
import { loadArchive } from '../../src/archive/index.js';
import { searchScope } from '../../src/archive/query.js';
import type { Archive, TurnRecord } from '../../src/archive/types.js';
import { highlight, searchSnippet, snippet } from '../../src/search/index.js';
import { parseSearchQuery, type SearchQuery } from '../../src/search/query.js';
import { fold, words, wordsAt } from '../../src/search/text.js';
import { archiveOf, transcript } from '../helpers/archive.js';

const q = (text: string): SearchQuery => {
  const parsed = parseSearchQuery(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.query;
};

describe('words and folding', () => {
  it('splits on anything that is not a letter or digit, after folding', () => {
    expect(words("It's Prüfung-time, at 10:30!")).toEqual(['it', 's', 'prufung', 'time', 'at', '10', '30']);
    expect(words('Søren WEISS, Weiß, Æsir, Łódź')).toEqual(['soren', 'weiss', 'weiss', 'aesir', 'lodz']);
    expect(words('naïve café 𝔸BC')).toEqual(['naive', 'cafe', 'abc']);
    expect(words('日本語のテスト')).toEqual(['日本語のテスト']);
    expect(fold('ΟΔΟΣ')).toBe(fold('οδοσ'));
  });

  it('maps every word back to its place in the original text', () => {
    const text = 'Grüße — Pru\u0308fung, it’s Weiß.';
    const found = wordsAt(text);
    expect(found.map((w) => w.word)).toEqual(words(text));
    expect(found.map((w) => text.slice(w.start, w.end))).toEqual(['Grüße', 'Pru\u0308fung', 'it', 's', 'Weiß']);
  });
});

describe('query syntax', () => {
  it('requires every word and reads "quoted phrases"', () => {
    expect(parseSearchQuery('ClickHouse "boring TECH" cloud')).toEqual({
      ok: true,
      query: {
        terms: ['clickhouse', 'boring', 'tech', 'cloud'],
        words: ['clickhouse', 'cloud'],
        phrases: [['boring', 'tech']],
      },
    });
    expect(parseSearchQuery('"unclosed phrase here')).toMatchObject({
      ok: true,
      query: { phrases: [['unclosed', 'phrase', 'here']] },
    });
    expect(parseSearchQuery('"single"')).toMatchObject({ ok: true, query: { words: ['single'], phrases: [] } });
  });

  it.each(['', '   ', '?!', '"" -- ...', 'x'.repeat(257)])('refuses %j', (text) => {
    expect(parseSearchQuery(text).ok).toBe(false);
  });

  it('accepts 256 characters', () => {
    expect(parseSearchQuery('x'.repeat(256)).ok).toBe(true);
  });
});

describe('search semantics on a small archive', () => {
  let archive: Archive;
  beforeAll(async () => {
    archive = await archiveOf({
      'a/a1.md': transcript({ series: 'Alpha', episode: 1, chunk: 1 }, [
        ['00:00:01:00', '00:00:02:00', 'Ana', 'The Prüfung is tomorrow.'],
        ['00:00:02:00', '00:00:03:00', 'Bo', 'Boring tech wins. Tech that is boring.'],
        ['00:00:03:00', '00:00:04:00', 'Ana', 'Talking about talk shows; it’s boring.'],
      ]),
      'a/a2.md': transcript({ series: 'Alpha', episode: 2, chunk: 1 }, [
        ['00:00:01:00', '00:00:02:00', 'Bo', 'Pruefung? No: PRUFUNG, prufung and prufung again.'],
        ['00:00:02:00', '00:00:03:00', 'Cy', 'Boring, tech: boring-tech.'],
      ]),
      'b/b1.md': transcript({ series: 'Beta', episode: 1, chunk: 1 }, [
        ['00:00:01:00', '00:00:02:00', 'Ana', 'Grüße aus Tromsø, said Søren Weiß.'],
      ]),
    });
  });
  const ids = (text: string, filter = {}, first = 100) => {
    const scope = searchScope(archive, filter);
    return scope ? archive.search.search(q(text), scope, 0, first).hits.map((h) => archive.turns.at(h.doc)!.id) : [];
  };
  const total = (text: string, filter = {}) => {
    const scope = searchScope(archive, filter);
    return scope ? archive.search.search(q(text), scope, 0, 1).totalCount : 0;
  };

  it('finds whole words only, case- and diacritic-insensitively, with no stemming', () => {
    expect(ids('prufung').sort()).toEqual(['a1#1', 'a2#1']);
    expect(ids('PRÜFUNG').sort()).toEqual(['a1#1', 'a2#1']);
    expect(ids('pruf')).toEqual([]);
    expect(ids('talk')).toEqual(['a1#3']);
    expect(ids('talks')).toEqual([]);
    expect(ids('tromso weiss grusse')).toEqual(['b1#1']);
    expect(ids('it s')).toEqual(['a1#3']);
  });

  it('ranks by BM25: more occurrences in a shorter turn first', () => {
    expect(ids('prufung')).toEqual(['a2#1', 'a1#1']);
    expect(ids('boring')).toEqual(['a2#2', 'a1#2', 'a1#3']);
  });

  it('requires every word (AND) and matches "phrases" as consecutive words across punctuation', () => {
    expect(ids('boring tech').sort()).toEqual(['a1#2', 'a2#2']);
    expect(ids('"boring tech"').sort()).toEqual(['a1#2', 'a2#2']);
    // "Boring, tech: boring-tech." holds "tech boring" across the colon.
    expect(ids('"tech boring"')).toEqual(['a2#2']);
    expect(ids('"wins boring"')).toEqual([]);
    expect(ids('"tech that is boring"')).toEqual(['a1#2']);
    expect(ids('"boring tech" ana')).toEqual([]);
    expect(total('boring nothingmatches')).toBe(0);
  });

  it('filters by series, episode, segment and speaker', () => {
    expect(ids('boring', { seriesId: 'alpha' })).toEqual(['a2#2', 'a1#2', 'a1#3']);
    expect(ids('boring', { episodeId: 'alpha-ep1' })).toEqual(['a1#2', 'a1#3']);
    expect(ids('boring', { segmentId: 'a2' })).toEqual(['a2#2']);
    expect(ids('boring', { speakerId: 'ana' })).toEqual(['a1#3']);
    expect(ids('boring', { speakerId: 'ana', episodeId: 'alpha-ep2' })).toEqual([]);
    expect(ids('boring', { seriesId: 'beta' })).toEqual([]);
    expect(ids('boring', { speakerId: 'nobody' })).toEqual([]);
    expect(ids('boring', { episodeId: 'nope' })).toEqual([]);
  });

  it('highlights each matched word, a phrase word by word, as offsets into the text', () => {
    const text = 'Boring tech wins. Tech that is boring.';
    const marks = (query: string) => highlight(text, q(query)).map((r) => text.slice(r.start, r.end));
    expect(marks('boring')).toEqual(['Boring', 'boring']);
    expect(marks('"boring tech"')).toEqual(['Boring', 'tech']);
    expect(marks('tech boring')).toEqual(['Boring', 'tech', 'Tech', 'boring']);
    const german = 'Pruefung? No: PRUFUNG, prufung.';
    expect(highlight(german, q('Prüfung'))).toEqual([
      { start: 14, end: 21 },
      { start: 23, end: 30 },
    ]);
  });

  it('makes a snippet around the first match', () => {
    const long = `${'lorem ipsum '.repeat(30)}the clickhouse cloud is managed ${'dolor sit '.repeat(30)}`;
    const cut = snippet(long, highlight(long, q('clickhouse')));
    expect(cut).toMatch(/^….*clickhouse cloud.*…$/);
    expect(cut.length).toBeLessThanOrEqual(162);
    expect(snippet('short text', [])).toBe('short text');
    // The hit's snippet: the same excerpt for a long text, the whole text (no matching needed) for a short one.
    expect(searchSnippet(long, q('clickhouse'))).toBe(cut);
    expect(searchSnippet('The ClickHouse cloud.', q('clickhouse'))).toBe('The ClickHouse cloud.');
  });
});

describe('search against a linear scan, on a generated archive', () => {
  let dir: string;
  let archive: Archive;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'search-'));
    generateCorpus({ out: dir, episodes: 8, seed: 7 });
    archive = await loadArchive(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns exactly the turns a scan finds, for random one-, two- and three-word queries and phrases', () => {
    const rand = random(11);
    const tokenized = archive.turns.slice().map((t) => words(t.text));
    for (let round = 0; round < 150; round++) {
      // Words drawn from real turns, so most queries have hits.
      const source = tokenized[Math.floor(rand() * tokenized.length)]!;
      const size = 1 + (round % 3);
      const at = Math.floor(rand() * Math.max(1, source.length - size));
      const picked = source.slice(at, at + size);
      const phrase = round % 5 === 4;
      const text = phrase ? `"${picked.join(' ')}"` : picked.join(' ');
      const expected = tokenized
        .map((tokens, i) => ({ tokens, i }))
        .filter(({ tokens }) =>
          phrase
            ? tokens.some((_, k) => picked.every((w, j) => tokens[k + j] === w))
            : picked.every((w) => tokens.includes(w)),
        )
        .map(({ i }) => archive.turns.at(i)!.id)
        .sort();
      const page = archive.search.search(q(text), archive.search.scopeAll(), 0, 100_000);
      expect(page.totalCount, text).toBe(expected.length);
      expect(page.hits.map((h) => archive.turns.at(h.doc)!.id).sort(), text).toEqual(expected);
      for (let i = 1; i < page.hits.length; i++) {
        const [a, b] = [page.hits[i - 1]!, page.hits[i]!];
        expect(a.score > b.score || (a.score === b.score && a.doc < b.doc), text).toBe(true);
      }
    }
  });

  it('pages through every hit exactly once, in rank order, for frequent and rare words', () => {
    for (const word of ['the', 'schema', 'boring reliable']) {
      const all = archive.search
        .search(q(word), archive.search.scopeAll(), 0, 100_000)
        .hits.map((h) => archive.turns.at(h.doc)!.id);
      const paged: string[] = [];
      for (let offset = 0; offset < all.length; offset += 7) {
        const page = archive.search.search(q(word), archive.search.scopeAll(), offset, 7);
        expect(page.totalCount).toBe(all.length);
        paged.push(...page.hits.map((h) => archive.turns.at(h.doc)!.id));
      }
      expect(paged).toEqual(all);
    }
  });

  it('filters exactly like a scan with the filter applied', () => {
    const episode = archive.episodes[3]!;
    const speaker = episode.speakers[0]!;
    for (const [filter, keep] of [
      [{ episodeId: episode.id }, (t: TurnRecord) => t.segment.episode === episode],
      [{ speakerId: speaker.id }, (t: TurnRecord) => t.speaker === speaker],
      [
        { seriesId: episode.series.id, speakerId: speaker.id },
        (t: TurnRecord) => t.speaker === speaker && t.segment.episode.series === episode.series,
      ],
    ] as const) {
      const scope = searchScope(archive, filter)!;
      const hits = archive.search
        .search(q('the'), scope, 0, 100_000)
        .hits.map((h) => archive.turns.at(h.doc)!.id)
        .sort();
      const expected = archive.turns
        .slice()
        .filter((t) => keep(t) && words(t.text).includes('the'))
        .map((t) => t.id)
        .sort();
      expect(hits).toEqual(expected);
      expect(expected.length).toBeGreaterThan(0);
    }
  });
});

describe('the cost of phrases', () => {
  let dir: string;
  let archive: Archive;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'phrases-'));
    generateCorpus({ out: dir, episodes: 8, seed: 13 });
    archive = await loadArchive(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a quoted phrase costs about what its words cost unquoted, however many distinct phrases arrive', () => {
    // 60 distinct phrases of up to 256 characters, each made of real words (so candidates exist to check).
    const rand = random(21);
    const tokenized = archive.turns.slice().map((t) => words(t.text));
    const phrases = Array.from({ length: 60 }, () => {
      const source = tokenized[Math.floor(rand() * tokenized.length)]!;
      let text = '';
      for (let i = Math.floor(rand() * source.length); text.length < 240; i = (i + 1) % source.length)
        text += `${source[i]} `;
      return text.trim().slice(0, 254);
    });
    const run = (queries: string[]) => {
      const started = performance.now();
      for (const text of queries) {
        const parsed = parseSearchQuery(text);
        if (parsed.ok) archive.search.search(parsed.query, archive.search.scopeAll(), 0, 10);
      }
      return performance.now() - started;
    };
    // Warm both paths, then compare in the same run (a ratio, not a time).
    run(phrases);
    run(phrases.map((p) => `"${p}"`));
    const loose = run(phrases) + run(phrases);
    const quoted = run(phrases.map((p) => `"${p}"`)) + run(phrases.map((p) => `"${p} "`));
    expect(quoted).toBeLessThan(Math.max(loose * 5, 50));
  });
});
