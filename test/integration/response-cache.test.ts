import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Archive } from '../../src/archive/types.js';
import type { RunningServer } from '../../src/server/app.js';
import { ResponseCache } from '../../src/server/pipeline/response-cache.js';
import { makeCorpus, type Corpus } from '../helpers/corpus.js';
import { startTestServer } from '../helpers/server.js';

let corpus: Corpus;
let server: RunningServer;
beforeAll(async () => {
  corpus = makeCorpus();
  server = await startTestServer({ dataDir: corpus.dir });
});
afterAll(async () => {
  await server.stop();
  corpus.cleanup();
});

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('response cache', () => {
  it('answers a repeated operation from the cache, byte for byte', async () => {
    const body = JSON.stringify({ query: '{ speaker(id: "stefan") { name turnCount } }' });
    const first = await post(body);
    expect(first.headers.get('x-response-cache')).toBeNull();
    const firstText = await first.text();
    const second = await post(body);
    expect(second.headers.get('x-response-cache')).toBe('hit');
    expect([first.headers.get('cache-control'), second.headers.get('cache-control')]).toEqual(['no-store', 'no-store']);
    expect(second.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect(await second.text()).toBe(firstText);
    expect(JSON.parse(firstText)).toEqual({ data: { speaker: { name: 'Stefan', turnCount: 10 } } });
  });

  it('keys on variables: different variables are different entries', async () => {
    const query = 'query($id: ID!) { speaker(id: $id) { name } }';
    const a = await (await post(JSON.stringify({ query, variables: { id: 'dustin' } }))).json();
    const b = await post(JSON.stringify({ query, variables: { id: 'jens-neuse' } }));
    expect(b.headers.get('x-response-cache')).toBeNull();
    expect([a, await b.json()]).toEqual([
      { data: { speaker: { name: 'Dustin' } } },
      { data: { speaker: { name: 'Jens Neuse' } } },
    ]);
  });

  it('never caches errors, nor requests asking for a federated trace', async () => {
    const bad = JSON.stringify({ query: '{ speakers(first: 1000) { totalCount } }' });
    await post(bad);
    expect((await post(bad)).headers.get('x-response-cache')).toBeNull();
    const traced = JSON.stringify({ query: '{ allSeries { id } }' });
    await post(traced, { 'apollo-federation-include-trace': 'ftv1' });
    const again = await post(traced, { 'apollo-federation-include-trace': 'ftv1' });
    expect(again.headers.get('x-response-cache')).toBeNull();
    expect((await again.json()).extensions?.ftv1).toBeTypeOf('string');
  });

  it('keeps entries per archive, so a new archive starts empty', () => {
    const cache = new ResponseCache(1024 * 1024);
    const [a, b] = [{} as Archive, {} as Archive];
    const headers = { get: (name: string) => (name === 'content-type' ? 'application/json' : undefined) };
    const key = cache.key(headers, '{"query":"{ x }"}')!;
    cache.set(a, key, [['content-type', 'application/json']], '{"data":{"x":1}}');
    expect(cache.get(a, key)?.body.toString()).toBe('{"data":{"x":1}}');
    expect(cache.get(b, key)).toBeUndefined();
    expect(new ResponseCache(0).key(headers, '{}')).toBeNull();
  });
});
