import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startServer, type RunningServer } from '../../src/server/app.js';
import { readConfig } from '../../src/server/config.js';
import { createLogger } from '../../src/server/logger.js';
import { startTelemetry, TELEMETRY_OFF } from '../../src/server/telemetry.js';
import { makeCorpus, type Corpus } from '../helpers/corpus.js';
import { startOtlpReceiver, type ExportedSpan, type OtlpReceiver } from '../helpers/otlp.js';
import { startTestServer } from '../helpers/server.js';

const SPEAKER = 'query Speaker($id: ID!) { speaker(id: $id) { name } }';
const SEARCH = 'query Find($q: String!) { search(query: $q, first: 2) { totalCount } }';

/** A W3C trace context as a router sends it: a fresh trace, a parent span, sampled. */
function traceparent(): { header: string; traceId: string; parentId: string } {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { header: `00-${traceId}-${parentId}-01`, traceId, parentId };
}

let corpus: Corpus;
let receiver: OtlpReceiver;
let server: RunningServer;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  corpus = makeCorpus();
  receiver = await startOtlpReceiver();
  // A logger at debug that keeps its lines: one line per request, written while the request's span is active.
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logLines.push(JSON.parse(line));
      done();
    },
  });
  const tracing = { ...readConfig({}).tracing, endpoint: `${receiver.url}/v1/traces`, protocol: 'http/json' as const };
  server = await startServer(
    { ...readConfig({}), port: 0, host: '127.0.0.1', dataDir: corpus.dir, tracing },
    { logger: createLogger('debug', sink) },
  );
});
afterAll(async () => {
  await server.stop();
  await receiver.close();
  corpus.cleanup();
});

async function post(query: string, variables: Record<string, unknown>, traceHeader?: string): Promise<Response> {
  return fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(traceHeader ? { traceparent: traceHeader } : {}) },
    body: JSON.stringify({ query, variables }),
  });
}

/** The spans of one trace, once exported. */
async function traceOf(traceId: string): Promise<ExportedSpan[]> {
  await server.telemetry.flush();
  return receiver.spans().filter((s) => s.traceId === traceId);
}

/** The request's server span: a child of the router's span, in the router's trace. */
function serverSpan(spans: ExportedSpan[], parentId: string): ExportedSpan {
  const found = spans.filter((s) => s.parentSpanId === parentId);
  expect(found).toHaveLength(1);
  const span = found[0]!;
  expect(span.kind).toBe(2); // SERVER
  expect(span.name).toBe('POST /graphql');
  expect(span.attributes).toMatchObject({
    'http.request.method': 'POST',
    'http.route': '/graphql',
    'url.path': '/graphql',
    'http.response.status_code': 200,
  });
  expect(span.resource).toMatchObject({ 'service.name': 'transcript-subgraph' });
  return span;
}

describe('OpenTelemetry traces (OTLP/HTTP JSON to an in-process receiver)', () => {
  it('continues the router trace on the Apollo path, with parse, validate and execute spans under it', async () => {
    const { header, traceId, parentId } = traceparent();
    const response = await post(SPEAKER, { id: 'stefan' }, header);
    expect(response.headers.get('x-response-cache')).toBeNull();
    expect(await response.json()).toEqual({ data: { speaker: { name: 'Stefan' } } });
    const spans = await traceOf(traceId);
    const root = serverSpan(spans, parentId);
    expect(root.attributes).toMatchObject({
      'transcripts.path': 'apollo',
      'transcripts.outcome': 'ok',
      'graphql.operation.name': 'Speaker',
      'graphql.operation.type': 'query',
    });
    const children = spans.filter((s) => s.parentSpanId === root.spanId).map((s) => s.name);
    expect(children.sort()).toEqual(['graphql.execute', 'graphql.parse', 'graphql.validate']);
  });

  it('traces a repeat answered by its plan, with the answering path', async () => {
    const { header, traceId, parentId } = traceparent();
    // Other variables: not in the response cache, but the operation's plan answers it.
    await (await post(SPEAKER, { id: 'dustin' }, header)).text();
    const spans = await traceOf(traceId);
    const root = serverSpan(spans, parentId);
    expect(root.attributes).toMatchObject({ 'transcripts.path': 'plan', 'graphql.operation.name': 'Speaker' });
    // Apollo did not run: no parse, validate or execute.
    expect(spans.filter((s) => s.parentSpanId === root.spanId)).toEqual([]);
  });

  it('traces a cache hit, with the operation it answered', async () => {
    const { header, traceId, parentId } = traceparent();
    const response = await post(SPEAKER, { id: 'stefan' }, header);
    expect(response.headers.get('x-response-cache')).toBe('hit');
    await response.text();
    const root = serverSpan(await traceOf(traceId), parentId);
    expect(root.attributes).toMatchObject({ 'transcripts.path': 'cache', 'graphql.operation.name': 'Speaker' });
  });

  it('gives search a span of its own, on the Apollo path and on the plan path', async () => {
    for (const [q, path] of [
      ['boring', 'apollo'],
      ['cosmo', 'plan'],
    ] as const) {
      const { header, traceId, parentId } = traceparent();
      await (await post(SEARCH, { q }, header)).text();
      const spans = await traceOf(traceId);
      const root = serverSpan(spans, parentId);
      expect(root.attributes['transcripts.path']).toBe(path);
      const search = spans.find((s) => s.name === 'transcripts.search');
      // Under Apollo's execute span, or under the request's span when the plan runs it.
      const execute = spans.find((s) => s.name === 'graphql.execute' && s.parentSpanId === root.spanId);
      expect(search?.parentSpanId).toBe(path === 'apollo' ? execute?.spanId : root.spanId);
      expect(search?.attributes['transcripts.search.total']).toBeGreaterThan(0);
    }
  });

  it('marks a refusal: the path, the limit and the error code', async () => {
    const { header, traceId, parentId } = traceparent();
    const huge = `{ ${'allSeries { id } '.repeat(2000)}}`;
    const response = await post(huge, {}, header);
    expect(response.status).toBe(400);
    const spans = await traceOf(traceId);
    const [root] = spans.filter((s) => s.parentSpanId === parentId);
    expect(root?.attributes).toMatchObject({
      'http.response.status_code': 400,
      'transcripts.path': 'refused',
      'transcripts.outcome': 'refused',
      'transcripts.limit': 'MAX_TOKENS_EXCEEDED',
      'transcripts.error_codes': ['MAX_TOKENS_EXCEEDED'],
    });
  });

  it('traces downloads, and starts a trace of its own without a traceparent', async () => {
    const before = new Set(receiver.spans().map((s) => s.spanId));
    const base = server.url.replace(/\/graphql$/, '');
    await (await fetch(`${base}/transcripts/the-good-thing-ep3.vtt`)).text();
    await (await fetch(`${base}/health`)).text();
    await server.telemetry.flush();
    const fresh = receiver.spans().filter((s) => !before.has(s.spanId));
    // /health is not traced (probes would bury the traces that matter).
    expect(fresh.map((s) => s.name)).toEqual(['GET /transcripts/{episode}.{format}']);
    expect(fresh[0]!.parentSpanId).toBeUndefined();
    expect(fresh[0]!.attributes['http.response.status_code']).toBe(200);
  });

  it('exports one root span per archive reload', async () => {
    await server.store!.reload();
    await server.telemetry.flush();
    const reloads = receiver.spans().filter((s) => s.name === 'transcripts.reload');
    // The first load at start, and this one.
    expect(reloads).toHaveLength(2);
    for (const span of reloads) {
      expect(span.parentSpanId).toBeUndefined();
      expect(span.attributes).toMatchObject({
        'transcripts.reload.result': 'ok',
        'transcripts.archive.segments': server.archive.stats.segments,
      });
    }
  });

  it('writes the trace id into log lines written while a traced request runs', async () => {
    const { header, traceId } = traceparent();
    await (await post(SPEAKER, { id: 'stefan' }, header)).text();
    const line = logLines.find((l) => l.msg === 'request' && l.trace_id === traceId);
    // The reload above emptied the response cache; the plan answers.
    expect(line).toMatchObject({ route: '/graphql', status: 200, answeredBy: 'plan', operationName: 'Speaker' });
    expect(line?.span_id).toMatch(/^[0-9a-f]{16}$/);
    // Lines written outside a request carry none.
    expect(
      logLines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('transcript subgraph ready')),
    ).not.toHaveProperty('trace_id');
  });
});

describe('OTLP/HTTP protobuf, the default protocol', () => {
  it('posts protobuf to OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces', async () => {
    const proto = await startOtlpReceiver();
    const config = readConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: `${proto.url}/` });
    expect(config.tracing).toMatchObject({ endpoint: `${proto.url}/v1/traces`, protocol: 'http/protobuf' });
    const telemetry = await startTelemetry({ ...config.tracing, serviceVersion: 'test' });
    try {
      const span = telemetry.startRequest(
        { method: 'GET', headers: {}, httpVersion: '1.1' } as never,
        '/transcripts/{episode}.{format}',
        '/transcripts/x.vtt',
      );
      span!.end(200, null);
      await telemetry.flush();
      expect(proto.requests.map((r) => [r.path, r.contentType])).toEqual([['/v1/traces', 'application/x-protobuf']]);
      expect(proto.requests[0]!.body.length).toBeGreaterThan(0);
    } finally {
      await telemetry.shutdown();
      await proto.close();
    }
  });
});

describe('tracing off', () => {
  it('without an endpoint (or with OTEL_SDK_DISABLED) starts nothing, and nothing is exported', async () => {
    const receiverOff = await startOtlpReceiver();
    const off = await startTestServer({ dataDir: corpus.dir });
    try {
      expect(off.telemetry).toBe(TELEMETRY_OFF);
      const response = await fetch(off.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: traceparent().header },
        body: JSON.stringify({ query: SPEAKER, variables: { id: 'stefan' } }),
      });
      expect(response.status).toBe(200);
      await off.store!.reload();
      expect(receiverOff.requests).toEqual([]);
      const disabled = readConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: receiverOff.url, OTEL_SDK_DISABLED: 'true' });
      expect(await startTelemetry({ ...disabled.tracing, serviceVersion: 'test' })).toBe(TELEMETRY_OFF);
    } finally {
      await off.stop();
      await receiverOff.close();
    }
  });
});
