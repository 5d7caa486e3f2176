import parsePrometheusTextFormat, { type Family } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../../src/server/app.js';
import { readConfig } from '../../src/server/config.js';
import { MAX_OPERATION_NAMES, Metrics } from '../../src/server/metrics.js';
import { makeCorpus, type Corpus } from '../helpers/corpus.js';
import { startTestServer } from '../helpers/server.js';

/**
 * Each line of the Prometheus text format 0.0.4 on its own: a comment, or a sample `name{labels} value`. The
 * parser below is lenient about some malformed lines; this is not.
 */
function checkLines(text: string): void {
  expect(text.endsWith('\n')).toBe(true);
  const name = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const label = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
  const sample = new RegExp(
    `^${name}(?:\\{(?:${label}(?:,${label})*)?\\})? (?:[-+]?(?:\\d+(?:\\.\\d*)?(?:e[-+]?\\d+)?|Inf)|NaN|Nan)$`,
  );
  const meta = new RegExp(`^# (?:HELP ${name} .*|TYPE ${name} (?:counter|gauge|histogram|summary|untyped))$`);
  for (const line of text.split('\n').slice(0, -1)) {
    if (line === '') continue;
    expect(sample.test(line) || meta.test(line), line).toBe(true);
  }
}

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Every sample line (the parser below folds a histogram's labelled series into one, so samples are read here). */
function samplesOf(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = raw!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    out.push({ name: match[1]!, labels, value: Number(match[3] === '+Inf' ? Infinity : match[3]) });
  }
  return out;
}

/** The sum of the samples named `name` whose labels include `labels` (0 when there is none yet). */
function value(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

let corpus: Corpus;
beforeAll(() => {
  corpus = makeCorpus();
});
afterAll(() => corpus.cleanup());

describe('GET /metrics', () => {
  let server: RunningServer;
  let base: string;
  beforeAll(async () => {
    server = await startTestServer({ dataDir: corpus.dir });
    base = server.url.replace(/\/graphql$/, '');
  });
  afterAll(() => server.stop());

  /** The samples of a scrape, after checking it parses (and naming the families it has). */
  async function scrape(): Promise<Sample[] & { families: Family[] }> {
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    checkLines(text);
    return Object.assign(samplesOf(text), { families: parsePrometheusTextFormat(text) });
  }
  const post = async (query: string, variables?: Record<string, unknown>) => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    await response.text();
    return response;
  };

  it('parses as Prometheus text: process, Node, archive and cache metrics', async () => {
    const families = await scrape();
    const names = families.families.map((f) => f.name);
    for (const expected of [
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
      'transcripts_archive_series',
      'transcripts_archive_episodes',
      'transcripts_archive_segments',
      'transcripts_archive_turns',
      'transcripts_archive_speakers',
      'transcripts_archive_files',
      'transcripts_archive_diagnostics',
      'transcripts_archive_reloads_total',
      'transcripts_archive_last_reload_duration_seconds',
      'transcripts_cache_bytes',
      'transcripts_cache_max_bytes',
      'transcripts_cache_lookups_total',
      'transcripts_limit_refusals_total',
    ]) {
      expect(names, expected).toContain(expected);
    }
    const { stats } = server.archive;
    expect(value(families, 'transcripts_archive_segments')).toBe(stats.segments);
    expect(value(families, 'transcripts_archive_turns')).toBe(stats.turns);
    expect(value(families, 'transcripts_archive_files')).toBe(stats.files);
    expect(value(families, 'transcripts_archive_diagnostics', { severity: 'warning' })).toBe(stats.warnings);
    expect(value(families, 'transcripts_cache_max_bytes', { cache: 'responses' })).toBe(
      readConfig({}).responseCacheBytes,
    );
    // Every limit's refusal count is there from the start, at 0.
    expect(value(families, 'transcripts_limit_refusals_total', { code: 'MAX_COST_EXCEEDED' })).toBe(0);
    expect(families.families.find((f) => f.name === 'transcripts_limit_refusals_total')?.metrics).toHaveLength(7);
  });

  it('counts requests by answering path, operation and status, with latency histograms', async () => {
    const before = await scrape();
    const query = 'query Who($id: ID!) { speaker(id: $id) { name } }';
    await post(query, { id: 'stefan' }); // Apollo
    await post(query, { id: 'dustin' }); // plan
    await post(query, { id: 'stefan' }); // cache
    await post(query, { id: 'stefan' }); // cache
    const after = await scrape();
    const moved = (path: string) => {
      const labels = { operation_name: 'Who', path, status: '200' };
      return [
        value(after, 'transcripts_graphql_requests_total', labels) -
          value(before, 'transcripts_graphql_requests_total', labels),
        value(after, 'transcripts_graphql_request_duration_seconds_count', labels) -
          value(before, 'transcripts_graphql_request_duration_seconds_count', labels),
      ];
    };
    expect([moved('apollo'), moved('plan'), moved('cache')]).toEqual([
      [1, 1],
      [1, 1],
      [2, 2],
    ]);
    expect(after.families.find((f) => f.name === 'transcripts_graphql_request_duration_seconds')?.type).toBe(
      'HISTOGRAM',
    );
    const cached = { operation_name: 'Who', path: 'cache' };
    const bucket = (samples: Sample[], le: string) =>
      value(samples, 'transcripts_graphql_request_duration_seconds_bucket', { ...cached, le });
    expect(bucket(after, '+Inf') - bucket(before, '+Inf')).toBe(2);
    expect(bucket(after, '0.0005')).toBeLessThanOrEqual(bucket(after, '5'));
    expect(value(after, 'transcripts_graphql_request_duration_seconds_sum', cached)).toBeGreaterThan(0);
    const route = { route: '/graphql', status: '200' };
    expect(value(after, 'transcripts_http_requests_total', route)).toBeGreaterThanOrEqual(4);
    const lookups = (result: string) => value(after, 'transcripts_cache_lookups_total', { cache: 'responses', result });
    expect(lookups('hit')).toBeGreaterThanOrEqual(2);
    expect(lookups('miss')).toBeGreaterThanOrEqual(2);
    expect(value(after, 'transcripts_cache_bytes', { cache: 'responses' })).toBeGreaterThan(0);
    expect(value(after, 'transcripts_cache_bytes', { cache: 'plans' })).toBeGreaterThan(0);
    expect(value(after, 'transcripts_cache_bytes', { cache: 'documents' })).toBeGreaterThan(0);
  });

  it('counts refusals by limit and GraphQL errors by code', async () => {
    const before = await scrape();
    const tokens = await post(`{ ${'allSeries { id } '.repeat(2000)}}`);
    expect(tokens.status).toBe(400);
    const cost = await post('{ speakers(first: 100) { nodes { turns(first: 100) { nodes { text } } } } }');
    expect(cost.status).toBe(400);
    const bad = await post('{ speakers(first: 1000) { totalCount } }');
    expect(bad.status).toBe(200);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) =>
      value(after, name, labels) - value(before, name, labels);
    expect(delta('transcripts_limit_refusals_total', { code: 'MAX_TOKENS_EXCEEDED' })).toBe(1);
    expect(delta('transcripts_limit_refusals_total', { code: 'MAX_COST_EXCEEDED' })).toBe(1);
    expect(delta('transcripts_graphql_errors_total', { code: 'MAX_TOKENS_EXCEEDED' })).toBe(1);
    expect(delta('transcripts_graphql_errors_total', { code: 'MAX_COST_EXCEEDED' })).toBe(1);
    expect(delta('transcripts_graphql_errors_total', { code: 'BAD_USER_INPUT' })).toBe(1);
    // The token refusal never reached Apollo; the cost refusal is Apollo's answer.
    expect(delta('transcripts_graphql_requests_total', { path: 'refused', status: '400' })).toBe(1);
    expect(delta('transcripts_graphql_requests_total', { path: 'apollo', status: '400' })).toBe(1);
  });

  it('counts reloads and keeps the last one’s duration', async () => {
    const before = await scrape();
    await server.store!.reload();
    const after = await scrape();
    const ok = { result: 'ok' };
    expect(
      value(after, 'transcripts_archive_reloads_total', ok) - value(before, 'transcripts_archive_reloads_total', ok),
    ).toBe(1);
    expect(value(after, 'transcripts_archive_reloads_total', { result: 'failed' })).toBe(0);
    expect(value(after, 'transcripts_archive_last_reload_duration_seconds')).toBeGreaterThan(0);
  });

  it('answers GET and HEAD only', async () => {
    expect((await fetch(`${base}/metrics`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});

describe('operation names as labels', () => {
  it('keeps the first 100 names, counts later ones as `other`, and unnamed operations as ""', async () => {
    const metrics = new Metrics({
      backend: () => null,
      budgets: { responses: 0, plans: 0, documents: 0, entity_views: 0, records: 0 },
    });
    for (let i = 0; i < 150; i++) metrics.record('/graphql', 200, { path: 'apollo', operationName: `Op${i}` }, 0.001);
    metrics.record('/graphql', 200, { path: 'apollo', operationName: null }, 0.001);
    metrics.record('/graphql', 200, { path: 'apollo', operationName: 'Op1' }, 0.001);
    metrics.record('/graphql', 400, { path: 'refused', operationName: 'not a GraphQL name' }, 0.001);
    const families = samplesOf(await metrics.render());
    const names = new Set(
      families.filter((s) => s.name === 'transcripts_graphql_requests_total').map((s) => s.labels.operation_name),
    );
    expect(names.size).toBe(MAX_OPERATION_NAMES + 2);
    expect(names.has('other') && names.has('') && names.has('Op99') && !names.has('Op100')).toBe(true);
    expect(value(families, 'transcripts_graphql_requests_total', { operation_name: 'other', path: 'apollo' })).toBe(50);
    expect(value(families, 'transcripts_graphql_requests_total', { operation_name: 'Op1' })).toBe(2);
  });
});

describe('where /metrics is served', () => {
  it('behind ROUTER_SECRET on the main port', async () => {
    const server = await startTestServer({ dataDir: corpus.dir, config: { routerSecret: 'metrics-secret' } });
    try {
      const url = server.url.replace(/\/graphql$/, '/metrics');
      expect((await fetch(url)).status).toBe(401);
      const ok = await fetch(url, { headers: { 'router-authorization': 'metrics-secret' } });
      expect(ok.status).toBe(200);
      expect(server.metricsPort).toBe(server.port);
    } finally {
      await server.stop();
    }
  });

  it('not at all with METRICS=0', async () => {
    const config = readConfig({ METRICS: '0' });
    const server = await startTestServer({ dataDir: corpus.dir, config: { metrics: config.metrics } });
    try {
      expect((await fetch(server.url.replace(/\/graphql$/, '/metrics'))).status).toBe(404);
      expect(server.metricsPort).toBeUndefined();
    } finally {
      await server.stop();
    }
  });

  it('on METRICS_PORT alone, without the secret, and not on the main port', async () => {
    const config = readConfig({ METRICS_PORT: '0' });
    const server = await startTestServer({
      dataDir: corpus.dir,
      config: {
        metrics: config.metrics,
        routerSecret: 'metrics-secret',
      },
    });
    try {
      expect(server.metricsPort).toBeDefined();
      expect(server.metricsPort).not.toBe(server.port);
      const separate = await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`);
      expect(separate.status).toBe(200);
      checkLines(await separate.text());
      expect((await fetch(`http://127.0.0.1:${server.metricsPort}/graphql`)).status).toBe(404);
      const main = await fetch(server.url.replace(/\/graphql$/, '/metrics'), {
        headers: { 'router-authorization': 'metrics-secret' },
      });
      expect(main.status).toBe(404);
    } finally {
      await server.stop();
    }
  });
});
