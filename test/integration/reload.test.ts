import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../../src/server/app.js';
import { transcript } from '../helpers/archive.js';
import { makeCorpus, type Corpus } from '../helpers/corpus.js';
import { gql, startTestServer } from '../helpers/server.js';

let corpus: Corpus;
let server: RunningServer;
beforeAll(async () => {
  corpus = makeCorpus();
  server = await startTestServer({ dataDir: corpus.dir, config: { watch: true } });
});
afterAll(async () => {
  await server.stop();
  corpus.cleanup();
});

/** Polls until `check` passes (the watcher reloads within about a second; 5 s leaves room for a busy machine). */
async function eventually(check: () => Promise<void>, timeoutMs = 5000): Promise<void> {
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

const file = (name: string) => path.join(corpus.dir, 'live', name);
const write = (name: string, title: string, chunk = 1) => {
  writeFileSync(
    file(name),
    transcript({ series: 'Live Show', episode: 1, chunk, title }, [
      ['00:00:01:00', '00:00:02:00', 'Ana', `Hello from ${title}.`],
    ]),
  );
};
const title = async (id: string) =>
  (await gql(server.url, `{ segment(id: "${id}") { title } }`)).data.segment?.title ?? null;
const health = async () => (await fetch(server.url.replace('/graphql', '/health'))).json();

describe('live reload (WATCH)', () => {
  it('serves an added file without a restart', async () => {
    mkdirSync(path.join(corpus.dir, 'live'));
    write('one.md', 'First draft');
    await eventually(async () => expect(await title('one')).toBe('First draft'));
  });

  it('serves a changed file, and leaves the archive a request already holds untouched', async () => {
    const before = server.archive;
    write('one.md', 'Second draft');
    await eventually(async () => expect(await title('one')).toBe('Second draft'));
    expect(before.segmentById.get('one')?.title).toBe('First draft');
    // Identity, not toBe: a failing toBe would pretty-print two whole archives.
    expect(server.archive === before).toBe(false);
  });

  it('keeps the last good version of a file broken by an edit, reports it, and takes the fix', async () => {
    const errorsBefore = (await health()).errors;
    writeFileSync(file('one.md'), '---\nseries: Live Show\nepisode: [\n---\n');
    await eventually(async () => expect((await health()).errors).toBe(errorsBefore + 1));
    expect(await title('one')).toBe('Second draft');
    expect(server.archive.diagnostics.some((d) => d.file === 'live/one.md' && d.code === 'YAML_SYNTAX')).toBe(true);
    write('one.md', 'Fixed');
    await eventually(async () => expect(await title('one')).toBe('Fixed'));
    expect((await health()).errors).toBe(errorsBefore);
  });

  it('drops a deleted file and follows a renamed one', async () => {
    write('two.md', 'Two', 2);
    await eventually(async () => expect(await title('two')).toBe('Two'));
    renameSync(file('two.md'), file('three.md'));
    await eventually(async () => {
      expect(await title('two')).toBeNull();
      expect(await title('three')).toBe('Two');
    });
    rmSync(file('three.md'));
    await eventually(async () => expect(await title('three')).toBeNull());
  });

  it('coalesces a burst of writes into one or two reloads', async () => {
    // Let any reload still pending from the previous test finish first.
    await new Promise((resolve) => setTimeout(resolve, 700));
    const loadsBefore = server.store!.loads;
    for (let i = 0; i < 200; i++) write(`burst-${i}.md`, `Burst ${i}`, 100 + i);
    await eventually(async () => expect(await title('burst-199')).toBe('Burst 199'));
    const { data } = await gql(
      server.url,
      '{ segments(filter: { seriesId: "live-show" }, first: 100) { totalCount } }',
    );
    expect(data.segments.totalCount).toBe(201);
    expect(server.store!.loads - loadsBefore).toBeLessThanOrEqual(2);
  });
});
