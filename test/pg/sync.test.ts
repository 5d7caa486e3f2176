/**
 * The sync (src/pg/sync.ts) against a real PostgreSQL: after every sync the database holds what the in-memory
 * archive holds for the same folder (and the same history: a broken file keeps its last good version in both),
 * column by column; a sync with nothing to do writes nothing; a sync that changes something is heard by LISTEN.
 */
import { appendFileSync, cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generateCorpus } from '../../bench/generate-corpus.js';
import { ArchiveStore, loadArchive, type Archive } from '../../src/archive/index.js';
import { reportLines } from '../../src/cli/sync.js';
import { validate } from '../../src/cli/validate.js';
import { formatDiagnostic } from '../../src/parser/index.js';
import { createPool, type Pool } from '../../src/pg/client.js';
import { ARCHIVE_CHANNEL, SYNC_LOCK } from '../../src/pg/migrations.js';
import { syncFolder, type SyncReport, type SyncResult } from '../../src/pg/sync.js';
import { makeCorpus } from '../helpers/corpus.js';
import { databaseRows, expectedRows } from '../helpers/pg-archive.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A fresh database and a pool on it, both gone after the file. */
async function database(): Promise<{ db: TestDatabase; pool: Pool }> {
  const db = await createTestDatabase();
  const pool = createPool(db.url, { max: 2, statementTimeoutMs: 0 });
  cleanups.push(
    () => db.drop(),
    () => pool.end(),
  );
  return { db, pool };
}

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pg-sync-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function ok(result: SyncResult): SyncReport {
  if (!result.ok) throw new Error(`sync failed: ${result.reason}: ${result.message}`);
  return result;
}

async function expectSame(url: string, archive: Archive): Promise<void> {
  const actual = await databaseRows(url);
  const expected = expectedRows(archive);
  for (const table of Object.keys(expected) as (keyof typeof expected)[]) {
    expect(actual[table], table).toEqual(expected[table]);
  }
}

/** A client LISTENing on the archive channel, collecting payloads. */
async function listener(url: string): Promise<{ heard: string[]; quiet(ms: number): Promise<string[]> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  cleanups.push(() => client.end());
  const heard: string[] = [];
  client.on('notification', (n) => heard.push(n.payload ?? ''));
  await client.query(`LISTEN ${ARCHIVE_CHANNEL}`);
  return {
    heard,
    // Notifications arrive after commit, asynchronously: a round trip on this connection lets them in.
    quiet: async (ms) => {
      await new Promise((r) => setTimeout(r, ms));
      await client.query('SELECT 1');
      return heard.splice(0);
    },
  };
}

describe('the sync against the in-memory archive', () => {
  let corpus: ReturnType<typeof makeCorpus>;
  beforeAll(() => {
    corpus = makeCorpus({ broken: true });
    cleanups.push(() => corpus.cleanup());
  });

  it('loads a corpus with broken files as the archive does, and prints what validate prints', async () => {
    const { db, pool } = await database();
    const report = ok(await syncFolder(pool, corpus.dir));
    const archive = await loadArchive(corpus.dir);
    await expectSame(db.url, archive);
    expect(report).toMatchObject({ changed: true, version: 1, read: 36, removed: 0, unchanged: 0, migrated: [1] });
    expect(report.stats).toEqual(archive.stats);
    // The diagnostics lines are validate's, in its order; the summary counts the same files.
    const printed = reportLines(report);
    const validated = (await validate([corpus.dir])).lines;
    expect(printed.slice(0, -1)).toEqual(validated.slice(0, -1));
    expect(printed.at(-1)).toContain(validated.at(-1)!);
    expect(report.rejected).toHaveLength(21);
    expect(report.keptLastGood).toEqual([]);
  });

  it('leaves the schema as the migrations make it (a first sync rebuilds the GIN indexes it dropped)', async () => {
    const indexes = async (url: string) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'transcripts' ORDER BY indexname",
      );
      await client.end();
      return rows;
    };
    const loaded = await database();
    ok(await syncFolder(loaded.pool, corpus.dir));
    const empty = await database();
    ok(await syncFolder(empty.pool, tempDir()));
    const made = await indexes(empty.db.url);
    expect(made.filter((r) => / USING gin /.test(r.indexdef as string))).toHaveLength(7);
    expect(await indexes(loaded.db.url)).toEqual(made);
  });

  it('loads a generated corpus as the archive does', async () => {
    const dir = tempDir();
    generateCorpus({ out: dir, episodes: 4, seed: 7 });
    const { db, pool } = await database();
    const report = ok(await syncFolder(pool, dir));
    const archive = await loadArchive(dir);
    expect(archive.stats.turns).toBeGreaterThan(500);
    await expectSame(db.url, archive);
    expect(report.rejected).toEqual([]);
  });

  it('writes nothing when nothing changed: same version, no notification, same report', async () => {
    const { db, pool } = await database();
    const first = ok(await syncFolder(pool, corpus.dir));
    const listen = await listener(db.url);
    const again = ok(await syncFolder(pool, corpus.dir));
    expect(again).toMatchObject({ changed: false, version: first.version, read: 0, unchanged: 36 });
    expect(again.diagnostics).toEqual(first.diagnostics);
    expect(again.stats).toEqual(first.stats);
    expect(again.rejected).toEqual(first.rejected);
    expect(await listen.quiet(200)).toEqual([]);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query('SELECT version, synced_at FROM transcripts.archive');
    await client.end();
    expect(rows).toHaveLength(1);
    expect(Number(rows[0].version)).toBe(first.version);
  });
});

describe('the sync follows changes as live reload does', () => {
  it('edits, breaks, fixes, deletes, renames, duplicates: each time the database is the archive', async () => {
    const corpus = makeCorpus();
    cleanups.push(() => corpus.cleanup());
    const dir = corpus.dir;
    const { db, pool } = await database();
    const store = new ArchiveStore(dir);
    const listen = await listener(db.url);
    let version = 0;

    /** Syncs, and checks the database against the store after the same change. */
    const step = async (name: string, expectations: { kept?: string[]; rejected?: string[] } = {}) => {
      const report = ok(await syncFolder(pool, dir));
      const { archive, keptLastGood } = await store.reload();
      expect(report.changed, name).toBe(true);
      expect(report.version, name).toBe(++version);
      await expectSame(db.url, archive);
      // Live reload lists a kept file's errors first; the sync lists every file's diagnostics in file order.
      const lines = (ds: readonly Parameters<typeof formatDiagnostic>[0][]) => ds.map(formatDiagnostic).sort();
      expect(lines(report.diagnostics), name).toEqual(lines(archive.diagnostics));
      expect(report.keptLastGood, name).toEqual(keptLastGood);
      expect(report.keptLastGood, name).toEqual(expectations.kept ?? []);
      expect(report.rejected, name).toEqual(expectations.rejected ?? []);
      expect(await listen.quiet(50), name).toEqual([String(version)]);
      return report;
    };
    const file = (relative: string) => path.join(dir, relative);
    const edit = (relative: string, from: string | RegExp, to: string) => {
      const text = readFileSync(file(relative), 'utf8');
      const changed = text.replace(from, to);
      expect(changed, `${relative}: ${String(from)}`).not.toBe(text);
      writeFileSync(file(relative), changed);
    };
    const good = 'the-good-thing/ep03-06-cosmo-boring-tech-architecture.md';
    const closing = 'northern-lights/season-1/e01-a-closing.md';

    await step('first sync');
    edit(good, "It's extremely boring.", "It's extremely boring, and that's the point.");
    edit(closing, /^(\d\d:\d\d:\d\d:\d\d - \d\d:\d\d:\d\d:\d\d\n)Søren Weiß\n/m, '$1Dustin\n');
    await step('edit two files');
    const before = readFileSync(file(good), 'utf8');
    writeFileSync(file(good), before.replace('episode: 3', 'episode: three'));
    await step('break a file: its last good version stays', { kept: [good], rejected: [good] });
    appendFileSync(file(closing), '\n00:59:00:00 - 00:59:10:00\nAna María López\nA late word.\n');
    await step('change another file while one is broken', { kept: [good], rejected: [good] });
    writeFileSync(file(good), before.replace('Cosmo', 'Cosmo, fixed'));
    await step('fix it');
    // The first spelling of a series title and of a speaker's name, in an earlier file.
    edit(good, 'series: The Good Thing', 'series: THE good thing');
    edit(good, /^Stefan$/m, 'STEFAN');
    await step('rename a series and a speaker in an earlier file');
    // A spelling that sorts first: the three series change places in a cycle.
    edit(good, 'series: THE good thing', 'series: (THE good thing)');
    await step('a spelling that moves a series first');
    // A new series that sorts first: every series moves.
    cpSync(file(closing), file('aardvark/a.md'));
    edit('aardvark/a.md', 'series: Northern Lights', 'series: Aardvark Radio');
    edit('aardvark/a.md', 'title: Closing Thoughts', 'title: First of all\nslug: aardvark-1');
    await step('a series that sorts first');
    // A later file takes a slug an earlier one holds: refused, its rows never loaded.
    const extra = 'northern-lights/season-1/extra/e02.txt';
    edit(extra, 'title: Extra Episode', 'title: Extra Episode\nslug: aardvark-1');
    await step('a duplicate slug in a later file', { rejected: [extra] });
    // The earlier file goes: the later one is accepted and loaded.
    rmSync(file('aardvark'), { recursive: true });
    await step('delete the file it duplicated');
    rmSync(file(closing));
    await step('delete a file');
    renameSync(file(good), file('the-good-thing/zz-moved.md'));
    await step('rename a file (now later in load order)');
  });
});

describe('the lock', () => {
  it('makes a second sync wait, and give up within its lock timeout, changing nothing', async () => {
    const corpus = makeCorpus();
    cleanups.push(() => corpus.cleanup());
    const { db, pool } = await database();
    ok(await syncFolder(pool, corpus.dir));
    const before = await databaseRows(db.url);
    writeFileSync(path.join(corpus.dir, 'the-good-thing', 'new.md'), '---\nseries: X\nepisode: 1\nchunk: 1\n---\n');

    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    cleanups.push(() => holder.end());
    await holder.query('BEGIN');
    await holder.query('SELECT pg_advisory_xact_lock($1)', [SYNC_LOCK]);

    const started = Date.now();
    const refused = await syncFolder(pool, corpus.dir, { lockTimeoutMs: 300 });
    expect(refused).toMatchObject({ ok: false, reason: 'lock' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await databaseRows(db.url)).toEqual(before);

    const waiting = syncFolder(pool, corpus.dir, { lockTimeoutMs: 20_000 });
    let settled = false;
    void waiting.then(() => (settled = true));
    // Seen waiting on the lock by the server itself.
    for (let i = 0; ; i++) {
      const { rows } = await holder.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'`,
      );
      if (rows[0].n === 1) break;
      expect(i).toBeLessThan(100);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(settled).toBe(false);
    await holder.query('COMMIT');
    const report = ok(await waiting);
    expect(report).toMatchObject({ changed: true, version: 2 });
  });
});

describe("PostgreSQL's tsvector limits", () => {
  it('stores positions up to 16383, 256 per word, and leaves out words over 2046 bytes', async () => {
    const dir = tempDir();
    const words = Array.from({ length: 17_000 }, (_, i) => (i % 50 === 0 ? 'alpha' : `w${i % 1000}`));
    words[4] = 'x'.repeat(2100);
    const text = words.join(' ').replace(/(.{1,100})(?: |$)/g, '$1\n');
    writeFileSync(
      path.join(dir, 'long.md'),
      `---\nseries: Limits\nepisode: 1\nchunk: 1\n---\n\n00:00:00:00 - 00:10:00:00\nAna\n${text}`,
    );
    const { db, pool } = await database();
    ok(await syncFolder(pool, dir));
    const [turn] = (await databaseRows(db.url)).turns as { tokens: [string, number[]][]; token_count: number }[];
    expect(turn!.token_count).toBe(17_000);
    const expected = new Map<string, number[]>();
    words.forEach((word, i) => {
      if (word.length > 2046) return;
      const position = Math.min(i + 1, 16_383);
      const list = expected.get(word) ?? [];
      if (list.length < 256 && list.at(-1) !== position) list.push(position);
      expected.set(word, list);
    });
    expect(new Map(turn!.tokens)).toEqual(expected);
    expect(expected.get('alpha')).toHaveLength(256);
    expect(expected.get('w999')).toEqual([
      1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000, 11_000, 12_000, 13_000, 14_000, 15_000, 16_000,
      16_383,
    ]);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query("SELECT df FROM transcripts.terms WHERE term IN ('alpha', $1)", [
      'x'.repeat(2100),
    ]);
    await client.end();
    expect(rows).toEqual([{ df: 1 }]);
  });
});
