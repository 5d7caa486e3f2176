import http from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../../src/server/app.js';
import { makeCorpus, type Corpus } from '../helpers/corpus.js';
import { gql, startTestServer } from '../helpers/server.js';

let corpus: Corpus;
let server: RunningServer;
let base: string;
beforeAll(async () => {
  corpus = makeCorpus({ broken: true });
  server = await startTestServer({ dataDir: corpus.dir });
  base = server.url.replace(/\/graphql$/, '');
});
afterAll(async () => {
  await server.stop();
  corpus.cleanup();
});

describe('HTTP', () => {
  it('GET /health answers 200 with the archive counts, errors included', async () => {
    const response = await fetch(`${base}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await response.json();
    // 6 good files + 9 loadable fixtures (6 with warnings, 2 first-of-duplicate, file-too-large under the
    // default limit), 2 turns each; 21 rejected files with 23 errors between them.
    expect(body).toEqual({
      status: 'ok',
      series: 4,
      episodes: 5,
      segments: 15,
      turns: 46,
      speakers: 8,
      errors: 23,
      warnings: 6,
      watch: 'ok',
    });
  });

  it('serves every good file next to broken ones', async () => {
    const { data } = await gql(
      server.url,
      '{ segment(id: "ep03-06-cosmo-boring-tech-architecture") { turns { id } } }',
    );
    expect(data.segment.turns).toHaveLength(17);
    const broken = await gql(server.url, '{ segment(id: "key-type") { id } ok: segment(id: "unknown-key") { id } }');
    expect(broken.data).toEqual({ segment: null, ok: { id: 'unknown-key' } });
  });

  it('GET /graphql from a browser shows the Sandbox, opening with an example operation', async () => {
    const response = await fetch(server.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('embeddable-sandbox');
    expect(html).toContain('query Tour');
  });

  it('lets another origin (the hosted Sandbox) query it: CORS preflight and response headers', async () => {
    const preflight = await fetch(server.url, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://studio.apollographql.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('content-type');
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { origin: 'https://studio.apollographql.com', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ allSeries { id } }' }),
    });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.status).toBe(200);
  });

  it('answers GET queries that pass CSRF prevention, and refuses simple requests that do not', async () => {
    const query = encodeURIComponent('{ speaker(id: "stefan") { name } }');
    const ok = await fetch(`${server.url}?query=${query}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(await ok.json()).toEqual({ data: { speaker: { name: 'Stefan' } } });
    const blocked = await fetch(`${server.url}?query=${query}`);
    expect(blocked.status).toBe(400);
  });

  it('refuses bodies over the limit with 413 and broken JSON with 400', async () => {
    const huge = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ allSeries { id } } # ${'x'.repeat(3 * 1024 * 1024)}` }),
    });
    expect(huge.status).toBe(413);
    const broken = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({
      errors: [{ message: 'request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }],
    });
  });

  it('refuses a streamed body (no length declared) once it passes the limit, and keeps serving', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      const chunk = 'x'.repeat(64 * 1024);
      // 3 MiB in chunks, over the 2 MiB default; the server may answer (and close) before the end.
      const write = (left: number): void => {
        if (left === 0 || req.destroyed) return void req.end();
        if (req.write(chunk)) setImmediate(() => write(left - 1));
        else req.once('drain', () => write(left - 1));
      };
      req.write('{"query":"');
      write(48);
    });
    expect(status).toBe(413);
    const after = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ allSeries { id } }' }),
    });
    expect(after.status).toBe(200);
  });

  it('answers 404 for unknown paths and redirects / to /graphql', async () => {
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const root = await fetch(`${base}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/graphql');
  });
});
