/**
 * The requests of test/pg/replica-memory-probe.ts, from a process of their own (so the replica's RSS is the
 * replica's alone): `node --import tsx test/pg/replica-memory-load.ts URL` prints one JSON line of counts.
 */
const url = process.argv[2];
if (!url) throw new Error('usage: replica-memory-load.ts URL');
const server = { url };
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
// Segments and their turn counts only: the probe's own memory must not grow with the archive either.
const segmentIds: string[] = [];
const turnCounts: number[] = [];
let distinctTurns = 0;
do {
  const page = await post(
    `query($after: String) { segments(first: 100, after: $after) { pageInfo { hasNextPage endCursor }
      nodes { id turns { number } } } }`,
    { after },
  );
  for (const s of page.segments.nodes as { id: string; turns: unknown[] }[]) {
    segmentIds.push(s.id);
    turnCounts.push(s.turns.length);
    distinctTurns += s.turns.length;
  }
  after = page.segments.pageInfo.hasNextPage ? page.segments.pageInfo.endCursor : null;
} while (after);
// The k-th turn of the archive, in segment order, cycling.
let cursor = { segment: 0, number: 1 };
const nextTurnId = (): string => {
  while (cursor.number > turnCounts[cursor.segment]!)
    cursor = { segment: (cursor.segment + 1) % segmentIds.length, number: 1 };
  return `${segmentIds[cursor.segment]}#${cursor.number++}`;
};
const REQUESTS = 600;
let segments = 0;
let turns = 0;
for (let i = 0; i < REQUESTS; i++) {
  const id = segmentIds[i % segmentIds.length];
  const found = await post('query($id: ID!) { segment(id: $id) { id title speakers { name } turns { id text } } }', {
    id,
  });
  if (found.segment) segments++;
  const r = Array.from({ length: 100 }, () => ({ __typename: 'Turn', id: nextTurnId() }));
  const entities = await post(
    'query($r: [_Any!]!) { _entities(representations: $r) { ... on Turn { id text speaker { name } } } }',
    { r },
  );
  turns += entities._entities.filter((t: unknown) => t !== null).length;
}
for (const q of ['the', 'and the', '"and the"', 'kubernetes database', 'we']) {
  await post('query($q: String!) { search(query: $q, first: 50) { totalCount nodes { id text } } }', { q });
}

console.log(JSON.stringify({ segments, turns, distinctSegments: segmentIds.length, distinctTurns }));
