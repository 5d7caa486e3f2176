import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApollo, type RunningServer } from '../../src/server/app.js';
import { createRequestHandler } from '../../src/server/http.js';
import { gql, startTestServer } from '../helpers/server.js';
import { repoPath } from '../helpers/paths.js';

describe('router-only access (ROUTER_SECRET)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({ dataDir: repoPath('data'), config: { routerSecret: 's3cret-value' } });
  });
  afterAll(async () => {
    await server.stop();
  });
  const post = (headers: Record<string, string | undefined>) =>
    fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(headers as Record<string, string>) },
      body: JSON.stringify({ query: '{ allSeries { id } }' }),
    });

  it('answers 401 UNAUTHENTICATED without the header or with a wrong one', async () => {
    for (const headers of [
      {},
      { 'router-authorization': 's3cret-valuE' },
      { 'router-authorization': '' },
      { authorization: 's3cret-value' },
    ]) {
      const response = await post(headers);
      expect(response.status).toBe(401);
      expect((await response.json()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
  });

  it('serves requests that carry the secret', async () => {
    const response = await post({ 'router-authorization': 's3cret-value' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { allSeries: [{ id: 'the-good-thing' }] } });
  });

  it('keeps /health open for probes and protects downloads', async () => {
    const base = server.url.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/transcripts/the-good-thing-ep3.vtt`)).status).toBe(401);
    const ok = await fetch(`${base}/transcripts/the-good-thing-ep3.vtt`, {
      headers: { 'router-authorization': 's3cret-value' },
    });
    expect(ok.status).toBe(200);
  });

  it('refuses before reading the body: even a malformed request gets 401, not 400', async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(response.status).toBe(401);
  });
});

describe('while the archive loads', () => {
  it('answers /health 503 starting and refuses GraphQL with 503', async () => {
    const apollo = createApollo({ production: true });
    await apollo.start();
    const server = http.createServer(createRequestHandler({ apollo, backend: () => null, maxBodyBytes: 1024 * 1024 }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toEqual({ status: 'starting' });
      const { status } = await gql(`${base}/graphql`, '{ allSeries { id } }');
      expect(status).toBe(503);
    } finally {
      server.close();
      await apollo.stop();
    }
  });
});
