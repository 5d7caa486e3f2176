/**
 * The replica's record cache (src/pg/source.ts): bounded by the bytes it holds; one per archive version; and a
 * request never mixes versions: when its snapshot turns out newer than the cache's version (a sync committed before
 * the replica switched), it reads the snapshot alone, and one that already answered from the cache fails with
 * ARCHIVE_UNAVAILABLE ("try again") rather than mix.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { createPool } from '../../src/pg/client.js';
import { PgBackend, RecordCache, type PgShared } from '../../src/pg/source.js';
import { syncedDatabase, syncInto } from '../helpers/backends.js';
import { makeCorpus } from '../helpers/corpus.js';

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('RecordCache', () => {
  it('holds no more than its budget, evicting the least recently used', () => {
    const cache = new RecordCache(20_000, { hits: 0, misses: 0 });
    for (let i = 0; i < 1000; i++) cache.set(`turn\u0000s#${i}`, { id: `s#${i}`, text: 'x'.repeat(100) });
    expect(cache.bytes).toBeGreaterThan(15_000);
    expect(cache.bytes).toBeLessThanOrEqual(20_000);
    expect(cache.get('turn\u0000s#999')).toBeDefined();
    expect(cache.get('turn\u0000s#0')).toBeUndefined();
    expect(cache.stats).toEqual({ hits: 1, misses: 1 });
  });
});

describe('a version change in the middle of a request', () => {
  it('reads the newer snapshot alone, or refuses to mix it with cached records', async () => {
    const corpus = makeCorpus();
    cleanups.push(() => corpus.cleanup());
    const db = await syncedDatabase(corpus.dir);
    cleanups.push(() => db.drop());
    const pool = createPool(db.url, { max: 2, statementTimeoutMs: 0 });
    cleanups.push(() => pool.end());
    const shared: PgShared = { pool, onConnectionError: () => {}, recordBytes: 1024 * 1024 };
    const version = (await pool.query('SELECT version::text AS v FROM transcripts.archive')).rows[0].v as string;
    const stats = { series: 0, episodes: 0, segments: 0, turns: 0, speakers: 0, files: 0, errors: 0, warnings: 0 };
    const backend = new PgBackend(shared, { version, stats });
    const SEGMENT = 'ep03-06-cosmo-boring-tech-architecture';

    // Version 1 read and kept.
    const first = backend.forRequest();
    const [segment] = await first.segmentsByIds([SEGMENT]);
    const turns = await first.segmentTurns(segment!);
    first.close();
    expect(backend.records!.bytes).toBeGreaterThan(0);

    // A sync commits version 2; this replica has not heard of it yet.
    const file = path.join(corpus.dir, 'the-good-thing', `${SEGMENT}.md`);
    writeFileSync(file, readFileSync(file, 'utf8').replace("It's extremely boring.", 'Version two.'));
    expect((await syncInto(db.url, corpus.dir)).changed).toBe(true);

    // Cache hits, then a read the cache cannot answer: refused, not mixed.
    const mixed = backend.forRequest();
    const [again] = await mixed.segmentsByIds([SEGMENT]);
    expect(again).toBe(segment);
    await expect(mixed.speakersByIds(['nobody-here'])).rejects.toThrow(/changed while this request read it/);
    mixed.close();

    // A request that starts with the database reads version 2 throughout, and keeps none of it in version 1's cache.
    const fresh = backend.forRequest();
    await fresh.speakersByIds(['nobody-here']);
    const [newer] = await fresh.segmentsByIds([SEGMENT]);
    expect(newer).not.toBe(segment);
    const texts = (await fresh.segmentTurns(newer!)).map((t) => t.text).join(' ');
    expect(texts).toContain('Version two.');
    fresh.close();
    const old = backend.forRequest();
    expect((await old.segmentTurns(segment!)).map((t) => t.text)).toEqual(turns.map((t) => t.text));
    old.close();
  });
});
