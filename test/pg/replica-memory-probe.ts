/**
 * A replica's memory after serving the whole archive, for test/pg/replica-memory.test.ts. Run with
 * `node --expose-gc --import tsx test/pg/replica-memory-probe.ts DATABASE_URL [on|off]`: starts the server on the
 * database (response cache, entity views and record cache at their default budgets, or off), makes the same number
 * of requests whatever the archive (a segment by id, and 100 turns by `_entities`, 600 times each, covering the
 * archive) and searches frequent words, then prints one JSON line: RSS and heap after garbage collection.
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

// Every id first (a page of 100 segments at a time), then the same number of requests for either archive, so
// that only the archive's size differs: each segment by id, and every turn by `_entities` in batches of 100.
let after: string | null = null;
const segmentIds: string[] = [];
const turnIds: string[] = [];
do {
  const page = await post(
    `query($after: String) { segments(first: 100, after: $after) { pageInfo { hasNextPage endCursor }
      nodes { id turns { id } } } }`,
    { after },
  );
  for (const s of page.segments.nodes as { id: string; turns: { id: string }[] }[]) {
    segmentIds.push(s.id);
    for (const t of s.turns) turnIds.push(t.id);
  }
  after = page.segments.pageInfo.hasNextPage ? page.segments.pageInfo.endCursor : null;
} while (after);
const REQUESTS = 600;
let segments = 0;
let turns = 0;
for (let i = 0; i < REQUESTS; i++) {
  const id = segmentIds[i % segmentIds.length];
  const found = await post('query($id: ID!) { segment(id: $id) { id title speakers { name } turns { id text } } }', {
    id,
  });
  if (found.segment) segments++;
  const r = Array.from({ length: 100 }, (_, k) => ({
    __typename: 'Turn',
    id: turnIds[(i * 100 + k) % turnIds.length],
  }));
  const entities = await post(
    'query($r: [_Any!]!) { _entities(representations: $r) { ... on Turn { id text speaker { name } } } }',
    { r },
  );
  turns += entities._entities.filter((t: unknown) => t !== null).length;
}
for (const q of ['the', 'and the', '"and the"', 'kubernetes database', 'we']) {
  await post('query($q: String!) { search(query: $q, first: 50) { totalCount nodes { id text } } }', { q });
}

gc();
gc();
const { rss, heapUsed, external } = process.memoryUsage();
console.log(
  JSON.stringify({
    rss,
    heapUsed,
    external,
    segments,
    turns,
    distinctSegments: segmentIds.length,
    distinctTurns: turnIds.length,
  }),
);
await server.stop();
process.exit(0);
