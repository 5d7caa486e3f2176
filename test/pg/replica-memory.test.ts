/**
 * A replica's memory does not follow the archive: after the same 1,200 requests over an 8-file
 * archive and over a 3,000-file one from PostgreSQL (600 segments by id, 60,000 turns by `_entities`: nearly all of
 * the large one's), RSS differs by less than 40 MB. The caches that keep answers or records are off here: on, each
 * holds up to its byte budget whatever the archive (test/server/memory.test.ts and record-cache.test.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { generateCorpus } from '../../bench/generate-corpus.js';
import { syncedDatabase } from '../helpers/backends.js';
import { makeCorpus } from '../helpers/corpus.js';
import { repoPath } from '../helpers/paths.js';

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

interface Probe {
  readonly rss: number;
  readonly heapUsed: number;
  readonly segments: number;
  readonly turns: number;
  readonly distinctSegments: number;
  readonly distinctTurns: number;
}

function probe(url: string, caches: 'on' | 'off'): Promise<Probe> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', repoPath('test/pg/replica-memory-probe.ts'), url, caches],
      { cwd: repoPath('.'), timeout: 240_000, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`${String(error)}\n${stderr}`));
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as Probe);
      },
    );
  });
}

describe('a replica over PostgreSQL', () => {
  it('holds about as much memory for 3,000 files as for 8', async () => {
    const small = makeCorpus();
    cleanups.push(() => small.cleanup());
    const dir = mkdtempSync(path.join(tmpdir(), 'replica-memory-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const { files } = generateCorpus({ out: dir, episodes: 215, seed: 3 });
    expect(files).toBeGreaterThanOrEqual(3000);
    const smallDb = await syncedDatabase(small.dir);
    cleanups.push(() => smallDb.drop());
    const largeDb = await syncedDatabase(dir);
    cleanups.push(() => largeDb.drop());

    const a = await probe(smallDb.url, 'off');
    const b = await probe(largeDb.url, 'off');
    // The same requests, all answered; the large archive's every segment and nearly every turn among them.
    expect([a.segments, a.turns, b.segments, b.turns]).toEqual([600, 60_000, 600, 60_000]);
    expect(b.distinctSegments).toBeGreaterThanOrEqual(3000);
    expect(b.distinctTurns).toBeGreaterThan(50 * a.distinctTurns);
    console.log(
      `replica RSS: ${(a.rss / 2 ** 20).toFixed(1)} MiB (8 files), ${(b.rss / 2 ** 20).toFixed(1)} MiB (${files} files)`,
    );
    expect(b.rss - a.rss).toBeLessThan(40 * 2 ** 20);
  }, 300_000);
});
