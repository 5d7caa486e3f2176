/**
 * A replica's memory does not follow the archive: after serving every segment and every turn of an 8-file archive
 * and of a 3,000-file one from PostgreSQL, RSS differs by less than 40 MB. The response cache and entity views are
 * off here: on, they hold up to their byte budgets whatever the archive (test/server/memory.test.ts holds them to it).
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
    expect(b.segments).toBeGreaterThanOrEqual(3000);
    expect(b.turns).toBeGreaterThan(50 * a.turns);
    console.log(
      `replica RSS: ${(a.rss / 2 ** 20).toFixed(1)} MiB (8 files), ${(b.rss / 2 ** 20).toFixed(1)} MiB (${files} files)`,
    );
    expect(b.rss - a.rss).toBeLessThan(40 * 2 ** 20);
  }, 300_000);
});
