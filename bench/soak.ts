/**
 * `npm run soak [-- --seconds 120]`: a bounded soak test, not part of CI. Serves a generated archive with live
 * reload on, drives it with autocannon (its own processes, loopback only) with a mix of valid operations and,
 * separately, invalid ones, while a writer keeps editing, breaking, fixing, adding and deleting transcript files.
 * Reports requests, errors (valid operations must have none), reloads, and heap/RSS at start and end.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startServer } from '../src/server/app.js';
import { readConfig } from '../src/server/config.js';
import { createLogger } from '../src/server/logger.js';
import { generateCorpus, random } from './generate-corpus.js';
import { runLoad } from './load-client.js';

const argv = process.argv.slice(2);
const seconds = Number(argv[argv.indexOf('--seconds') + 1]) || 60;
const dir = mkdtempSync(path.join(os.tmpdir(), 'soak-'));
generateCorpus({ out: dir, episodes: 40, seed: 1 });
const server = await startServer(
  { ...readConfig({}), port: 0, host: '127.0.0.1', dataDir: dir, watch: true, production: true, introspection: false },
  { logger: createLogger('silent') },
);
const archive = server.archive;
const rand = random(2);
const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
const body = (query: string, variables?: object) => JSON.stringify({ query, variables });
const valid = Array.from({ length: 300 }, (_, i) => {
  switch (i % 5) {
    case 0:
      return body('query($id: ID!) { segment(id: $id) { title turns { text speaker { name } } } }', {
        id: pick(archive.segments).id,
      });
    case 1:
      return body(
        'query($a: String) { episodes(first: 20, after: $a) { pageInfo { endCursor } nodes { id durationSeconds } } }',
        {
          a: i % 2 ? null : Buffer.from(`cursor:${i % 30}`).toString('base64url'),
        },
      );
    case 2:
      return body('query($r: [_Any!]!) { _entities(representations: $r) { ... on Turn { id text } } }', {
        r: Array.from({ length: 50 }, () => ({
          __typename: 'Turn',
          id: archive.turns.at(Math.floor(Math.random() * archive.turns.length))!.id,
        })),
      });
    case 3:
      return body('query($q: String!) { search(query: $q, first: 5) { totalCount edges { snippet } } }', {
        q: pick(['schema', 'router cache', 'boring', '"the graph"', 'latency']),
      });
    default:
      return body('{ speakers(first: 10) { nodes { name turnCount } } allSeries { id } }');
  }
});
const invalid = [
  body('{ nope }'),
  body('{ speakers(first: 1000) { totalCount } }'),
  body('{ search(query: "") { totalCount } }'),
  '{"query": ',
  body(`{ ${Array.from({ length: 40 }, (_, i) => `a${i}: allSeries { id }`).join(' ')} }`),
];

async function load(bodies: string[]): Promise<{ rps: number; errors: number; requests: number }> {
  const r = await runLoad(server.url, seconds, bodies);
  return { ...r, requests: Math.round(r.rps * seconds) };
}

// The writer: every 150 ms, one edit somewhere in the archive.
const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.md'));
let edits = 0;
const writer = setInterval(() => {
  const file = path.join(dir, pick(files));
  const text = readFileSync(file, 'utf8');
  switch (edits++ % 4) {
    case 0:
      writeFileSync(file, text.replace(/^title: .*$/m, `title: Edited ${edits}`));
      break;
    case 1:
      writeFileSync(file, text.replace('---\n', '---\nepisode: [\n')); // broken: keeps its last good version
      setTimeout(() => writeFileSync(file, text), 100);
      break;
    case 2:
      writeFileSync(
        path.join(dir, `extra-${edits}.md`),
        text.replace(/^slug: .*$/m, `slug: extra-${edits}`).replace(/^chunk: .*$/m, `chunk: ${1000 + edits}`),
      );
      break;
    default: {
      const extras = readdirSync(dir).filter((f) => f.startsWith('extra-'));
      if (extras.length > 0) unlinkSync(path.join(dir, extras[0]!));
    }
  }
}, 150);

(globalThis as { gc?: () => void }).gc?.();
const start = { heapMB: process.memoryUsage().heapUsed / 1e6, rssMB: process.memoryUsage().rss / 1e6 };
const loadsBefore = server.store!.loads;
// Memory every 30 s (after a collection), so growth can be told from a plateau.
const samples: { s: number; heapMB: number; rssMB: number }[] = [];
const began = Date.now();
const sampler = setInterval(() => {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  samples.push({
    s: Math.round((Date.now() - began) / 1000),
    heapMB: +(m.heapUsed / 1e6).toFixed(1),
    rssMB: +(m.rss / 1e6).toFixed(1),
  });
}, 30_000);
console.error(`soak: ${seconds} s against ${server.url}, ${files.length} files, live reload on`);
const [good, bad] = await Promise.all([load(valid), load(invalid)]);
clearInterval(writer);
clearInterval(sampler);
await new Promise((resolve) => setTimeout(resolve, 1000));
(globalThis as { gc?: () => void }).gc?.();
const end = { heapMB: process.memoryUsage().heapUsed / 1e6, rssMB: process.memoryUsage().rss / 1e6 };
const report = {
  seconds,
  valid: { requests: good.requests, rps: Math.round(good.rps), errors: good.errors },
  invalid: { requests: bad.requests, rps: Math.round(bad.rps), refused: bad.errors },
  edits,
  reloads: server.store!.loads - loadsBefore,
  heapMB: { start: +start.heapMB.toFixed(1), end: +end.heapMB.toFixed(1) },
  rssMB: { start: +start.rssMB.toFixed(1), end: +end.rssMB.toFixed(1) },
  samples,
};
console.log(JSON.stringify(report, null, 2));
await server.stop();
rmSync(dir, { recursive: true, force: true });
process.exitCode = good.errors === 0 ? 0 : 1;
