/**
 * A replica's memory after serving the whole archive, for test/pg/replica-memory.test.ts. The requests come from a
 * child process (test/pg/replica-memory-load.ts). Run with
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
// The requests come from another process: what this one holds is the replica's alone. (Asynchronously: this
// process must go on serving them.)
const { execFile } = await import('node:child_process');
const { promisify } = await import('node:util');
const load = new URL('./replica-memory-load.ts', import.meta.url).pathname;
const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', load, server.url], {
  maxBuffer: 1024 * 1024,
});
const counts = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
  segments: number;
  turns: number;
  distinctSegments: number;
  distinctTurns: number;
};

// Collected, then idle for a moment so the engine can hand freed pages back (its memory reducer runs when idle).
gc();
await new Promise((resolve) => setTimeout(resolve, 1500));
gc();
gc();
const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
console.log(
  JSON.stringify({
    rss,
    heapUsed,
    heapTotal,
    external,
    ...counts,
  }),
);
await server.stop();
process.exit(0);
