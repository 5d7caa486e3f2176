/**
 * Replicas on one PostgreSQL archive, as an operator runs them: two servers follow `npm run sync -- --watch` through
 * an edit, a broken file, its fix and its deletion (by NOTIFY: the poll is set to ten minutes, so only notifications
 * can carry the change); a database that stops while serving gives 503s and ARCHIVE_UNAVAILABLE, never a hang or a
 * crash, and the replicas heal when it returns; a database down at start, or not yet synced, is waited for.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../../src/server/app.js';
import { readConfig, type DatabaseConfig } from '../../src/server/config.js';
import { syncedDatabase, syncInto } from '../helpers/backends.js';
import { makeCorpus } from '../helpers/corpus.js';
import { repoPath } from '../helpers/paths.js';
import { createTestDatabase, startCluster } from '../helpers/postgres.js';
import { gql, startTestServer } from '../helpers/server.js';

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const SEGMENT = 'ep03-06-cosmo-boring-tech-architecture';
const FILE = path.join('the-good-thing', `${SEGMENT}.md`);

async function replica(url: string, database: Partial<DatabaseConfig> = {}): Promise<RunningServer> {
  const server = await startTestServer({
    dataDir: '/nonexistent',
    config: { database: { ...readConfig({}).database, url, poolMax: 4, ...database } },
  });
  cleanups.push(() => server.stop());
  return server;
}

async function until<T>(what: string, check: () => Promise<T | false>, ms = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await check().catch(() => false as const);
    if (value !== false) return value;
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const health = async (server: RunningServer) => {
  const response = await fetch(server.url.replace(/graphql$/, 'health'), { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

/** The segment's turns' texts, as one string; null when the segment is gone. */
const texts = async (server: RunningServer): Promise<string | null> => {
  const { data } = await gql(server.url, `{ segment(id: "${SEGMENT}") { turns { text } } }`);
  return data.segment && data.segment.turns.map((t: { text: string }) => t.text).join('\n');
};

describe('replicas follow the sync', () => {
  it('two replicas see an edit, a broken file, its fix and its deletion, by NOTIFY', async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const corpus = makeCorpus();
    cleanups.push(() => corpus.cleanup());
    const file = path.join(corpus.dir, FILE);
    const original = readFileSync(file, 'utf8');

    const sync = spawn(process.execPath, ['--import', 'tsx', repoPath('src/cli/sync.ts'), '--watch', corpus.dir], {
      cwd: repoPath('.'),
      env: { ...process.env, DATABASE_URL: db.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => sync.kill('SIGKILL'));
    let out = '';
    sync.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => sync.once('exit', (code) => resolve(code)));
    await until('the first sync', async () => out.includes('watching '), 30_000);

    // Notifications only: a poll every ten minutes would never be in time.
    const replicas = [await replica(db.url, { pollMs: 600_000 }), await replica(db.url, { pollMs: 600_000 })];
    for (const r of replicas) expect(await texts(r)).toContain("It's extremely boring.");
    const all = <T>(what: string, check: (r: RunningServer) => Promise<T | false>) =>
      Promise.all(replicas.map((r) => until(what, () => check(r))));

    writeFileSync(file, original.replace("It's extremely boring.", 'Edited once.'));
    await all('the edit', async (r) => ((await texts(r))?.includes('Edited once.') ? true : false));

    // Broken: both replicas report the error and keep serving the last good version.
    writeFileSync(file, original.replace(/^---\n/, ''));
    await all('the error', async (r) => ((await health(r)).body.errors === 1 ? true : false));
    for (const r of replicas) expect(await texts(r)).toContain('Edited once.');

    writeFileSync(file, original.replace("It's extremely boring.", 'Fixed now.'));
    await all('the fix', async (r) => ((await texts(r))?.includes('Fixed now.') ? true : false));
    for (const r of replicas) expect((await health(r)).body).toMatchObject({ status: 'ok', errors: 0 });

    rmSync(file);
    await all('the deletion', async (r) => ((await texts(r)) === null ? true : false));

    sync.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('a database that goes away', () => {
  it('gives 503 and ARCHIVE_UNAVAILABLE at once while it is down, and the replica heals when it returns', async () => {
    const cluster = await startCluster();
    cleanups.push(() => cluster.stop());
    const corpus = makeCorpus();
    cleanups.push(() => corpus.cleanup());
    const db = await syncedDatabase(corpus.dir, cluster.url);
    const server = await replica(db.url);
    expect((await health(server)).status).toBe(200);

    await cluster.halt();
    await until('/health 503', async () => {
      const { status, body } = await health(server);
      return status === 503 && body.status === 'unavailable';
    });
    // Liveness does not follow the database: restarting the pod would not bring it back.
    expect((await fetch(server.url.replace(/graphql$/, 'health/live'))).status).toBe(200);
    const refused = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ allSeries { id } }' }),
      signal: AbortSignal.timeout(5000),
    });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'ARCHIVE_UNAVAILABLE',
    );

    await cluster.resume();
    await until(
      'recovery',
      async () => (await health(server)).status === 200 && (await gql(server.url, '{ allSeries { id } }')).data,
      20_000,
    );
    const { data, errors } = await gql(server.url, '{ allSeries { id } }');
    expect(errors).toBeUndefined();
    expect(data.allSeries).toHaveLength(3);
  });

  it('a query past the statement timeout is ARCHIVE_UNAVAILABLE, not an internal error, and the server goes on', async () => {
    const corpus = makeCorpus();
    cleanups.push(() => corpus.cleanup());
    const db = await syncedDatabase(corpus.dir);
    cleanups.push(() => db.drop());
    const server = await replica(db.url, { statementTimeoutMs: 200 });
    // Another session holds the series table: the replica's read of it waits, past its statement timeout.
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    cleanups.push(() => locker.end());
    await locker.query('BEGIN; LOCK TABLE transcripts.series IN ACCESS EXCLUSIVE MODE');
    const slow = await gql(server.url, '{ allSeries { id } }');
    expect(slow.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([
      ['ARCHIVE_UNAVAILABLE', 'the archive database did not answer in time'],
    ]);
    await locker.query('ROLLBACK');
    expect((await gql(server.url, '{ allSeries { id } }')).data.allSeries).toHaveLength(3);
    expect((await health(server)).status).toBe(200);
  });
});

describe('a database not there yet', () => {
  it('down at start: the server listens, says starting, retries, and serves once it is up', async () => {
    const cluster = await startCluster();
    cleanups.push(() => cluster.stop());
    const corpus = makeCorpus();
    cleanups.push(() => corpus.cleanup());
    const db = await syncedDatabase(corpus.dir, cluster.url);
    await cluster.halt();
    const server = await replica(db.url);
    expect(await health(server)).toEqual({ status: 503, body: { status: 'starting' } });
    expect((await gql(server.url, '{ allSeries { id } }')).status).toBe(503);
    await cluster.resume();
    await until('serving', async () => (await health(server)).status === 200, 20_000);
    expect((await gql(server.url, '{ allSeries { id } }')).data.allSeries).toHaveLength(3);
  });

  it('never synced: starting until the first sync commits', async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const server = await replica(db.url, { pollMs: 100 });
    expect((await health(server)).body.status).toBe('starting');
    const corpus = makeCorpus();
    cleanups.push(() => corpus.cleanup());
    await syncInto(db.url, corpus.dir);
    await until('serving', async () => (await health(server)).status === 200);
    expect((await health(server)).body).toMatchObject({ status: 'ok', series: 3, errors: 0 });
  });
});
