/**
 * Fuzzing the HTTP layer of a live server process: random request lines, targets, headers and bodies, sent as raw
 * bytes. The process never exits, never answers 500 (a bug of ours), and still serves a normal request after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { repoPath } from '../helpers/paths.js';
import { rawRequest } from '../helpers/raw-http.js';

const SECRET = 'fuzz-secret';
let child: ChildProcess;
let port: number;
let exitCode: number | null | undefined;

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', repoPath('src/server/main.ts')], {
    cwd: repoPath('.'),
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: 'data', NODE_ENV: 'production', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.once('exit', (code) => (exitCode = code));
  port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as { url?: string };
      if (entry.url) resolve(Number(new URL(entry.url).port));
    });
  });
}, 30_000);

afterAll(() => {
  child.kill('SIGKILL');
});

const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/);
const anyText = (max: number) => fc.string({ maxLength: max, unit: 'binary' });
const method = fc.oneof(
  fc.constantFrom('GET', 'POST', 'OPTIONS', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'CONNECT', 'TRACE', 'PROPFIND'),
  token,
);
const path = fc.oneof(
  fc.constantFrom('/graphql', '/health', '/', '//', '///graphql', '/transcripts/', '/chapters/x.json', '*'),
  fc
    .constantFrom('/transcripts/', '/chapters/', '/graphql?query=', '/', '//')
    .chain((p) => anyText(40).map((s) => p + encodeURIComponent(s).replace(/%2F/g, '/').slice(0, 60))),
  fc.stringMatching(/^[\x21-\x7e]{0,80}$/),
  fc.constantFrom('http://x/graphql', 'http://[::1', 'https://a:b@c/health', '/%', '/%E0%A4%A', '/graphql#x'),
);
const header = fc.oneof(
  fc.tuple(
    fc.constantFrom('content-type'),
    fc.constantFrom(
      'application/json',
      'application/graphql-response+json',
      'text/plain',
      'application/json; charset=utf-16',
      '',
    ),
  ),
  fc.tuple(
    fc.constantFrom('content-length'),
    fc.oneof(fc.nat({ max: 5000 }).map(String), fc.constantFrom('-1', '1e3', 'x', '99999999999')),
  ),
  fc.tuple(fc.constantFrom('transfer-encoding'), fc.constantFrom('chunked', 'gzip', 'chunked, chunked', 'identity')),
  fc.tuple(
    fc.constantFrom('accept'),
    fc.constantFrom('*/*', 'text/html', 'application/graphql-response+json', 'multipart/mixed', ''),
  ),
  fc.tuple(fc.constantFrom('router-authorization'), fc.constantFrom(SECRET, '', 'wrong')),
  fc.tuple(
    fc.constantFrom(
      'apollo-require-preflight',
      'x-apollo-operation-name',
      'apollo-federation-include-trace',
      'if-none-match',
      'connection',
      'expect',
    ),
    fc.stringMatching(/^[\x20-\x7e]{0,30}$/),
  ),
  fc.tuple(token, fc.stringMatching(/^[\x20-\x7e]{0,30}$/)),
);
const body = fc.oneof(
  fc.constant(''),
  anyText(200),
  fc.json({ maxDepth: 4 }),
  fc
    .record({
      query: fc.oneof(
        fc.constantFrom(
          '{ allSeries { id } }',
          'mutation { x }',
          '{',
          'query($n: Int) { speakers(first: $n) { totalCount } }',
          '{ _entities(representations: [{}]) { __typename } }',
        ),
        anyText(60),
      ),
      variables: fc.oneof(
        fc.constant(undefined),
        fc.json({ maxDepth: 3 }).map((j) => JSON.parse(j) as unknown),
      ),
      operationName: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 10 })),
      extensions: fc.oneof(fc.constant(undefined), fc.constant({ persistedQuery: { version: 1, sha256Hash: 'ab' } })),
    })
    .map((r) => JSON.stringify(r)),
  fc.nat({ max: 3000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
);

const request = fc
  .record({
    method,
    path,
    version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 x'),
    headers: fc.array(header, { maxLength: 6 }),
    body,
  })
  .map(({ method, path, version, headers, body }) => {
    const lines = [`${method} ${path} ${version}`, 'Host: x', ...headers.map(([k, v]) => `${k}: ${v}`)];
    if (!headers.some(([k]) => k === 'content-length' || k === 'transfer-encoding') && body !== '') {
      lines.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`);
    }
    lines.push('Connection: close');
    return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1');
  });

describe('HTTP fuzzing against a live server', () => {
  it('never ends the process and never answers 500', async () => {
    const statuses = new Map<number | null, number>();
    await fc.assert(
      fc.asyncProperty(request, async (bytes) => {
        const { status, text } = await rawRequest(port, bytes, 2000);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        expect(status, text.slice(0, 300)).not.toBe(500);
        expect(exitCode).toBeUndefined();
      }),
      { numRuns: 400 },
    );
    // Still serving.
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    expect(exitCode).toBeUndefined();
    // The fuzzer reached past the HTTP parser into our routes (not only Node's 400s).
    expect([...statuses.keys()].filter((s) => s !== null && s !== 400).length).toBeGreaterThan(3);
  }, 120_000);
});
