/**
 * `_entities` two ways: the synchronous pass over the archive, and @apollo/subgraph's resolver with
 * `__resolveReference` and DataLoaders (the reference). For random batches of representations (every entity type,
 * both Episode keys, unknown ids, integers, malformed ones, duplicates) the answers are identical, errors included,
 * and the fast path's list holds no promise.
 */
import fc from 'fast-check';
import { execute, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadArchive } from '../../src/archive/index.js';
import type { Archive } from '../../src/archive/types.js';
import { createContext } from '../../src/context.js';
import { createSchema } from '../../src/schema.js';
import { makeCorpus, type Corpus } from '../helpers/corpus.js';

let corpus: Corpus;
let archive: Archive;
beforeAll(async () => {
  corpus = makeCorpus();
  archive = await loadArchive(corpus.dir);
});
afterAll(() => corpus.cleanup());

const QUERY = parse(`query($r: [_Any!]!) { _entities(representations: $r) { __typename
  ... on Series { id title }
  ... on Episode { id number series { id } speakers { name } }
  ... on Segment { id title turns { id } }
  ... on Turn { id text speaker { id } start { smpte } }
  ... on Speaker { id name turnCount } } }`);

describe('_entities: the synchronous pass against @apollo/subgraph with DataLoaders', () => {
  it('gives the same answers for random batches of representations', async () => {
    const fast = createSchema();
    const reference = createSchema({ fast: false });
    const representation = fc.oneof(
      fc.constantFrom(...archive.series).map((s) => ({ __typename: 'Series', id: s.id })),
      fc.constantFrom(...archive.episodes).map((e) => ({ __typename: 'Episode', id: e.id })),
      fc
        .constantFrom(...archive.episodes)
        .map((e) => ({ __typename: 'Episode', series: { id: e.series.id }, number: e.number })),
      fc.constantFrom(...archive.segments).map((s) => ({ __typename: 'Segment', id: s.id })),
      fc.nat({ max: archive.turns.length - 1 }).map((p) => ({ __typename: 'Turn', id: archive.turns.at(p)!.id })),
      fc.constantFrom(...archive.speakers).map((s) => ({ __typename: 'Speaker', id: s.id })),
      fc
        .constantFrom('Series', 'Episode', 'Segment', 'Turn', 'Speaker')
        .chain((t) => fc.oneof(fc.string({ maxLength: 8 }), fc.integer()).map((id) => ({ __typename: t, id }))),
      fc.constantFrom(
        { __typename: 'Turn' },
        { __typename: 'Nope', id: 'x' },
        { __typename: 'Episode', series: null, number: 1 },
        { __typename: 'Episode', id: null, series: { id: 'northern-lights' }, number: 2 },
        { __typename: 'Turn', id: 'e02#01' },
        'Turn',
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(representation, { maxLength: 30 }), async (r) => {
        const run = async (schema: typeof fast) =>
          JSON.parse(
            JSON.stringify(
              await execute({ schema, document: QUERY, variableValues: { r }, contextValue: createContext(archive) }),
            ),
          );
        expect(await run(fast)).toEqual(await run(reference));
      }),
      { numRuns: 300 },
    );
  });

  it('answers a batch with no promise in the list', () => {
    const resolve = createSchema().getQueryType()!.getFields()._entities!.resolve!;
    const representations = archive.turns.slice(0, 20).map((t) => ({ __typename: 'Turn', id: t.id }));
    const out = resolve(undefined, { representations }, createContext(archive), {} as never) as unknown[];
    expect(out).toHaveLength(20);
    for (const item of out) expect(item instanceof Promise).toBe(false);
    expect((out as { id: string }[]).map((t) => t.id)).toEqual(representations.map((r) => r.id));
  });
});
