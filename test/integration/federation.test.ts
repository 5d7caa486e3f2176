import { Kind, parse, print } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { RunningServer } from '../../src/server/app.js';
import { makeCorpus, type Corpus } from '../helpers/corpus.js';
import { gql, startTestServer } from '../helpers/server.js';

let corpus: Corpus;
let server: RunningServer;
const batches: [string, number][] = [];
beforeAll(async () => {
  corpus = makeCorpus();
  server = await startTestServer({
    dataDir: corpus.dir,
    onBatch: (type, size) => batches.push([type, size]),
    config: { responseCacheBytes: 0 },
  });
});
afterAll(async () => {
  await server.stop();
  corpus.cleanup();
});
beforeEach(() => {
  batches.length = 0;
});

const ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Series { id title }
    ... on Episode { id number series { id } }
    ... on Segment { id title }
    ... on Turn { id text }
    ... on Speaker { id name }
  }
}`;

describe('federation', () => {
  it('_service { sdl } declares every @key and the Federation 2 link', async () => {
    const { data } = await gql(server.url, '{ _service { sdl } }');
    const document = parse(data._service.sdl as string);
    const directives = new Map<string, string[]>();
    for (const def of document.definitions) {
      if (def.kind !== Kind.OBJECT_TYPE_DEFINITION || !def.directives?.length) continue;
      directives.set(
        def.name.value,
        def.directives.map((d) => print(d)),
      );
    }
    expect(Object.fromEntries(directives)).toEqual({
      Series: ['@key(fields: "id")'],
      Episode: ['@key(fields: "id")', '@key(fields: "series { id } number")'],
      Segment: ['@key(fields: "id")'],
      Turn: ['@key(fields: "id")'],
      Speaker: ['@key(fields: "id")'],
      Timecode: ['@shareable'],
      PageInfo: ['@shareable'],
      TextRange: ['@shareable'],
    });
    const link = document.definitions.find((d) => d.kind === Kind.SCHEMA_EXTENSION);
    expect(link && print(link)).toContain(
      '@link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable", "@tag", "@cost", "@listSize"])',
    );
  });

  it('_entities resolves every entity type, both Episode keys, and unknown keys to null', async () => {
    const representations = [
      { __typename: 'Series', id: 'northern-lights' },
      { __typename: 'Episode', id: 'the-good-thing-ep3' },
      { __typename: 'Episode', series: { id: 'northern-lights' }, number: 2 },
      { __typename: 'Segment', id: 'e02' },
      { __typename: 'Turn', id: 'e02#1' },
      { __typename: 'Speaker', id: 'bjorn-schwenzer' },
      { __typename: 'Series', id: 'nope' },
      { __typename: 'Episode', id: 'nope' },
      { __typename: 'Episode', series: { id: 'northern-lights' }, number: 99 },
      { __typename: 'Segment', id: 'nope' },
      { __typename: 'Turn', id: 'e02#99' },
      { __typename: 'Speaker', id: 'nope' },
    ];
    const { data, errors } = await gql(server.url, ENTITIES, { representations });
    expect(errors).toBeUndefined();
    expect(data._entities).toEqual([
      { __typename: 'Series', id: 'northern-lights', title: 'Northern Lights' },
      { __typename: 'Episode', id: 'the-good-thing-ep3', number: 3, series: { id: 'the-good-thing' } },
      { __typename: 'Episode', id: 'northern-lights-ep2', number: 2, series: { id: 'northern-lights' } },
      { __typename: 'Segment', id: 'e02', title: 'Extra Episode' },
      { __typename: 'Turn', id: 'e02#1', text: 'A bonus episode with a guest from another show.' },
      { __typename: 'Speaker', id: 'bjorn-schwenzer', name: 'Björn Schwenzer' },
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
  });

  it('resolves 1,000 representations in one batch of look-ups', async () => {
    const turnIds = Array.from({ length: 1000 }, (_, i) => `ep03-06-cosmo-boring-tech-architecture#${(i % 17) + 1}`);
    const representations = turnIds.map((id) => ({ __typename: 'Turn', id }));
    const { data, errors } = await gql(server.url, ENTITIES, { representations });
    expect(errors).toBeUndefined();
    expect(data._entities).toHaveLength(1000);
    expect(data._entities.map((e: { id: string }) => e.id)).toEqual(turnIds);
    expect(data._entities[16].text).toBe('And,');
    expect(batches).toEqual([['turn', 1000]]);
  });

  it('batches per type when a call mixes types', async () => {
    const representations = [
      ...Array.from({ length: 300 }, () => ({ __typename: 'Speaker', id: 'stefan' })),
      ...Array.from({ length: 200 }, () => ({ __typename: 'Segment', id: 'e02' })),
      ...Array.from({ length: 100 }, (_, i) => ({
        __typename: 'Episode',
        series: { id: 'northern-lights' },
        number: (i % 3) + 1,
      })),
    ];
    const { data } = await gql(server.url, ENTITIES, { representations });
    expect(data._entities.filter((e: unknown) => e === null)).toHaveLength(33);
    expect(batches.sort()).toEqual([
      ['episode', 100],
      ['segment', 200],
      ['speaker', 300],
    ]);
  });
});
