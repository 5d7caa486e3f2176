/**
 * What a client can send and what it gets back: malformed requests never end the process, every client mistake is
 * a 4xx with a client code, limits hold through variables and on every repeat, and production suggests no names.
 */
import net from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../../src/server/app.js';
import { repoPath } from '../helpers/paths.js';
import { rawRequest } from '../helpers/raw-http.js';
import { gql, startTestServer } from '../helpers/server.js';

const SEGMENT = 'ep03-06-cosmo-boring-tech-architecture';
const portOf = (server: RunningServer): number => server.port;

async function alive(server: RunningServer, routerSecret?: string): Promise<void> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(routerSecret ? { 'router-authorization': routerSecret } : {}) },
    body: JSON.stringify({ query: '{ allSeries { id } }' }),
  });
  expect(await response.json()).toEqual({ data: { allSeries: [{ id: 'the-good-thing' }] } });
}

/** Request targets and methods no browser sends; each once with and once without a router secret. */
const MALFORMED = [
  'GET // HTTP/1.1',
  'GET //graphql HTTP/1.1',
  'GET /// HTTP/1.1',
  'GET //x/..//graphql HTTP/1.1',
  'OPTIONS * HTTP/1.1',
  'GET http://[::1 HTTP/1.1',
  'GET http://x:99999/graphql HTTP/1.1',
  'GET ?query={allSeries{id}} HTTP/1.1',
  'GET /%E0%A4%A HTTP/1.1',
  'GET /transcripts/%E0%A4%A.vtt HTTP/1.1',
  'GET /chapters/%00.json HTTP/1.1',
  'POST /graphql?%% HTTP/1.1',
  'PROPFIND /graphql HTTP/1.1',
  'DELETE /health HTTP/1.1',
  'GET /graphql?query=%7B HTTP/1.1',
];

describe.each([
  ['without a router secret', undefined],
  ['with a router secret', 'r0uter-secret'],
] as const)('malformed requests %s', (_name, routerSecret) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({ dataDir: repoPath('data'), config: routerSecret ? { routerSecret } : {} });
  });
  afterAll(async () => {
    await server.stop();
  });

  it.each(MALFORMED)('%s gets an answer, and the server keeps serving', async (line) => {
    const secret = routerSecret ? `router-authorization: ${routerSecret}\r\n` : '';
    const { status } = await rawRequest(portOf(server), `${line}\r\nHost: x\r\n${secret}Connection: close\r\n\r\n`);
    expect(status).not.toBeNull();
    expect(status).not.toBe(500);
    await alive(server, routerSecret);
  });

  it('answers a body that is no JSON, a bad content length and a reset mid-body, and keeps serving', async () => {
    const secret = routerSecret ? `router-authorization: ${routerSecret}\r\n` : '';
    const head = `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${secret}`;
    for (const rest of [
      'Content-Length: 5\r\n\r\n\u00ff\u00fe{[}',
      'Content-Length: -1\r\n\r\n{}',
      'Content-Length: 1e3\r\n\r\n{}',
      'Transfer-Encoding: chunked\r\n\r\nzz\r\n',
    ]) {
      const { status } = await rawRequest(portOf(server), `${head}${rest}`, 1000);
      if (status !== null) expect(status).toBeGreaterThanOrEqual(400);
      expect(status).not.toBe(500);
    }
    // Half a body, then the client vanishes.
    const socket = net.connect(portOf(server), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`${head}Content-Length: 100\r\n\r\n{"query":`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.resetAndDestroy();
    await alive(server, routerSecret);
  });
});

describe('client errors over HTTP', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({ dataDir: repoPath('data'), config: { production: true, introspection: false } });
  });
  afterAll(async () => {
    await server.stop();
  });

  it.each([
    ['a syntax error', '{ allSeries { id ', 400, 'GRAPHQL_PARSE_FAILED'],
    ['an unknown field', '{ allSeries { nope } }', 400, 'GRAPHQL_VALIDATION_FAILED'],
    ['a wrong argument type', '{ episode(id: 5.5) { id } }', 400, 'GRAPHQL_VALIDATION_FAILED'],
    ['a token limit refusal', `{ allSeries { ${'id '.repeat(5001)} } }`, 400, 'MAX_TOKENS_EXCEEDED'],
    ['a mutation', 'mutation { anything }', 400, 'GRAPHQL_VALIDATION_FAILED'],
    ['a subscription', 'subscription { anything }', 400, 'GRAPHQL_VALIDATION_FAILED'],
  ])('%s is a 4xx with a client code', async (_name, query, status, code) => {
    const response = await gql(server.url, query);
    expect(response.status).toBe(status);
    expect(response.errors?.[0]?.extensions?.code).toBe(code);
    expect(JSON.stringify(response)).not.toContain('INTERNAL_SERVER_ERROR');
  });

  it('refuses a body nested deeper than the bound before parsing it, and an over-long body by closing', async () => {
    const deep = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"query":"{ allSeries { id } }","variables":{"v":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`,
    });
    expect(deep.status).toBe(400);
    expect((await deep.json()).errors[0]).toMatchObject({ extensions: { code: 'BAD_REQUEST' } });
    // Within the bound, nesting is fine.
    const nested = await gql(server.url, '{ allSeries { id } }', { v: [[[{ a: [1] }]]] });
    expect(nested.status).toBe(200);

    // 1 GB declared and streamed: the server answers 413 and closes instead of reading it all.
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write(
      'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
    );
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    let open = true;
    void closed.then(() => (open = false));
    while (open && sent < 1024 ** 3) {
      const ok = socket.write(`${chunk.length.toString(16)}\r\n`) && socket.write(chunk) && socket.write('\r\n');
      sent += chunk.length;
      if (!ok) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), closed]);
      // Let the answer be read as it arrives: unread, a reset that follows the server's close would discard it.
      else await new Promise((resolve) => setImmediate(resolve));
    }
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 413/);
    expect(received.toLowerCase()).toContain('connection: close');
    // Closed long before a gigabyte went through.
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('malformed _entities representations', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({ dataDir: repoPath('data'), config: { production: true, introspection: false } });
  });
  afterAll(async () => {
    await server.stop();
  });
  const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { __typename
    ... on Turn { id } ... on Episode { id } ... on Segment { id } } }`;

  it.each([
    ['a missing key field', { __typename: 'Turn' }, /Representation 1 is not a key of Turn: "id" is missing/],
    ['an unknown __typename', { __typename: 'Nope', id: 'x' }, /Representation 1 names "Nope"/],
    ['no __typename', { id: 'x' }, /Representation 1 has no "__typename"/],
    ['null where an object key belongs', { __typename: 'Episode', series: null, number: 3 }, /none of Episode's keys/],
    ['a nested key field missing', { __typename: 'Episode', series: {}, number: 3 }, /"series\.id" is missing/],
    [
      'a key field of the wrong type',
      { __typename: 'Episode', series: { id: 'x' }, number: '3' },
      /"number" is not an integer/,
    ],
    ['a string instead of an object', 'Turn', /Representation 1 is not an object/],
    ['an object key that is a list', { __typename: 'Episode', series: [], number: 3 }, /"series" is not an object/],
  ])('%s is BAD_USER_INPUT at its own index; the other representations still resolve', async (_name, bad, message) => {
    const good = { __typename: 'Segment', id: SEGMENT };
    const response = await gql(server.url, ENTITIES, { r: [good, bad, good] });
    expect(response.status).toBe(200);
    expect(response.data._entities).toEqual([
      { __typename: 'Segment', id: SEGMENT },
      null,
      { __typename: 'Segment', id: SEGMENT },
    ]);
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0]).toMatchObject({
      path: ['_entities', 1],
      extensions: { code: 'BAD_USER_INPUT', representationIndex: 1 },
    });
    expect(response.errors![0]!.message).toMatch(message);
  });

  it('accepts either key of Episode, and an id as an integer, with null for what is not there', async () => {
    const response = await gql(server.url, ENTITIES, {
      r: [
        { __typename: 'Episode', series: { id: 'the-good-thing' }, number: 3 },
        { __typename: 'Episode', id: null, series: { id: 'the-good-thing' }, number: 3 },
        { __typename: 'Turn', id: 42 },
      ],
    });
    expect(response.errors).toBeUndefined();
    expect(response.data._entities).toEqual([
      { __typename: 'Episode', id: 'the-good-thing-ep3' },
      { __typename: 'Episode', id: 'the-good-thing-ep3' },
      null,
    ]);
  });
});

describe('no suggestions in production', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({
      dataDir: repoPath('data'),
      config: {
        production: true,
        introspection: false,
        responseCacheBytes: 0,
      },
    });
  });
  afterAll(async () => {
    await server.stop();
  });

  it.each([
    ['an enum value', '{ episode(id: "x") { transcript(format: SRTT) } }', undefined],
    [
      'an enum value through a variable',
      'query($f: TranscriptFormat!) { episode(id: "x") { transcript(format: $f) } }',
      { f: 'SRTT' },
    ],
    ['a field', '{ allSerie { id } }', undefined],
    ['an argument', '{ episode(idd: "x") { id } }', undefined],
    ['a type', 'query($f: TranscriptFormatt) { allSeries { id } }', undefined],
    ['a type condition', '{ _entities(representations: []) { ... on Turnn { id } } }', undefined],
    ['an input field', '{ segments(filter: { topicc: "x" }) { totalCount } }', undefined],
    [
      'an input field through a variable',
      'query($f: SegmentFilter) { segments(filter: $f) { totalCount } }',
      { f: { topicc: 'x' } },
    ],
  ])('%s', async (_name, query, variables) => {
    // Twice: the second request may take another path (plans, caches) and must not suggest either.
    for (let i = 0; i < 2; i++) {
      const response = await gql(server.url, query, variables);
      expect(response.status).toBe(400);
      const messages = response.errors!.map((e) => e.message).join('\n');
      expect(messages).not.toMatch(/did you mean|suggestion/i);
    }
  });
});

describe('cost with variables', () => {
  let server: RunningServer;
  let executed = 0;
  beforeAll(async () => {
    server = await startTestServer({
      dataDir: repoPath('data'),
      plugins: [{ requestDidStart: async () => ({ executionDidStart: async () => void executed++ }) }],
      config: { production: true, introspection: false },
    });
  });
  afterAll(async () => {
    await server.stop();
  });
  const SHAPE = (first: string) =>
    `speakers(first: ${first}) { nodes { turns(first: ${first}) { nodes { text speaker { name } } } } }`;

  it.each([
    ['a literal', `{ ${SHAPE('100')} }`, undefined],
    ['a variable', `query($n: Int) { ${SHAPE('$n')} }`, { n: 100 }],
    ['a variable default', `query($n: Int = 100) { ${SHAPE('$n')} }`, {}],
    [
      'last through a variable',
      `query($n: Int) { speakers(last: $n) { nodes { turns(last: $n) { nodes { text } } } } }`,
      { n: 100 },
    ],
  ])(
    'refuses %s over the limit on the first request and every repeat, executing nothing',
    async (_n, query, variables) => {
      for (let i = 0; i < 3; i++) {
        const before = executed;
        const response = await gql(server.url, query, variables);
        expect(response.status).toBe(400);
        expect(response.errors?.[0]?.extensions?.code).toBe('MAX_COST_EXCEEDED');
        expect(executed).toBe(before);
      }
    },
  );

  it('refuses a planned operation when its variables make it too costly, and serves it when they do not', async () => {
    const query = `query($n: Int) { ${SHAPE('$n')} }`;
    // Small variables first: accepted by Apollo, then answered by the plan (different bodies: no cache hits).
    for (const n of [1, 2, 3]) expect((await gql(server.url, query, { n })).status).toBe(200);
    const planned = server.planned!.stats.planned;
    expect(planned).toBeGreaterThan(0);
    for (const n of [100, 60]) {
      const response = await gql(server.url, query, { n });
      expect(response.errors?.[0]?.extensions?.code).toBe('MAX_COST_EXCEEDED');
    }
    expect(server.planned!.stats.planned).toBe(planned);
    // A cached answer is only ever one that passed: the same body again is still served.
    expect((await gql(server.url, query, { n: 2 })).status).toBe(200);
  });
});
