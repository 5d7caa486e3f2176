import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { ifNoneMatchHits } from '../../src/server/downloads.js';
import { transcript } from '../helpers/archive.js';
import { BACKENDS, serveCorpus } from '../helpers/backends.js';
import { makeCorpus } from '../helpers/corpus.js';
import { startTestServer } from '../helpers/server.js';

const EPISODE = 'the-good-thing-ep3';
const DOWNLOADS = [
  `transcripts/${EPISODE}.vtt`,
  `transcripts/${EPISODE}.srt`,
  `transcripts/${EPISODE}.json`,
  `transcripts/${EPISODE}.txt`,
  `chapters/${EPISODE}.json`,
];

// One suite, both backends: the in-memory archive and PostgreSQL holding the same folder.
describe.each(BACKENDS)('over %s', (kind) => {
  const served = serveCorpus(kind);

  const get = (file: string, headers: Record<string, string> = {}, method = 'GET') =>
    fetch(`${served.base}/${file}`, { method, headers });

  describe('downloads: HTTP caching', () => {
    it('sends a strong ETag and Cache-Control; If-None-Match with it answers 304, no body, the same ETag', async () => {
      for (const file of DOWNLOADS) {
        const first = await get(file);
        expect(first.status, file).toBe(200);
        const etag = first.headers.get('etag')!;
        expect(etag, file).toMatch(/^"[A-Za-z0-9_-]{20,}"$/);
        expect(first.headers.get('cache-control')).toBe('public, max-age=300, must-revalidate');
        await first.text();
        const again = await get(file, { 'if-none-match': etag });
        expect(again.status, file).toBe(304);
        expect(again.headers.get('etag')).toBe(etag);
        expect(again.headers.get('cache-control')).toBe('public, max-age=300, must-revalidate');
        expect(await again.text()).toBe('');
      }
    });

    it('matches If-None-Match lists, weak tags and `*`; anything else gets the body', async () => {
      const file = `transcripts/${EPISODE}.vtt`;
      const etag = (await get(file)).headers.get('etag')!;
      for (const header of [`"nope", ${etag}`, `W/${etag}`, '*', `"a",W/"b" , ${etag}`]) {
        expect((await get(file, { 'if-none-match': header })).status, header).toBe(304);
      }
      for (const header of ['"nope"', etag.slice(1, -1), `${etag.slice(0, -2)}"`]) {
        const response = await get(file, { 'if-none-match': header });
        expect(response.status, header).toBe(200);
        expect((await response.text()).startsWith('WEBVTT')).toBe(true);
      }
    });

    it('answers HEAD with the headers of GET and no body; other methods with 405', async () => {
      const file = `chapters/${EPISODE}.json`;
      const full = await get(file);
      const body = await full.text();
      const head = await get(file, {}, 'HEAD');
      expect(head.status).toBe(200);
      for (const name of ['etag', 'content-type', 'content-length', 'content-disposition', 'cache-control']) {
        expect(head.headers.get(name), name).toBe(full.headers.get(name));
      }
      expect(Number(head.headers.get('content-length'))).toBe(Buffer.byteLength(body));
      expect(await head.text()).toBe('');
      const post = await get(file, {}, 'POST');
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
    });

    it('names the transcript JSON and the chapters JSON apart', async () => {
      const names = await Promise.all(
        DOWNLOADS.map(async (file) => (await get(file)).headers.get('content-disposition')),
      );
      expect(names).toEqual([
        `inline; filename="${EPISODE}.vtt"`,
        `inline; filename="${EPISODE}.srt"`,
        `inline; filename="${EPISODE}.transcript.json"`,
        `inline; filename="${EPISODE}.txt"`,
        `inline; filename="${EPISODE}.chapters.json"`,
      ]);
    });

    it('gives an episode a new ETag after a reload that changes it, and keeps it after one that does not', async () => {
      const etags = async (episode: string) =>
        Promise.all(
          [`transcripts/${episode}.vtt`, `transcripts/${episode}.json`, `chapters/${episode}.json`].map(async (file) =>
            (await get(file)).headers.get('etag'),
          ),
        );
      const before = await etags(EPISODE);
      // Another episode changes: this one's downloads are the same bytes, so the same tags.
      writeFileSync(
        path.join(served.corpus.dir, 'elsewhere.md'),
        transcript({ series: 'Elsewhere', episode: 1, chunk: 1 }, [['00:00:01:00', '00:00:02:00', 'Ana', 'Hello.']]),
      );
      await served.update();
      expect(served.server.backend()!.stats.episodes).toBe(5);
      expect(await etags(EPISODE)).toEqual(before);
      // A turn's text changes: the transcripts change, the chapters (titles and times) do not.
      const file = path.join(served.corpus.dir, 'the-good-thing', 'ep03-06-cosmo-boring-tech-architecture.md');
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace("It's extremely boring.", "It's extremely boring, really."),
      );
      await served.update();
      const after = await etags(EPISODE);
      expect(after[0]).not.toBe(before[0]);
      expect(after[1]).not.toBe(before[1]);
      expect(after[2]).toBe(before[2]);
      // The old tag no longer matches: the client gets the new text.
      const response = await get(`transcripts/${EPISODE}.vtt`, { 'if-none-match': before[0]! });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('boring, really.');
    });
  });
});

describe('downloads behind ROUTER_SECRET', () => {
  it('are private: no shared cache may keep them', async () => {
    const corpus = makeCorpus();
    const guarded = await startTestServer({ dataDir: corpus.dir, config: { routerSecret: 'dl-secret' } });
    try {
      const response = await fetch(guarded.url.replace(/\/graphql$/, `/transcripts/${EPISODE}.txt`), {
        headers: { 'router-authorization': 'dl-secret' },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('private, max-age=300, must-revalidate');
    } finally {
      await guarded.stop();
      corpus.cleanup();
    }
  });
});

describe('If-None-Match', () => {
  it('compares weakly, by the opaque tag', () => {
    expect(ifNoneMatchHits(undefined, '"a"')).toBe(false);
    expect(ifNoneMatchHits('"a"', '"a"')).toBe(true);
    expect(ifNoneMatchHits('W/"a"', '"a"')).toBe(true);
    expect(ifNoneMatchHits('"b", "a"', '"a"')).toBe(true);
    expect(ifNoneMatchHits(' * ', '"a"')).toBe(true);
    expect(ifNoneMatchHits('"ab"', '"a"')).toBe(false);
    expect(ifNoneMatchHits('a', '"a"')).toBe(false);
  });
});
