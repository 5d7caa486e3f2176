/**
 * Planned execution over HTTP: after Apollo has accepted an operation once, repeats are answered from its plan,
 * byte for byte and header for header what Apollo sends; anything a plan cannot answer cleanly still gets
 * Apollo's own answer.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Context } from '../../src/context.js';
import type { RunningServer } from '../../src/server/app.js';
import { makeCorpus, type Corpus } from '../helpers/corpus.js';
import { startTestServer } from '../helpers/server.js';

let corpus: Corpus;
let planned: RunningServer;
let reference: RunningServer;
beforeAll(async () => {
  corpus = makeCorpus();
  // No response cache on either: every request executes.
  planned = await startTestServer({ dataDir: corpus.dir, config: { responseCacheBytes: 0 } });
  reference = await startTestServer({
    dataDir: corpus.dir,
    config: { responseCacheBytes: 0, plannedExecution: false },
  });
});
afterAll(async () => {
  await planned.stop();
  await reference.stop();
  corpus.cleanup();
});

async function post(url: string, body: object, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const seen = [...response.headers].filter(([k]) => !['date', 'keep-alive', 'connection'].includes(k));
  return { status: response.status, headers: Object.fromEntries(seen), body: await response.text() };
}

const SEGMENT = `query Segment($id: ID!) { segment(id: $id) { id title start { smpte seconds } speakers { id name }
  turns { id number text start { smpte } speaker { ...Who } } } } fragment Who on Speaker { id name }`;
const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Turn { id text }
  ... on Episode { id number series { title } } } }`;

describe('planned execution over HTTP', () => {
  it('answers repeats from plans, identical to Apollo, and only after Apollo accepted the operation', async () => {
    const segment = planned.archive.segments[1]!;
    const turn = planned.archive.turns.at(2)!;
    const bodies = [
      { query: SEGMENT, variables: { id: segment.id }, operationName: 'Segment' },
      { query: SEGMENT, variables: { id: 'nobody-here' } },
      {
        query: ENTITIES,
        variables: {
          r: [
            { __typename: 'Turn', id: turn.id },
            { __typename: 'Episode', id: 'nope' },
            { __typename: 'Episode', id: segment.episode.id },
          ],
        },
      },
      { query: '{ allSeries { id title } speakers(first: 2) { totalCount nodes { name } } }' },
      { query: '{ search(query: "graph", first: 3) { totalCount edges { score snippet node { id } } } }' },
    ];
    const before = { ...planned.planned!.stats };
    for (const body of bodies) {
      const expected = await post(reference.url, body);
      expect(expected.status).toBe(200);
      for (let i = 0; i < 3; i++) expect(await post(planned.url, body)).toEqual(expected);
    }
    // The first of each was Apollo's (it plans); the two repeats were planned. The second body reuses the first's
    // plan only when the operation name matches: here it does not (none given), so it is planned on its own.
    expect(planned.planned!.stats.planned - before.planned).toBe(bodies.length * 2);
    expect(planned.planned!.stats.bailed - before.bailed).toBe(0);
  });

  it('hands errors back to Apollo: its status, codes and partial data are what the client gets', async () => {
    const cases = [
      // A variable that does not coerce: Apollo answers 400.
      { query: SEGMENT, variables: { id: { nested: true } }, operationName: 'Segment' },
      // A bad cursor: a field error with partial data.
      { query: '{ episodes(first: 1, after: "not-a-cursor") { totalCount } allSeries { id } }' },
      // An unknown entity type.
      { query: ENTITIES, variables: { r: [{ __typename: 'Nope', id: 'x' }] } },
    ];
    // Plan the operations first with clean requests, so the failing ones really reach a plan.
    await post(planned.url, {
      query: SEGMENT,
      variables: { id: planned.archive.segments[0]!.id },
      operationName: 'Segment',
    });
    await post(planned.url, { query: ENTITIES, variables: { r: [] } });
    const before = { ...planned.planned!.stats };
    for (const body of cases) {
      const expected = await post(reference.url, body);
      expect(expected.body).toContain('"errors"');
      expect(await post(planned.url, body)).toEqual(expected);
    }
    expect(planned.planned!.stats.planned).toBe(before.planned);
    // The coercion failure and the unknown type reached a plan and bailed; the cursor query, sent once, had no
    // plan yet and went straight to Apollo.
    expect(planned.planned!.stats.bailed - before.bailed).toBe(2);
  });

  it('keeps "no operation name" and an empty operation name apart', async () => {
    const query = 'query Named { allSeries { id } }';
    for (let i = 0; i < 2; i++) await post(planned.url, { query });
    const empty = { query, operationName: '' };
    const expected = await post(reference.url, empty);
    expect(expected.body).toContain('"errors"');
    expect(await post(planned.url, empty)).toEqual(expected);
  });

  it('never plans an operation a plugin refused after validation', async () => {
    // An authorization-style plugin: it refuses one operation by name once Apollo has resolved it.
    const refusing: ApolloServerPlugin<Context> = {
      async requestDidStart() {
        return {
          async didResolveOperation({ operationName }) {
            if (operationName === 'Forbidden')
              throw new GraphQLError('not allowed', { extensions: { code: 'FORBIDDEN' } });
          },
        };
      },
    };
    const guarded = await startTestServer({
      dataDir: corpus.dir,
      plugins: [refusing],
      config: { responseCacheBytes: 0 },
    });
    try {
      const body = { query: 'query Forbidden { allSeries { id } }' };
      for (let i = 0; i < 3; i++) {
        const answer = await post(guarded.url, body);
        expect(answer.body).toContain('FORBIDDEN');
      }
      expect(guarded.planned!.stats.planned).toBe(0);
    } finally {
      await guarded.stop();
    }
  });

  it('negotiates content types as Apollo does, per accept header', async () => {
    const body = { query: '{ allSeries { id } }' };
    for (const accept of ['application/graphql-response+json', 'application/json', '*/*']) {
      const expected = await post(reference.url, body, { accept });
      for (let i = 0; i < 2; i++) expect(await post(planned.url, body, { accept })).toEqual(expected);
    }
  });

  it('never plans what Apollo refused, nor traced, GET or APQ requests', async () => {
    const before = { ...planned.planned!.stats };
    const deep = `{ ${'allSeries { episodes { series { '.repeat(5)}id${' } } }'.repeat(5)} }`;
    for (let i = 0; i < 2; i++) {
      const refused = await post(planned.url, { query: deep });
      expect(refused.body).toContain('MAX_DEPTH_EXCEEDED');
    }
    const traced = { query: '{ allSeries { title } }' };
    await post(planned.url, traced);
    const withTrace = await post(planned.url, traced, { 'apollo-federation-include-trace': 'ftv1' });
    expect(withTrace.body).toContain('"ftv1"');
    await post(planned.url, { ...traced, extensions: { clientLibrary: { name: 'x' } } });
    const get = await fetch(`${planned.url}?query=${encodeURIComponent(traced.query)}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(200);
    expect(planned.planned!.stats.planned).toBe(before.planned);
  });
});
