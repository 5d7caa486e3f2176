import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { listTranscriptFiles } from '../../src/archive/index.js';
import { ArchiveStore } from '../../src/archive/store.js';
import { transcript } from '../helpers/archive.js';

// The walker's readdir with hooks around it, so a test can change the real folder at the exact moment the walker
// reaches a path (a race made deterministic). The hooks only delete or write real files; the real readdir then meets
// what it meets (ENOENT): the walker's and the store's handling of it is what runs, nothing of it is faked.
const hooks = vi.hoisted(() => ({
  before: null as ((dir: string) => void) | null,
  after: null as ((dir: string) => void) | null,
}));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const readdir = async (...args: unknown[]): Promise<unknown> => {
    hooks.before?.(String(args[0]));
    const entries = await (real.readdir as (...a: unknown[]) => Promise<unknown>)(...args);
    hooks.after?.(String(args[0]));
    return entries;
  };
  return { ...real, readdir };
});

let base: string;
let dir: string;
beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'store-'));
  dir = path.join(base, 'data');
  for (const [name, chunk] of [
    ['a/one.md', 1],
    ['b/two.md', 2],
  ] as const) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    write(name, chunk);
  }
});
afterEach(() => {
  hooks.before = hooks.after = null;
  rmSync(base, { recursive: true, force: true });
});

function write(name: string, chunk: number): void {
  writeFileSync(
    path.join(dir, name),
    transcript({ series: 'Store Show', episode: 1, chunk }, [['00:00:01:00', '00:00:02:00', 'Ana', `Chunk ${chunk}.`]]),
  );
}

/** Deletes `folder` just before the walker reads it; returns how many times that happened. */
function deleteWhenReached(folder: string): { count: number } {
  const seen = { count: 0 };
  hooks.before = (target) => {
    if (target !== folder) return;
    rmSync(folder, { recursive: true, force: true });
    seen.count++;
  };
  return seen;
}

describe('a folder that changes during a reload', () => {
  it('skips a subfolder deleted after its parent was listed', async () => {
    const seen = deleteWhenReached(path.join(dir, 'b'));
    expect(await listTranscriptFiles(dir)).toEqual(['a/one.md']);
    expect(seen.count).toBe(1);
  });

  it('does not lose a store reload to a subfolder that vanishes mid-walk', async () => {
    const store = new ArchiveStore(dir);
    expect((await store.reload()).archive.segments.map((s) => s.file)).toEqual(['a/one.md', 'b/two.md']);
    const seen = deleteWhenReached(path.join(dir, 'b'));
    const { archive, removed } = await store.reload();
    expect(seen.count).toBe(1);
    expect(archive.segments.map((s) => s.file)).toEqual(['a/one.md']);
    expect(archive.diagnostics).toEqual([]);
    expect(removed).toBe(1);
  });

  it('answers a reload asked for during another with a reload that starts after it', async () => {
    const store = new ArchiveStore(dir);
    let queued: ReturnType<ArchiveStore['reload']> | undefined;
    hooks.after = (target) => {
      if (target !== dir || queued) return;
      // The running reload has listed the folder: this file and this call come too late for it.
      mkdirSync(path.join(dir, 'c'));
      write('c/three.md', 3);
      queued = store.reload();
    };
    const first = await store.reload();
    expect(first.archive.segments.map((s) => s.file)).toEqual(['a/one.md', 'b/two.md']);
    expect(queued).toBeDefined();
    expect((await queued!).archive.segments.map((s) => s.file)).toEqual(['a/one.md', 'b/two.md', 'c/three.md']);
  });

  it('gives the caller of a queued reload its failure', async () => {
    const store = new ArchiveStore(dir);
    let queued: ReturnType<ArchiveStore['reload']> | undefined;
    hooks.after = (target) => {
      if (target !== dir || queued) return;
      rmSync(dir, { recursive: true, force: true });
      queued = store.reload();
      // Handled at once, so a failure shows in the assertion below rather than as an unhandled rejection.
      queued.catch(() => undefined);
    };
    await store.reload();
    await expect(queued).rejects.toThrow(/ENOENT/);
    // The store is still usable once the folder is back.
    hooks.after = null;
    mkdirSync(path.join(dir, 'a'), { recursive: true });
    write('a/one.md', 1);
    expect((await store.reload()).archive.segments.map((s) => s.file)).toEqual(['a/one.md']);
  });
});
