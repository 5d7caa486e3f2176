import { describe, expect, it } from 'vitest';

import { BACKENDS, serveCorpus } from '../helpers/backends.js';
import { gql } from '../helpers/server.js';

// One suite, both backends: the in-memory archive and PostgreSQL holding the same folder.
describe.each(BACKENDS)('over %s', (kind) => {
  const served = serveCorpus(kind);

  const REAL = 'ep03-06-cosmo-boring-tech-architecture';
  const SEARCH = `query($q: String!, $f: SearchFilter, $first: Int, $after: String) {
  search(query: $q, filter: $f, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor score snippet highlights { start end } node { id text speaker { id } } }
    nodes { id }
  }
}`;

  async function hits(q: string, f?: object): Promise<string[]> {
    const { data, errors } = await gql(served.server.url, SEARCH, { q, f, first: 100 });
    expect(errors).toBeUndefined();
    expect(data.search.totalCount).toBe(data.search.nodes.length);
    return data.search.nodes.map((n: { id: string }) => n.id);
  }

  describe('Query.search over HTTP', () => {
    it('finds exactly the turns holding every word, best first', async () => {
      const aws = await hits('AWS');
      expect([...aws].sort()).toEqual([8, 9, 10, 11, 13, 15, 16].map((n) => `${REAL}#${n}`).sort());
      expect(await hits('boring')).toHaveLength(5);
      expect((await hits('aws reliability')).sort()).toEqual([9, 10, 13, 16].map((n) => `${REAL}#${n}`).sort());
      expect(await hits('clickhouse')).toEqual([`${REAL}#6`]);
      expect(await hits('clickhouses')).toEqual([]);
    });

    it('matches phrases and diacritics', async () => {
      expect((await hits('"boring tech"')).sort()).toEqual([`${REAL}#1`, `${REAL}#2`, 'ep03-07-what-comes-next#1']);
      expect(await hits('"tech boring"')).toEqual([]);
      expect(await hits('TROMSO')).toEqual(['e01-a-closing#2']);
      expect(await hits('bjorn')).toEqual([]);
    });

    it('filters by series, episode, segment and speaker', async () => {
      // "Boring wins again." is shorter than "… is more boring tech.", so BM25 ranks it first.
      expect(await hits('boring', { segmentId: 'ep03-07-what-comes-next' })).toEqual([
        'ep03-07-what-comes-next#2',
        'ep03-07-what-comes-next#1',
      ]);
      expect(await hits('aws', { speakerId: 'dustin' })).toEqual([`${REAL}#16`]);
      expect(await hits('aws', { episodeId: 'the-good-thing-ep3', speakerId: 'stefan' })).toHaveLength(6);
      expect(await hits('aws', { seriesId: 'northern-lights' })).toEqual([]);
      expect(await hits('the', { seriesId: 'northern-lights', speakerId: 'soren-weiss' })).toEqual([
        'northern-lights-e01-opening#1', // "the" twice
        'e01-a-closing#1', // once, in five words
        'northern-lights-e01-opening#3', // once, in six words
      ]);
      expect(await hits('aws', { speakerId: 'nobody' })).toEqual([]);
    });

    it('pages through all hits with cursors, each once, in rank order', async () => {
      const all = await hits('aws');
      const paged: string[] = [];
      let after: string | null = null;
      let scores: number[] = [];
      for (let page = 0; ; page++) {
        const { data } = await gql(served.server.url, SEARCH, { q: 'aws', first: 3, after });
        const c = data.search as Record<string, any>;
        expect(c.totalCount).toBe(7);
        expect(c.pageInfo.hasPreviousPage).toBe(page > 0);
        paged.push(...c.nodes.map((n: { id: string }) => n.id));
        scores = [...scores, ...c.edges.map((e: { score: number }) => e.score)];
        if (!c.pageInfo.hasNextPage) break;
        after = c.pageInfo.endCursor;
      }
      expect(paged).toEqual(all);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    });

    it('gives highlights as offsets into node.text and a snippet around the first match', async () => {
      const { data } = await gql(served.server.url, SEARCH, { q: 'aws "boring tech"', first: 10 });
      expect(data.search.totalCount).toBe(0);
      const result = await gql(served.server.url, SEARCH, { q: 'aws GCP', first: 10 });
      for (const edge of result.data.search.edges) {
        const marked = edge.highlights.map((r: { start: number; end: number }) => edge.node.text.slice(r.start, r.end));
        expect(marked.length).toBeGreaterThanOrEqual(2);
        for (const word of marked) expect(['aws', 'gcp']).toContain(word.toLowerCase());
        expect(edge.snippet.replace(/^…|…$/g, '')).toContain(marked[0]);
      }
      const phrase = await gql(served.server.url, SEARCH, {
        q: '"boring tech"',
        f: { segmentId: 'ep03-07-what-comes-next' },
      });
      const edge = phrase.data.search.edges[0];
      expect(edge.highlights.map((r: { start: number; end: number }) => edge.node.text.slice(r.start, r.end))).toEqual([
        'boring',
        'tech',
      ]);
    });

    it.each([
      ['an empty query', { q: '' }, 'query'],
      ['a query of punctuation', { q: '?! --' }, 'query'],
      ['a query over 256 characters', { q: 'a'.repeat(257) }, 'query'],
      ['first over 100', { q: 'aws', first: 101 }, 'first'],
      ['a bad cursor', { q: 'aws', after: 'nope' }, 'after'],
    ])('refuses %s with BAD_USER_INPUT', async (_name, variables, argumentName) => {
      const { errors } = await gql(served.server.url, SEARCH, variables);
      expect(errors?.map((e) => [e.extensions?.code, e.extensions?.argumentName])).toEqual([
        ['BAD_USER_INPUT', argumentName],
      ]);
    });
  });

  describe('transcripts, chapters and turnAt', () => {
    it('Episode.turnAt: first frame, inside, a gap between turns, a shared boundary, past the end', async () => {
      const { data } = await gql(
        served.server.url,
        `{ episode(id: "the-good-thing-ep3") {
          first: turnAt(seconds: 1300.4333333333334) { id }
          inside: turnAt(seconds: 1400) { id } # 00:23:20, inside 00:23:06:07 - 00:23:30:08
          gap: turnAt(seconds: 1352) { id }
          boundary: turnAt(seconds: 1320.6666666666667) { id }
          before: turnAt(seconds: 10) { id }
          after: turnAt(seconds: 1650) { id }
          lastCovered: turnAt(seconds: 1649.99) { id } } }`,
      );
      expect(data.episode).toEqual({
        first: { id: `${REAL}#1` },
        inside: { id: `${REAL}#6` },
        gap: null,
        boundary: { id: `${REAL}#2` },
        before: null,
        after: null,
        lastCovered: { id: 'ep03-07-what-comes-next#2' },
      });
    });

    it('Episode and Segment transcripts in every format, and chapters', async () => {
      const { data } = await gql(
        served.server.url,
        `{ episode(id: "the-good-thing-ep3") { text: transcript vtt: transcript(format: WEBVTT) srt: transcript(format: SRT)
           json: transcript(format: JSON) chapters }
         segment(id: "ep03-07-what-comes-next") { transcript } }`,
      );
      expect(data.episode.text.split('\n\n')).toHaveLength(19);
      expect(data.episode.vtt).toMatch(/^WEBVTT\n\n00:21:40\.433 --> /);
      expect(data.episode.srt).toMatch(/^1\n00:21:40,433 --> .*\nStefan: And so with/);
      expect(JSON.parse(data.episode.json).segments).toHaveLength(19);
      expect(JSON.parse(data.episode.chapters)).toEqual({
        version: '1.2.0',
        chapters: [
          { startTime: 1300.433, endTime: 1606.767, title: "Cosmo's Boring Tech Architecture" },
          { startTime: 1606.767, endTime: 1650, title: 'What Comes Next' },
        ],
      });
      expect(data.segment.transcript).toBe(
        'Jens Neuse [26:46]: So what comes next for Cosmo is more boring tech.\n\nStefan [27:00]: Boring wins again.\n',
      );
    });

    it.each([
      ['transcripts/the-good-thing-ep3.vtt', 'text/vtt; charset=utf-8', /^WEBVTT\n/],
      ['transcripts/the-good-thing-ep3.srt', 'application/x-subrip; charset=utf-8', /^1\n00:21:40,433 --> /],
      ['transcripts/the-good-thing-ep3.json', 'application/json', /^\{"version":"1\.0\.0","segments":\[/],
      ['transcripts/the-good-thing-ep3.txt', 'text/plain; charset=utf-8', /^Stefan \[21:40\]: /],
      ['chapters/the-good-thing-ep3.json', 'application/json+chapters', /^\{"version":"1\.2\.0","chapters":\[/],
    ])('GET /%s for podcast apps', async (path, contentType, body) => {
      const response = await fetch(`${served.base}/${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(contentType);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      const text = await response.text();
      expect(text).toMatch(body);
      const { data } = await gql(served.server.url, '{ episode(id: "the-good-thing-ep3") { chapters } }');
      if (path.startsWith('chapters')) expect(text).toBe(data.episode.chapters);
    });

    it('answers 404 for unknown episodes and formats', async () => {
      for (const path of [
        'transcripts/nope.vtt',
        'transcripts/the-good-thing-ep3.pdf',
        'chapters/the-good-thing-ep3.vtt',
        'chapters/nope.json',
      ]) {
        expect((await fetch(`${served.base}/${path}`)).status, path).toBe(404);
      }
    });
  });
});
