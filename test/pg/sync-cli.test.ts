/**
 * `npm run sync` as a process: its exit codes (0 every file accepted, 2 some rejected, 1 nothing committed), a
 * database it cannot reach, a process killed in the middle of its transaction (nothing changes), and --watch (edits
 * reach the database within a second or two; SIGTERM exits 0).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

import { generateCorpus } from '../../bench/generate-corpus.js';
import { ARCHIVE_CHANNEL, SYNC_LOCK } from '../../src/pg/migrations.js';
import { makeCorpus } from '../helpers/corpus.js';
import { databaseRows } from '../helpers/pg-archive.js';
import { repoPath } from '../helpers/paths.js';
import { createTestDatabase, freePort, type TestDatabase } from '../helpers/postgres.js';

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const COMMAND = ['--import', 'tsx', repoPath('src/cli/sync.ts')];

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runSync(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...COMMAND, ...args],
      { cwd: repoPath('.'), env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
      },
    );
  });
}

async function database(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  return db;
}

function corpus(options: { broken?: boolean } = {}): string {
  const made = makeCorpus(options);
  cleanups.push(() => made.cleanup());
  return made.dir;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

describe('npm run sync', () => {
  it('exits 0 when every file is accepted, 2 when some are rejected (named), 1 on bad arguments', async () => {
    const db = await database();
    const clean = await runSync([corpus()], { DATABASE_URL: db.url });
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^6 files: 6 loaded, 0 rejected; .* version 1 committed \(6 read/m);

    const brokenDir = corpus({ broken: true });
    const broken = await runSync([brokenDir], { DATABASE_URL: db.url });
    expect(broken.code).toBe(2);
    expect(broken.stdout).toContain(
      'broken/key-type.md:3: error: front-matter key "episode" must be a whole number >= 0, got number -1 [KEY_TYPE]',
    );
    expect(broken.stdout).toMatch(/^36 files: 15 loaded, 21 rejected; .* version 2 committed/m);
    const again = await runSync([brokenDir], { DATABASE_URL: db.url });
    expect(again.code).toBe(2);
    expect(again.stdout).toContain(broken.stdout.split('\n')[0]);
    expect(again.stdout).toMatch(/^36 files: 15 loaded, 21 rejected; .* version 2 unchanged \(0 read, 0 removed, 36/m);

    expect((await runSync(['--bogus', 'x'], { DATABASE_URL: db.url })).code).toBe(1);
    const noUrl = await runSync([corpus()], { DATABASE_URL: '' });
    expect(noUrl.code).toBe(1);
    expect(noUrl.stderr).toContain('DATABASE_URL is not set');
    const noFolder = await runSync(['/nonexistent/folder'], { DATABASE_URL: db.url });
    expect(noFolder.code).toBe(1);
    expect(noFolder.stderr).toContain('cannot read /nonexistent/folder');
    expect(
      Number((await query<{ version: string }>(db.url, 'SELECT version FROM transcripts.archive'))[0]!.version),
    ).toBe(2);
  });

  it('exits 1 with a clear message when the database cannot be reached', async () => {
    const port = await freePort();
    const ran = await runSync([corpus()], { DATABASE_URL: `postgres://app:secret@127.0.0.1:${port}/archive` });
    expect(ran.code).toBe(1);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toContain(`sync failed (postgres://app:***@127.0.0.1:${port}/archive): cannot connect`);
    expect(ran.stderr).toContain('ECONNREFUSED');
    expect(ran.stderr).toContain('nothing was committed');
    expect(ran.stderr).not.toContain('secret');
  });

  it('exits 1 when another sync holds the lock past --lock-timeout', async () => {
    const db = await database();
    const dir = corpus();
    expect((await runSync([dir], { DATABASE_URL: db.url })).code).toBe(0);
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    cleanups.push(() => holder.end());
    await holder.query('BEGIN');
    await holder.query('SELECT pg_advisory_xact_lock($1)', [SYNC_LOCK]);
    rmSync(path.join(dir, 'the-good-thing'), { recursive: true });
    const ran = await runSync(['--lock-timeout', '0.3', dir], { DATABASE_URL: db.url });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain('another sync held the lock');
    await holder.query('ROLLBACK');
    expect((await query(db.url, 'SELECT version FROM transcripts.archive'))[0]).toEqual({ version: '1' });
  });

  it('changes nothing when killed in the middle of its transaction', async () => {
    const db = await database();
    expect((await runSync([corpus()], { DATABASE_URL: db.url })).code).toBe(0);
    const before = await databaseRows(db.url);
    const big = mkdtempSync(path.join(tmpdir(), 'pg-sync-big-'));
    cleanups.push(() => rmSync(big, { recursive: true, force: true }));
    generateCorpus({ out: big, episodes: 60, seed: 3 });

    const child = spawn(process.execPath, [...COMMAND, big], {
      cwd: repoPath('.'),
      env: { ...process.env, DATABASE_URL: db.url },
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    // Killed once it is writing turns: the lock is held, rows are going in.
    for (let i = 0; ; i++) {
      const rows = await query(
        db.url,
        `SELECT 1 FROM pg_stat_activity
          WHERE application_name = 'transcript-subgraph' AND query LIKE 'COPY transcripts.turns%' AND state = 'active'`,
      );
      if (rows.length > 0) break;
      expect(i, 'the sync reached its COPY of turns').toBeLessThan(600);
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    // The server ends the transaction when it notices the connection is gone; until then it holds the lock.
    for (let i = 0; ; i++) {
      const held = await query(db.url, "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = $1", [
        SYNC_LOCK,
      ]);
      if (held.length === 0) break;
      expect(i).toBeLessThan(200);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(await databaseRows(db.url)).toEqual(before);
  });

  it('--watch syncs edits within a second or two, and exits 0 on SIGTERM', async () => {
    const db = await database();
    const dir = corpus();
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    cleanups.push(() => listener.end());
    const versions: string[] = [];
    listener.on('notification', (n) => versions.push(n.payload ?? ''));
    await listener.query(`LISTEN ${ARCHIVE_CHANNEL}`);

    const child = spawn(process.execPath, [...COMMAND, '--watch', dir], {
      cwd: repoPath('.'),
      env: { ...process.env, DATABASE_URL: db.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => child.kill('SIGKILL'));
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const until = async (what: string, check: () => boolean | Promise<boolean>, ms: number): Promise<number> => {
      const started = Date.now();
      while (!(await check())) {
        if (Date.now() - started > ms) throw new Error(`not within ${ms} ms: ${what}\n${stdout}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return Date.now() - started;
    };
    await until('the first sync and the watch', () => stdout.includes('watching '), 30_000);

    const file = path.join(dir, 'the-good-thing', 'ep03-06-cosmo-boring-tech-architecture.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace("It's extremely boring.", 'Watched words.'));
    const took = await until(
      'the edit in the database',
      async () =>
        (await query(db.url, "SELECT 1 FROM transcripts.turns WHERE text LIKE 'Watched words.%'")).length === 1,
      2500,
    );
    expect(took).toBeLessThan(2500);
    await listener.query('SELECT 1');
    expect(versions).toEqual(['1', '2']);
    expect(stdout).toMatch(/version 2 committed \(1 read, 0 removed, 5 unchanged\)/);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('stopped');
  });
});
