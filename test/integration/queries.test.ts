import { describe, expect, it } from 'vitest';

import { BACKENDS, serveCorpus } from '../helpers/backends.js';
import { gql as post, type GraphQLResponse } from '../helpers/server.js';

// One suite, both backends: the in-memory archive and PostgreSQL holding the same folder give the same answers.
describe.each(BACKENDS)('over %s', (kind) => {
  const served = serveCorpus(kind);
  const gql = <T = any>(query: string, variables?: Record<string, unknown>) =>
    post<T>(served.server.url, query, variables);

  const ids = (nodes: { id: string }[]) => nodes.map((n) => n.id);

  describe('Query over HTTP', () => {
    it('allSeries: by title, case-insensitive, with episodes by number', async () => {
      const { status, data } = await gql('{ allSeries { id title episodes { id number } } }');
      expect(status).toBe(200);
      expect(data.allSeries).toEqual([
        { id: 'algebra-hour', title: 'álgebra hour', episodes: [{ id: 'algebra-hour-ep10', number: 10 }] },
        {
          id: 'northern-lights',
          title: 'Northern Lights',
          episodes: [
            { id: 'northern-lights-ep1', number: 1 },
            { id: 'northern-lights-ep2', number: 2 },
          ],
        },
        { id: 'the-good-thing', title: 'The Good Thing', episodes: [{ id: 'the-good-thing-ep3', number: 3 }] },
      ]);
    });

    it('series, episode, segment, turn and speaker by id; unknown ids are null, not errors', async () => {
      const { data, errors } =
        await gql(`{ series(id: "the-good-thing") { title } episode(id: "the-good-thing-ep3") { number }
         segment(id: "e02") { title } turn(id: "e02#2") { text } speaker(id: "soren-weiss") { name }
         s2: series(id: "nope") { id } e2: episode(id: "nope") { id } g2: segment(id: "nope") { id }
         t2: turn(id: "e02#3") { id } p2: speaker(id: "nope") { id } }`);
      expect(errors).toBeUndefined();
      expect(data).toEqual({
        series: { title: 'The Good Thing' },
        episode: { number: 3 },
        segment: { title: 'Extra Episode' },
        turn: { text: 'Thanks for coming, Jens.' },
        speaker: { name: 'Søren Weiß' },
        s2: null,
        e2: null,
        g2: null,
        t2: null,
        p2: null,
      });
    });

    it('Episode: every field', async () => {
      const { data } = await gql(`{ episode(id: "the-good-thing-ep3") {
          id number series { id title } segments { id chunk } speakers { id name }
          start { smpte seconds } end { smpte seconds } durationSeconds topics wordCount
          turns(first: 2) { totalCount nodes { id } } } }`);
      expect(data.episode).toEqual({
        id: 'the-good-thing-ep3',
        number: 3,
        series: { id: 'the-good-thing', title: 'The Good Thing' },
        segments: [
          { id: 'ep03-06-cosmo-boring-tech-architecture', chunk: 6 },
          { id: 'ep03-07-what-comes-next', chunk: 7 },
        ],
        speakers: [
          { id: 'stefan', name: 'Stefan' },
          { id: 'dustin', name: 'Dustin' },
          { id: 'jens-neuse', name: 'Jens Neuse' },
        ],
        start: { smpte: '00:21:40:13', seconds: expect.closeTo(1300.4333, 4) },
        end: { smpte: '00:27:30:00', seconds: 1650 },
        durationSeconds: expect.closeTo(349.5667, 4),
        topics: ['Cosmo', 'Architecture', 'GCP', 'Kubernetes', 'Boring Tech', 'Roadmap'],
        wordCount: 823,
        turns: {
          totalCount: 19,
          nodes: [
            { id: 'ep03-06-cosmo-boring-tech-architecture#1' },
            { id: 'ep03-06-cosmo-boring-tech-architecture#2' },
          ],
        },
      });
    });

    it('Segment: every field, with neighbours inside the episode', async () => {
      const { data } = await gql(`{ segment(id: "northern-lights-e01-opening") {
          id title chunk description summary sourcePath episode { id }
          start { smpte seconds } end { smpte seconds } durationSeconds
          speakers { id } participants { id name } topics tags topicTags entities mentions
          turns { number speaker { id } text } wordCount previous { id } next { id } } }`);
      expect(data.segment).toEqual({
        id: 'northern-lights-e01-opening',
        title: 'Opening',
        chunk: 1,
        description: 'Introductions under the night sky',
        summary: 'Søren and Björn open the show.',
        sourcePath: 'northern-lights/season-1/e01-b-opening.md',
        episode: { id: 'northern-lights-ep1' },
        start: { smpte: '00:00:05:00', seconds: 5 },
        end: { smpte: '00:00:50:00', seconds: 50 },
        durationSeconds: 45,
        speakers: [{ id: 'soren-weiss' }, { id: 'bjorn-schwenzer' }],
        participants: [
          { id: 'soren-weiss', name: 'Søren Weiß' },
          { id: 'ana-maria-lopez', name: 'Ana María López' },
          { id: 'bjorn-schwenzer', name: 'Björn Schwenzer' },
        ],
        topics: ['aurora', 'Solar Wind'],
        tags: [],
        topicTags: [],
        entities: ['Tromsø'],
        mentions: ['NASA'],
        turns: [
          { number: 1, speaker: { id: 'soren-weiss' }, text: 'Welcome to Northern Lights, the show about the sky.' },
          { number: 2, speaker: { id: 'bjorn-schwenzer' }, text: 'Tonight we talk about solar wind.' },
          { number: 3, speaker: { id: 'soren-weiss' }, text: 'And why the aurora glows green.' },
        ],
        wordCount: 21,
        previous: null,
        next: { id: 'e01-a-closing' },
      });
      const title = await gql('{ segment(id: "ep03-06-cosmo-boring-tech-architecture") { title start { smpte } } }');
      expect(title.data.segment).toEqual({
        title: "Cosmo's Boring Tech Architecture",
        start: { smpte: '00:21:40:13' },
      });
    });

    it('Turn: every field, with neighbours across segment boundaries', async () => {
      const { data } = await gql(`{ turn(id: "ep03-07-what-comes-next#1") {
          id number segment { id } episode { id } speaker { id name }
          start { smpte seconds } end { smpte seconds } durationSeconds text wordCount
          previous { id text } next { id } } }`);
      expect(data.turn).toEqual({
        id: 'ep03-07-what-comes-next#1',
        number: 1,
        segment: { id: 'ep03-07-what-comes-next' },
        episode: { id: 'the-good-thing-ep3' },
        speaker: { id: 'jens-neuse', name: 'Jens Neuse' },
        start: { smpte: '00:26:46:23', seconds: expect.closeTo(1606.7667, 4) },
        end: { smpte: '00:27:00:00', seconds: 1620 },
        durationSeconds: expect.closeTo(13.2333, 4),
        text: 'So what comes next for Cosmo is more boring tech.',
        wordCount: 10,
        previous: { id: 'ep03-06-cosmo-boring-tech-architecture#17', text: 'And,' },
        next: { id: 'ep03-07-what-comes-next#2' },
      });
      const first = await gql('{ turn(id: "ep03-06-cosmo-boring-tech-architecture#1") { previous { id } } }');
      expect(first.data.turn.previous).toBeNull();
    });

    it('Speaker: every field', async () => {
      const { data } =
        await gql(`{ speaker(id: "jens-neuse") { id name episodes { id } segments { id } turnCount wordCount talkTimeSeconds
          turns(first: 1) { totalCount nodes { id } pageInfo { hasNextPage } } }
         silent: speaker(id: "ana-maria-lopez") { turnCount } }`);
      expect(data.speaker).toEqual({
        id: 'jens-neuse',
        name: 'Jens Neuse',
        episodes: [{ id: 'northern-lights-ep2' }, { id: 'the-good-thing-ep3' }],
        segments: [{ id: 'e02' }, { id: 'ep03-07-what-comes-next' }],
        turnCount: 2,
        wordCount: 19,
        talkTimeSeconds: expect.closeTo(24.1933, 4),
        turns: { totalCount: 2, nodes: [{ id: 'e02#1' }], pageInfo: { hasNextPage: true } },
      });
      expect(data.silent.turnCount).toBe(2);
    });

    it('speakers: by id', async () => {
      const { data } = await gql('{ speakers { totalCount nodes { id name turnCount } } }');
      expect(data.speakers.totalCount).toBe(6);
      expect(data.speakers.nodes).toEqual([
        { id: 'ana-maria-lopez', name: 'Ana María López', turnCount: 2 },
        { id: 'bjorn-schwenzer', name: 'Björn Schwenzer', turnCount: 3 },
        { id: 'dustin', name: 'Dustin', turnCount: 8 },
        { id: 'jens-neuse', name: 'Jens Neuse', turnCount: 2 },
        { id: 'soren-weiss', name: 'Søren Weiß', turnCount: 3 },
        { id: 'stefan', name: 'Stefan', turnCount: 10 },
      ]);
    });
  });

  describe('filters', () => {
    const episodes = async (filter: object) =>
      ids(
        (await gql('query($f: EpisodeFilter) { episodes(filter: $f) { nodes { id } } }', { f: filter })).data.episodes
          .nodes,
      );
    const segments = async (filter: object) => {
      const { data } = await gql('query($f: SegmentFilter) { segments(filter: $f) { totalCount nodes { id } } }', {
        f: filter,
      });
      expect(data.segments.totalCount).toBe(data.segments.nodes.length);
      return ids(data.segments.nodes);
    };

    it('episodes by series title then number, filtered by series and by speaker', async () => {
      expect(await episodes({})).toEqual([
        'algebra-hour-ep10',
        'northern-lights-ep1',
        'northern-lights-ep2',
        'the-good-thing-ep3',
      ]);
      expect(await episodes({ seriesId: 'northern-lights' })).toEqual(['northern-lights-ep1', 'northern-lights-ep2']);
      expect(await episodes({ speakerId: 'jens-neuse' })).toEqual(['northern-lights-ep2', 'the-good-thing-ep3']);
      expect(await episodes({ speakerId: 'jens-neuse', seriesId: 'the-good-thing' })).toEqual(['the-good-thing-ep3']);
      // A participant who never speaks is not "in" the episode.
      expect(await episodes({ speakerId: 'ana-maria-lopez', seriesId: 'northern-lights' })).toEqual([]);
      expect(await episodes({ seriesId: 'nope' })).toEqual([]);
    });

    it('segments by series, episode, chunk, filtered by every field', async () => {
      expect(await segments({})).toEqual([
        'ep-10',
        'northern-lights-e01-opening',
        'e01-a-closing',
        'e02',
        'ep03-06-cosmo-boring-tech-architecture',
        'ep03-07-what-comes-next',
      ]);
      expect(await segments({ seriesId: 'northern-lights' })).toEqual([
        'northern-lights-e01-opening',
        'e01-a-closing',
        'e02',
      ]);
      expect(await segments({ episodeId: 'the-good-thing-ep3' })).toEqual([
        'ep03-06-cosmo-boring-tech-architecture',
        'ep03-07-what-comes-next',
      ]);
      expect(await segments({ speakerId: 'bjorn-schwenzer' })).toEqual([
        'northern-lights-e01-opening',
        'e01-a-closing',
        'e02',
      ]);
      expect(await segments({ topic: 'AURORA' })).toEqual(['northern-lights-e01-opening', 'e01-a-closing']);
      expect(await segments({ topic: 'cosmo' })).toEqual([
        'ep03-06-cosmo-boring-tech-architecture',
        'ep03-07-what-comes-next',
      ]);
      expect(await segments({ topic: 'aur' })).toEqual([]);
      expect(await segments({ tag: 'Kubernetes' })).toEqual(['ep03-06-cosmo-boring-tech-architecture']);
      expect(await segments({ entity: 'clickhouse' })).toEqual(['ep03-06-cosmo-boring-tech-architecture']);
      expect(await segments({ entity: 'TROMSØ' })).toEqual(['northern-lights-e01-opening']);
      expect(await segments({ mention: 'cloudflare workers' })).toEqual(['ep03-06-cosmo-boring-tech-architecture']);
    });

    it('combines segment filters with AND', async () => {
      expect(await segments({ topic: 'cosmo', speakerId: 'jens-neuse' })).toEqual(['ep03-07-what-comes-next']);
      expect(await segments({ topic: 'aurora', episodeId: 'northern-lights-ep1', speakerId: 'soren-weiss' })).toEqual([
        'northern-lights-e01-opening',
        'e01-a-closing',
      ]);
      expect(await segments({ seriesId: 'the-good-thing', episodeId: 'northern-lights-ep1' })).toEqual([]);
      expect(await segments({ tag: 'roadmap', speakerId: 'dustin' })).toEqual([]);
    });
  });

  describe('pagination', () => {
    const PAGE = `query($first: Int, $after: String, $last: Int, $before: String) {
    segments(first: $first, after: $after, last: $last, before: $before) {
      totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } nodes { id } } }`;
    const BACK = `query($last: Int, $before: String) {
    segments(last: $last, before: $before) { pageInfo { hasPreviousPage startCursor } nodes { id } } }`;

    it('walks to the end with first/after and back to the start with last/before', async () => {
      const all = ids((await gql('{ segments(first: 100) { nodes { id } } }')).data.segments.nodes);
      expect(all).toHaveLength(6);

      const forward: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const { data }: GraphQLResponse = await gql(PAGE, { first: 4, after });
        const c: Record<string, any> = data!.segments;
        expect(c.totalCount).toBe(6);
        expect(ids(c.edges.map((e: { node: { id: string } }) => e.node))).toEqual(ids(c.nodes));
        expect(c.pageInfo.startCursor).toBe(c.edges[0].cursor);
        expect(c.pageInfo.endCursor).toBe(c.edges.at(-1).cursor);
        expect(c.pageInfo.hasPreviousPage).toBe(pages > 0);
        forward.push(...ids(c.nodes));
        pages++;
        if (!c.pageInfo.hasNextPage) break;
        after = c.pageInfo.endCursor;
      }
      expect(pages).toBe(2);
      expect(forward).toEqual(all);

      // Back from the end, without writing `first`: its default must not cut the page.
      const backward: string[] = [];
      let before: string | null = null;
      for (;;) {
        const { data }: GraphQLResponse = await gql(BACK, { last: 4, before });
        backward.unshift(...ids(data.segments.nodes));
        if (!data.segments.pageInfo.hasPreviousPage) break;
        before = data.segments.pageInfo.startCursor;
      }
      expect(backward).toEqual(all);
    });

    it('defaults to 20 and resumes from any cursor', async () => {
      const { data } = await gql(
        '{ episode(id: "the-good-thing-ep3") { turns { nodes { id } pageInfo { endCursor hasNextPage } } } }',
      );
      expect(data.episode.turns.nodes).toHaveLength(19);
      expect(data.episode.turns.pageInfo.hasNextPage).toBe(false);
      const middle = await gql(PAGE, { first: 2 });
      const resumed = await gql(PAGE, { first: 1, after: middle.data.segments.edges[0].cursor });
      expect(ids(resumed.data.segments.nodes)).toEqual(['northern-lights-e01-opening']);
    });

    it.each([
      ['first above 100', '{ speakers(first: 101) { totalCount } }', 'first', null],
      ['first below 0', '{ episodes(first: -1) { totalCount } }', 'first', null],
      ['last above 100', '{ segments(last: 500) { totalCount } }', 'last', null],
      ['a cursor that does not decode', '{ segments(after: "garbage") { totalCount } }', 'after', null],
      // The error nulls the nearest nullable parent, as GraphQL prescribes.
      [
        'a bad cursor on a nested list',
        '{ speaker(id: "stefan") { turns(before: "x") { totalCount } } }',
        'before',
        { speaker: null },
      ],
    ])('refuses %s with BAD_USER_INPUT', async (_name, query, argumentName, expected) => {
      const { data, errors } = await gql(query);
      expect(errors).toHaveLength(1);
      expect(errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName });
      expect(data).toEqual(expected);
    });
  });
});
