import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { startServer, type RunningServer } from '../../src/server/app.js';
import { readConfig } from '../../src/server/config.js';
import { transcript } from '../helpers/archive.js';
import { writeConfigMap } from '../helpers/configmap.js';
import { gql, startTestServer } from '../helpers/server.js';

// Watching again is retried at most 2 s apart and the folder is checked every second: 15 s is room for a busy machine.
async function eventually(check: () => Promise<void>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

let base: string;
let data: string;
let server: RunningServer | undefined;
beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'watch-'));
  data = path.join(base, 'data');
  mkdirSync(path.join(data, 'show'), { recursive: true });
  write('show/one.md', 'First', 1);
});
afterEach(async () => {
  await server?.stop();
  server = undefined;
  rmSync(base, { recursive: true, force: true });
});

function text(title: string, chunk: number): string {
  return transcript({ series: 'Watched', episode: 1, chunk, title }, [
    ['00:00:01:00', '00:00:02:00', 'Ana', `Hello from ${title}.`],
  ]);
}
function write(name: string, title: string, chunk: number, dir = data): void {
  writeFileSync(path.join(dir, name), text(title, chunk));
}
const title = async (id: string): Promise<string | null> =>
  (await gql(server!.url, `{ segment(id: "${id}") { title } }`)).data.segment?.title ?? null;
const health = async (): Promise<{ httpStatus: number; [key: string]: unknown }> => {
  const response = await fetch(server!.url.replace('/graphql', '/health'));
  return { httpStatus: response.status, ...((await response.json()) as object) };
};

describe('live reload recovers when DATA_DIR itself moves', () => {
  it('watches again after `mv data x; mv x data`, and serves edits made after', async () => {
    server = await startTestServer({ dataDir: data, config: { watch: true } });
    expect(await health()).toMatchObject({ httpStatus: 200, watch: 'ok' });
    renameSync(data, path.join(base, 'x'));
    await eventually(async () => expect((await health()).watch).toBe('failed'));
    renameSync(path.join(base, 'x'), data);
    await eventually(async () => expect((await health()).watch).toBe('ok'));
    write('show/one.md', 'Edited after the move', 1);
    await eventually(async () => expect(await title('one')).toBe('Edited after the move'));
  });

  it('serves edits after an instant move away and back', async () => {
    server = await startTestServer({ dataDir: data, config: { watch: true } });
    renameSync(data, path.join(base, 'x'));
    renameSync(path.join(base, 'x'), data);
    write('show/two.md', 'Two', 2);
    await eventually(async () => expect(await title('two')).toBe('Two'));
    write('show/one.md', 'Edited', 1);
    await eventually(async () => expect(await title('one')).toBe('Edited'));
    expect((await health()).watch).toBe('ok');
  });

  it('follows a folder replaced by another (`mv data old; mv new data`)', async () => {
    server = await startTestServer({ dataDir: data, config: { watch: true } });
    const next = path.join(base, 'next');
    cpSync(data, next, { recursive: true });
    write('show/one.md', 'From the new folder', 1, next);
    renameSync(data, path.join(base, 'old'));
    renameSync(next, data);
    await eventually(async () => expect(await title('one')).toBe('From the new folder'));
    // Edits in the new folder show, edits in the old one do not.
    write('show/one.md', 'Stale', 1, path.join(base, 'old'));
    write('show/one.md', 'Edited in the new folder', 1);
    await eventually(async () => expect(await title('one')).toBe('Edited in the new folder'));
    expect((await health()).watch).toBe('ok');
  });

  it('follows DATA_DIR, a symlink, re-pointed to another release (seen by the periodic check alone)', async () => {
    const current = path.join(base, 'current');
    symlinkSync(data, current);
    server = await startTestServer({ dataDir: current, config: { watch: true } });
    const release = path.join(base, 'release-2');
    cpSync(data, release, { recursive: true });
    write('show/one.md', 'Release 2', 1, release);
    // As deploy tools switch releases: a new link renamed over the old one.
    symlinkSync(release, path.join(base, 'current.tmp'));
    renameSync(path.join(base, 'current.tmp'), current);
    await eventually(async () => expect(await title('one')).toBe('Release 2'));
    write('show/one.md', 'Edited in release 2', 1, release);
    await eventually(async () => expect(await title('one')).toBe('Edited in release 2'));
    expect((await health()).watch).toBe('ok');
  });

  it('says watch "failed" while the folder is gone, serving the last archive, and recovers when it is back', async () => {
    const lines: { level: number; msg: string; watch?: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    server = await startServer(
      { ...readConfig({}), port: 0, host: '127.0.0.1', dataDir: data, watch: true },
      { logger },
    );
    rmSync(data, { recursive: true, force: true });
    await eventually(async () =>
      expect(await health()).toMatchObject({ httpStatus: 200, status: 'ok', watch: 'failed' }),
    );
    expect(await title('one')).toBe('First');
    expect(await health()).toMatchObject({ segments: 1 });
    expect(lines.some((l) => l.level === 50 && l.watch === 'failed')).toBe(true);

    mkdirSync(path.join(data, 'show'), { recursive: true });
    write('show/one.md', 'Restored', 1);
    await eventually(async () => expect((await health()).watch).toBe('ok'));
    await eventually(async () => expect(await title('one')).toBe('Restored'));
    expect(lines.some((l) => l.level === 30 && l.watch === 'ok')).toBe(true);
    write('show/two.md', 'New after the restore', 2);
    await eventually(async () => expect(await title('two')).toBe('New after the restore'));
  });

  it('says watch "off" when WATCH is off', async () => {
    server = await startTestServer({ dataDir: data, config: { watch: false } });
    expect(await health()).toMatchObject({ httpStatus: 200, status: 'ok', watch: 'off' });
  });
});

describe('live reload of a Kubernetes ConfigMap volume', () => {
  it('follows an atomic ..data swap, a same-size and same-mtime one included', async () => {
    rmSync(data, { recursive: true });
    mkdirSync(data);
    const mtime = new Date('2024-01-01T00:00:00Z');
    writeConfigMap(data, { 'one.md': text('Version A', 1) }, { mtime });
    server = await startTestServer({ dataDir: data, config: { watch: true } });
    expect(await title('one')).toBe('Version A');
    // Keep the old folder: the swap itself (the rename of ..data) must be noticed, not the clean-up after it.
    writeConfigMap(data, { 'one.md': text('Version B', 1) }, { mtime, keepOld: true });
    expect(statSync(path.join(data, 'one.md')).mtime).toEqual(mtime);
    await eventually(async () => expect(await title('one')).toBe('Version B'));
    // The next update as kubelet makes it (the old folder removed), with a new key.
    writeConfigMap(data, { 'one.md': text('Version C', 1), 'two.md': text('Second key', 2) });
    await eventually(async () => {
      expect(await title('one')).toBe('Version C');
      expect(await title('two')).toBe('Second key');
    });
  });
});
