import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { ArchiveStore } from '../../src/archive/store.js';
import { watchArchive, type Watcher } from '../../src/archive/watch.js';
import { transcript } from '../helpers/archive.js';

// Fault injection: the walker's readdir of one folder fails with EIO a given number of times (a disk or network
// mount hiccup, which no real folder can be made to do on demand). The watcher's retrying is what is under test.
const faults = vi.hoisted(() => ({ dir: '', left: 0 }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const readdir = async (...args: unknown[]): Promise<unknown> => {
    if (String(args[0]) === faults.dir && faults.left > 0) {
      faults.left--;
      throw Object.assign(new Error(`EIO: i/o error, scandir '${faults.dir}'`), { code: 'EIO' });
    }
    return (real.readdir as (...a: unknown[]) => Promise<unknown>)(...args);
  };
  return { ...real, readdir };
});

async function eventually(check: () => void, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

let dir: string;
let watcher: Watcher | undefined;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'watch-unit-'));
  write('one.md', 1);
});
afterEach(() => {
  watcher?.close();
  faults.left = 0;
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, chunk: number): void {
  writeFileSync(
    path.join(dir, name),
    transcript({ series: 'Watched', episode: 1, chunk }, [['00:00:01:00', '00:00:02:00', 'Ana', `Chunk ${chunk}.`]]),
  );
}

describe('watchArchive', () => {
  it('retries a reload that failed, until it succeeds', async () => {
    const store = new ArchiveStore(dir);
    await store.reload();
    const errors: unknown[] = [];
    watcher = watchArchive(store, {
      quietMs: 20,
      maxWaitMs: 100,
      retryMs: 20,
      maxRetryMs: 200,
      onError: (error) => errors.push(error),
    });
    faults.dir = dir;
    faults.left = 2;
    write('two.md', 2);
    await eventually(() => expect(store.archive!.segments.map((s) => s.file)).toEqual(['one.md', 'two.md']));
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['EIO', 'EIO']);
    expect(watcher.state).toBe('ok');
  });

  it('reports failed and ok through onStateChange, and rescans on recovery', async () => {
    const store = new ArchiveStore(dir);
    await store.reload();
    const states: [string, string | undefined][] = [];
    watcher = watchArchive(store, {
      retryMs: 20,
      maxRetryMs: 200,
      onStateChange: (state, error) => states.push([state, (error as NodeJS.ErrnoException | undefined)?.code]),
    });
    rmSync(dir, { recursive: true });
    await eventually(() => expect(watcher!.state).toBe('failed'));
    expect(states).toEqual([['failed', 'ENOENT']]);
    mkdirSync(dir);
    write('three.md', 3);
    await eventually(() => expect(watcher!.state).toBe('ok'));
    expect(states).toEqual([
      ['failed', 'ENOENT'],
      ['ok', undefined],
    ]);
    await eventually(() => expect(store.archive!.segments.map((s) => s.file)).toEqual(['three.md']));
  });
});
