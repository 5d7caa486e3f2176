/**
 * A replica's memory after serving the whole archive, for test/pg/replica-memory.test.ts. Run with
 * `node --expose-gc --import tsx test/pg/replica-memory-probe.ts DATABASE_URL [on|off]`: starts the server on the
 * database (response cache and entity views at their default budgets, or off), pages through every segment, asks for every turn by `_entities` in router-sized
 * batches and searches frequent words, then prints one JSON line: RSS and heap after garbage collection.
 */
import { startServer } from '../../src/server/app.js';
import { readConfig } from '../../src/server/config.js';
import { createLogger } from '../../src/server/logger.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const [url, caches = 'on'] = process.argv.slice(2);
if (!url) throw new Error('usage: replica-memory-probe.ts DATABASE_URL [on|off]');
const off =
  caches === 'off' ? { RESPONSE_CACHE_MAX_BYTES: '0', ENTITY_VIEWS_MAX_BYTES: '0', DATABASE_CACHE_MAX_BYTES: '0' } : {};

const server = await startServer(
  { ...readConfig({ DATABASE_URL: url, PORT: '0', HOST: '127.0.0.1', ...off }) },
  { logger: createLogger('silent') },
);
const post = async (query: string, variables: Record<string, unknown> = {}) => {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors).slice(0, 500));
  return body.data;
};

let after: string | null = null;
let segments = 0;
let turns = 0;
do {
  const page = await post(
    `query($after: String) { segments(first: 100, after: $after) { pageInfo { hasNextPage endCursor }
      nodes { id title speakers { name } turns { id } } } }`,
    { after },
  );
  segments += page.segments.nodes.length;
  const ids: string[] = page.segments.nodes.flatMap((s: { turns: { id: string }[] }) => s.turns.map((t) => t.id));
  for (let i = 0; i < ids.length; i += 100) {
    const r = ids.slice(i, i + 100).map((id) => ({ __typename: 'Turn', id }));
    const found = await post(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Turn { id text speaker { name } } } }',
      { r },
    );
    turns += found._entities.length;
  }
  after = page.segments.pageInfo.hasNextPage ? page.segments.pageInfo.endCursor : null;
} while (after);
for (const q of ['the', 'and the', '"and the"', 'kubernetes database', 'we']) {
  await post('query($q: String!) { search(query: $q, first: 50) { totalCount nodes { id text } } }', { q });
}

gc();
gc();
const { rss, heapUsed, external } = process.memoryUsage();
console.log(JSON.stringify({ rss, heapUsed, external, segments, turns }));
await server.stop();
process.exit(0);
