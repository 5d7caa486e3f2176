/**
 * The PostgreSQL backend against the in-memory archive, on a generated corpus (plus the fixture corpus, with its
 * diacritics and odd spellings): for random operations over every field, filter, page and search kind, and random
 * `_entities` batches, both answer the same JSON (scores included). And a router's batch is a handful of queries.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generateCorpus } from '../../bench/generate-corpus.js';
import { loadArchive, memorySource, type Archive, type ArchiveBackend } from '../../src/archive/index.js';
import { createContext } from '../../src/context.js';
import { PgFollower } from '../../src/pg/follower.js';
import { words } from '../../src/search/text.js';
import { createApollo } from '../../src/server/app.js';
import { syncedDatabase } from '../helpers/backends.js';
import { makeCorpus } from '../helpers/corpus.js';
import type { TestDatabase } from '../helpers/postgres.js';

let dir: string;
let archive: Archive;
let db: TestDatabase;
let follower: PgFollower;
/** The same database, searched each of the two ways (walking the archive order, or from the GIN index). */
let walking: PgFollower;
let indexed: PgFollower;
const apollo = createApollo({
  production: false,
  limits: { maxDepth: 20, maxAliases: 100, maxDirectives: 50, maxTokens: 100_000, maxCost: 1e12 },
});
/** Queries sent on request connections (BEGIN and COMMIT included). */
let queries = 0;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pg-differential-'));
  generateCorpus({ out: dir, episodes: 6, seed: 11 });
  const fixtures = makeCorpus();
  cpSync(fixtures.dir, path.join(dir, 'fixtures'), { recursive: true });
  fixtures.cleanup();
  archive = await loadArchive(dir);
  db = await syncedDatabase(dir);
  // With a small record cache: later runs read records earlier ones kept, and evictions happen.
  follower = new PgFollower(db.url, { pool: { max: 2 }, recordBytes: 256 * 1024 });
  follower.pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
      queries++;
      return query(...args);
    };
  });
  await follower.start();
  walking = new PgFollower(db.url, { pool: { max: 2 }, searchPath: 'walk' });
  indexed = new PgFollower(db.url, { pool: { max: 2 }, searchPath: 'index' });
  await walking.start();
  await indexed.start();
  await apollo.start();
}, 120_000);

afterAll(async () => {
  await apollo.stop();
  await follower?.stop();
  await walking?.stop();
  await indexed?.stop();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function run(backend: ArchiveBackend, query: string, variables: Record<string, unknown>) {
  const source = backend.forRequest();
  try {
    const response = await apollo.executeOperation({ query, variables }, { contextValue: createContext(source) });
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return JSON.parse(JSON.stringify(response.body.singleResult));
  } finally {
    source.close?.();
  }
}

async function same(
  query: string,
  variables: Record<string, unknown>,
  followers: readonly PgFollower[] = [follower],
): Promise<void> {
  const expected = await run(memorySource(archive), query, variables);
  for (const f of followers)
    expect(await run(f.backend!, query, variables), JSON.stringify(variables)).toEqual(expected);
}

const TIMECODE = '{ smpte seconds }';
const TURN = `id number start ${TIMECODE} end ${TIMECODE} durationSeconds text wordCount
  speaker { id } segment { id } episode { id } previous { id } next { id }`;
const SEGMENT = `id title chunk description summary start ${TIMECODE} end ${TIMECODE} durationSeconds topics tags
  topicTags entities mentions wordCount sourcePath episode { id number } speakers { id name } participants { id }
  previous { id } next { id }`;
const EPISODE = `id number start ${TIMECODE} end ${TIMECODE} durationSeconds topics wordCount series { id title }
  segments { id } speakers { id }`;
const SPEAKER = 'id name wordCount talkTimeSeconds turnCount episodes { id } segments { id }';
const PAGE = 'totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';

const some = <T>(items: readonly T[]) => fc.constantFrom(...items);
const orUnknown = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 6, arbitrary: arb }, { weight: 1, arbitrary: fc.constant('nope') });
const pageArgs = fc.record({ first: fc.integer({ min: 1, max: 30 }), skip: fc.nat({ max: 40 }) });

describe('PostgreSQL answers as the in-memory archive does', () => {
  it('segments, turns and their relations by id', async () => {
    await fc.assert(
      fc.asyncProperty(orUnknown(some(archive.segments.map((s) => s.id))), async (id) => {
        await same(`query($id: ID!) { segment(id: $id) { ${SEGMENT} turns { ${TURN} } transcript(format: SRT) } }`, {
          id,
        });
      }),
      { numRuns: 40, seed: 1 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: archive.turns.length - 1 }),
        fc.constantFrom('', 'x', '#0', '0'),
        async (p, bad) => {
          await same(`query($a: ID!, $b: ID!) { a: turn(id: $a) { ${TURN} } b: turn(id: $b) { id } }`, {
            a: archive.turns.at(p)!.id,
            b: archive.turns.at(p)!.id + bad,
          });
        },
      ),
      { numRuns: 40, seed: 2 },
    );
  });

  it('episodes with pages of turns, turnAt, transcripts and chapters', async () => {
    const formats = ['TEXT', 'WEBVTT', 'SRT', 'JSON'];
    await fc.assert(
      fc.asyncProperty(
        orUnknown(some(archive.episodes.map((e) => e.id))),
        pageArgs,
        fc.double({ min: -1, max: 4000, noNaN: true }),
        some(formats),
        async (id, { first, skip }, seconds, format) => {
          const q = `query($id: ID!, $first: Int, $seconds: Float!, $format: TranscriptFormat!) {
            episode(id: $id) { ${EPISODE} chapters transcript(format: $format) turnAt(seconds: $seconds) { id }
              turns(first: $first) { ${PAGE} edges { cursor node { ${TURN} } } } } }`;
          await same(q, { id, first, seconds, format });
          const after = await run(memorySource(archive), q, { id, first: Math.min(100, skip + 1), seconds, format });
          const cursor = after.data?.episode?.turns.pageInfo.endCursor;
          if (cursor) {
            await same(
              `query($id: ID!, $first: Int, $after: String) { episode(id: $id) {
                turns(first: $first, after: $after) { ${PAGE} nodes { id } }
                back: turns(last: $first, before: $after) { ${PAGE} nodes { id } } } }`,
              { id, first, after: cursor },
            );
          }
        },
      ),
      { numRuns: 40, seed: 3 },
    );
  });

  it('series, speakers and their pages', async () => {
    await same(`{ allSeries { id title episodes { id number } } }`, {});
    await fc.assert(
      fc.asyncProperty(orUnknown(some(archive.speakers.map((s) => s.id))), pageArgs, async (id, { first }) => {
        await same(
          `query($id: ID!, $first: Int) { speaker(id: $id) { ${SPEAKER} turns(first: $first) { ${PAGE} nodes { id } } }
            speakers(first: $first) { ${PAGE} nodes { id name } } }`,
          { id, first },
        );
      }),
      { numRuns: 30, seed: 4 },
    );
  });

  it('episode and segment listings under every filter', async () => {
    const values = (pick: (s: Archive['segments'][number]) => readonly string[]) =>
      [...new Set(archive.segments.flatMap(pick))].slice(0, 200);
    const text = (list: string[]) =>
      fc.option(
        fc.oneof(
          some(list),
          some(list).map((v) => v.toUpperCase()),
        ),
        { nil: undefined },
      );
    const id = (list: string[]) => fc.option(orUnknown(some(list)), { nil: undefined, freq: 2 });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seriesId: id(archive.series.map((s) => s.id)),
          episodeId: id(archive.episodes.map((e) => e.id)),
          speakerId: id(archive.speakers.map((s) => s.id)),
          topic: text(values((s) => s.topics)),
          tag: text(values((s) => s.tags)),
          entity: text(values((s) => s.entities)),
          mention: text(values((s) => s.mentions)),
        }),
        pageArgs,
        async (filter, { first }) => {
          const clean = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined));
          const episodeFilter = { seriesId: clean.seriesId, speakerId: clean.speakerId };
          await same(
            `query($f: SegmentFilter, $e: EpisodeFilter, $first: Int) {
              segments(filter: $f, first: $first) { ${PAGE} nodes { id } }
              last: segments(filter: $f, last: $first) { ${PAGE} nodes { id } }
              episodes(filter: $e, first: $first) { ${PAGE} nodes { id } } }`,
            { f: clean, e: episodeFilter, first },
          );
        },
      ),
      { numRuns: 60, seed: 5 },
    );
  });

  it('search: words, several words, phrases, stop words, unknown words, filters and pages', async () => {
    const turns = [...archive.turns];
    const wordsOf = turns.map((t) => words(t.text));
    // Words weighted by how often they occur (a random word of a random turn), so frequent words come up.
    const word = fc.nat({ max: turns.length - 1 }).chain((i) => {
      const list = wordsOf[i]!;
      return list.length === 0 ? fc.constant('the') : fc.constantFrom(...list);
    });
    const phrase = fc
      .nat({ max: turns.length - 1 })
      .chain((i) => {
        const list = wordsOf[i]!;
        return fc.integer({ min: 0, max: Math.max(0, list.length - 2) }).map((at) => list.slice(at, at + 2 + (at % 2)));
      })
      .filter((p) => p.length >= 2)
      .map((p) => `"${p.join(' ')}"`);
    const query = fc
      .array(
        fc.oneof(
          { weight: 4, arbitrary: word },
          { weight: 2, arbitrary: phrase },
          fc.constantFrom(
            'the',
            '"and the"',
            'zzzqx',
            "o'brien's",
            "back\\slash 'quote'",
            'Ünïcödé STRASSE straße',
            '"it\'s the"',
          ),
        ),
        {
          minLength: 1,
          maxLength: 3,
        },
      )
      .map((parts) => parts.join(' '));
    const id = (list: string[]) => fc.option(orUnknown(some(list)), { nil: undefined, freq: 3 });
    await fc.assert(
      fc.asyncProperty(
        query,
        fc.record({
          seriesId: id(archive.series.map((s) => s.id)),
          episodeId: id(archive.episodes.map((e) => e.id)),
          segmentId: id(archive.segments.map((s) => s.id)),
          speakerId: id(archive.speakers.map((s) => s.id)),
        }),
        pageArgs,
        async (q, filter, { first }) => {
          const f = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined));
          await same(
            `query($q: String!, $f: SearchFilter, $first: Int) { search(query: $q, filter: $f, first: $first) {
              ${PAGE} totalCountIsExact edges { cursor score snippet highlights { start end } node { id text } } } }`,
            { q, f, first },
            [walking, indexed],
          );
        },
      ),
      { numRuns: 150, seed: 6 },
    );
  });

  it('_entities: random batches, malformed representations included', async () => {
    const representation = fc.oneof(
      some(archive.series).map((s) => ({ __typename: 'Series', id: s.id })),
      some(archive.episodes).map((e) => ({ __typename: 'Episode', id: e.id })),
      some(archive.episodes).map((e) => ({ __typename: 'Episode', series: { id: e.series.id }, number: e.number })),
      some(archive.segments).map((s) => ({ __typename: 'Segment', id: s.id })),
      fc.nat({ max: archive.turns.length - 1 }).map((p) => ({ __typename: 'Turn', id: archive.turns.at(p)!.id })),
      some(archive.speakers).map((s) => ({ __typename: 'Speaker', id: s.id })),
      some(['Series', 'Episode', 'Segment', 'Turn', 'Speaker']).chain((t) =>
        fc
          .oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant("it's \\ 'quoted'"))
          .map((id) => ({ __typename: t, id })),
      ),
      fc.constantFrom(
        { __typename: 'Turn' },
        { __typename: 'Nope', id: 'x' },
        { __typename: 'Episode', series: null, number: 1 },
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(representation, { maxLength: 60 }), async (r) => {
        await same(
          `query($r: [_Any!]!) { _entities(representations: $r) { __typename
            ... on Series { id title }
            ... on Episode { id number series { id } speakers { name } }
            ... on Segment { id title turns { id } }
            ... on Turn { id text speaker { id } start { smpte } }
            ... on Speaker { id name turnCount } } }`,
          { r },
        );
      }),
      { numRuns: 40, seed: 7 },
    );
  });
});

describe('a router batch over PostgreSQL', () => {
  it('is a handful of queries, not one per representation', async () => {
    const turns = [...archive.turns].slice(0, 400);
    const r = [
      ...turns.map((t) => ({ __typename: 'Turn', id: t.id })),
      ...archive.segments.slice(0, 100).map((s) => ({ __typename: 'Segment', id: s.id })),
    ];
    const before = queries;
    const result = await run(
      follower.backend!,
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Turn { id speaker { name } segment { id } }
        ... on Segment { id episode { id } turns { id } } } }`,
      { r },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data._entities).toHaveLength(r.length);
    expect(r.length).toBeGreaterThan(400);
    // BEGIN with the snapshot's row; turns; segments (of both the representations and the turns); speakers;
    // episodes; the segments' turns; COMMIT.
    expect(queries - before).toBeLessThanOrEqual(8);
  });
});
