/**
 * Prometheus metrics (prom-client), served at `GET /metrics` on the main port or on `METRICS_PORT`.
 *
 * On the request path counting is a few field writes: each label combination gets a plain record the first time
 * it is seen, found again through nested maps keyed by the label values themselves (a key string built per request
 * would be hashed anew every time), and prom-client reads the records when Prometheus scrapes (a prom-client
 * child's `inc` hashes its labels on every call, ~0.4 µs, and a histogram's `observe` ~0.8 µs). Everything else (archive counts, cache
 * sizes and hit counts, reloads' last duration) is read at scrape time by `collect()` callbacks, never per
 * request. Label values are bounded: routes are templates, operation names the first 100 seen (then `other`),
 * error codes the first 50.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';

import type { ArchiveBackend, ReloadObserver } from '../archive/index.js';
import type { DocumentStore } from './document-store.js';
import { LIMIT_CODES, type GraphQLAnswer, type RequestMetrics } from './observe.js';
import type { PlannedOperations } from './pipeline/planned.js';
import type { ResponseCache } from './pipeline/response-cache.js';

/** What `/metrics` answers with: the Prometheus text format, version 0.0.4. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** Distinct operation names kept as label values; later ones are counted as `other`. */
export const MAX_OPERATION_NAMES = 100;
/** Distinct error codes kept as label values; later ones are counted as `other`. */
export const MAX_ERROR_CODES = 50;

/** From a cache hit (tens of µs) to a slow `_entities` batch (seconds). */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,127}$/;

export type CacheName = 'responses' | 'plans' | 'documents' | 'entity_views' | 'records';

/** What the metrics read at scrape time. */
export interface MetricsSources {
  /** The archive being served (null while loading). */
  readonly backend: () => ArchiveBackend | null;
  readonly responses?: ResponseCache | undefined;
  readonly planned?: PlannedOperations | undefined;
  readonly documents?: DocumentStore | null | undefined;
  /** Each cache's byte budget (responses, entity views and records: per archive). */
  readonly budgets: Readonly<Record<CacheName, number>>;
  /** Look-ups of the PostgreSQL backend's record caches, over every version. */
  readonly records?: { readonly hits: number; readonly misses: number } | undefined;
}

type Labels<L extends string> = Readonly<Record<L, string>>;

/** A counter counted in plain records on the request path and handed to prom-client when scraped. */
class FastCounter<L extends string> {
  private readonly records: { readonly labels: Labels<L>; value: number }[] = [];

  constructor(registry: Registry, name: string, help: string, labelNames: readonly L[]) {
    const records = this.records;
    new Counter<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const record of records) this.inc(record.labels, record.value);
      },
    });
  }

  /** A new series (the caller keeps it for its labels). */
  add(labels: Labels<L>): { value: number } {
    const record = { labels, value: 0 };
    this.records.push(record);
    return record;
  }
}

/** The value for a key, made on first use. */
function lookup<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = make()));
  return value;
}

interface HistogramRecord<L extends string> {
  readonly labels: Labels<L>;
  /** Per bucket (not cumulative), the last one for values above every bound. */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * A histogram counted in plain records, exposed as prom-client's own histograms are (`_bucket` with `le`, `_sum`,
 * `_count`). prom-client has no way to set a histogram's values, so this is registered as a metric object of its
 * own: the registry only asks it for `get()`, as it asks its own metrics.
 */
class FastHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly records: HistogramRecord<L>[] = [];

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** A new series (the caller keeps it for its labels). */
  add(labels: Labels<L>): HistogramRecord<L> {
    const record = { labels, buckets: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
    this.records.push(record);
    return record;
  }

  observe(record: HistogramRecord<L>, value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    record.buckets[i]!++;
    record.sum += value;
    record.count++;
  }

  reset(): void {
    this.records.length = 0;
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: unknown[] }> {
    const values: unknown[] = [];
    for (const { labels, buckets, sum, count } of this.records) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += buckets[i]!;
        const le = i < this.bounds.length ? this.bounds[i]! : '+Inf';
        values.push({ labels: { ...labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** Keeps a label's distinct values bounded: the first `max` seen, then `other`. */
class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(
    private readonly max: number,
    private readonly valid: RegExp,
  ) {}

  of(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max || !this.valid.test(value)) return 'other';
    this.seen.add(value);
    return value;
  }
}

type GraphQLLabels = 'operation_name' | 'path' | 'status';

/** The records of one GraphQL label combination. */
interface GraphQLSeries {
  readonly requests: { value: number };
  readonly latency: HistogramRecord<GraphQLLabels>;
}

export class Metrics implements RequestMetrics {
  readonly registry = new Registry();
  private readonly http: FastCounter<'route' | 'status'>;
  private readonly graphql: FastCounter<GraphQLLabels>;
  private readonly latency: FastHistogram<GraphQLLabels>;
  private readonly errors: FastCounter<'code'>;
  private readonly refusals: FastCounter<'code'>;
  private readonly reloadsTotal: FastCounter<'result'>;
  /** Series by label values: route, then status; operation, then path, then status; code. */
  private readonly httpSeries = new Map<string, Map<number, { value: number }>>();
  private readonly graphqlSeries = new Map<string, Map<string, Map<number, GraphQLSeries>>>();
  private readonly errorSeries = new Map<string, { value: number }>();
  private readonly refusalSeries = new Map<string, { value: number }>();
  private readonly reloadSeries: Readonly<Record<'ok' | 'failed', { value: number }>>;
  private readonly operationNames = new BoundedLabel(MAX_OPERATION_NAMES, GRAPHQL_NAME);
  private readonly errorCodes = new BoundedLabel(MAX_ERROR_CODES, /^[A-Z][A-Z0-9_]{0,63}$/);
  private lastReload: { seconds: number; okAt: number | null } | null = null;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    // Process and Node metrics under prom-client's own names (process_*, nodejs_*: memory, event-loop lag, GC).
    collectDefaultMetrics({ register: this.registry });

    this.http = new FastCounter(
      this.registry,
      'transcripts_http_requests_total',
      'HTTP requests by route and status.',
      ['route', 'status'],
    );
    this.graphql = new FastCounter(
      this.registry,
      'transcripts_graphql_requests_total',
      'GraphQL requests by operation name, the path that answered (cache, plan, apollo, refused) and HTTP status.',
      ['operation_name', 'path', 'status'],
    );
    this.latency = new FastHistogram(
      this.registry,
      'transcripts_graphql_request_duration_seconds',
      'Time to answer GraphQL requests, by operation name, answering path and HTTP status.',
      LATENCY_BUCKETS,
    );
    this.errors = new FastCounter(
      this.registry,
      'transcripts_graphql_errors_total',
      'GraphQL errors in answers, by extensions.code.',
      ['code'],
    );
    this.refusals = new FastCounter(
      this.registry,
      'transcripts_limit_refusals_total',
      'Requests refused by a limit (tokens, depth, aliases, directives, cost, body bytes, JSON depth), by code.',
      ['code'],
    );
    for (const code of LIMIT_CODES) this.refusalSeries.set(code, this.refusals.add({ code }));
    this.reloadsTotal = new FastCounter(
      this.registry,
      'transcripts_archive_reloads_total',
      'Archive loads (the first included), by result.',
      ['result'],
    );
    this.reloadSeries = {
      ok: this.reloadsTotal.add({ result: 'ok' }),
      failed: this.reloadsTotal.add({ result: 'failed' }),
    };

    const archiveGauge = (name: string, help: string, read: (archive: ArchiveBackend) => number): void => {
      new Gauge({
        name: `transcripts_archive_${name}`,
        help,
        registers,
        collect() {
          const archive = sources.backend();
          if (archive) this.set(read(archive));
        },
      });
    };
    archiveGauge('series', 'Series in the archive being served.', (a) => a.stats.series);
    archiveGauge('episodes', 'Episodes in the archive being served.', (a) => a.stats.episodes);
    archiveGauge(
      'segments',
      'Segments (transcript files loaded) in the archive being served.',
      (a) => a.stats.segments,
    );
    archiveGauge('turns', 'Speaker turns in the archive being served.', (a) => a.stats.turns);
    archiveGauge('speakers', 'Speakers in the archive being served.', (a) => a.stats.speakers);
    archiveGauge('files', 'Transcript files found in the data folder, loaded or not.', (a) => a.stats.files);
    new Gauge({
      name: 'transcripts_archive_diagnostics',
      help: 'Diagnostics of the archive being served, by severity.',
      labelNames: ['severity'],
      registers,
      collect() {
        const archive = sources.backend();
        if (!archive) return;
        this.set({ severity: 'error' }, archive.stats.errors);
        this.set({ severity: 'warning' }, archive.stats.warnings);
      },
    });
    const reloads = (): typeof this.lastReload => this.lastReload;
    new Gauge({
      name: 'transcripts_archive_last_reload_duration_seconds',
      help: 'How long the last archive load took.',
      registers,
      collect() {
        const last = reloads();
        if (last) this.set(last.seconds);
      },
    });
    new Gauge({
      name: 'transcripts_archive_last_reload_success_timestamp_seconds',
      help: 'When the last successful archive load finished (Unix time).',
      registers,
      collect() {
        const okAt = reloads()?.okAt;
        if (okAt) this.set(okAt);
      },
    });

    const { responses, planned, documents, budgets } = sources;
    new Gauge({
      name: 'transcripts_cache_bytes',
      help: 'Bytes each cache holds, as its bound counts them (responses and entity views: of the archive served).',
      labelNames: ['cache'],
      registers,
      collect() {
        const archive = sources.backend();
        this.set({ cache: 'responses' }, responses && archive ? responses.bytes(archive.key) : 0);
        this.set({ cache: 'plans' }, planned?.bytes ?? 0);
        this.set({ cache: 'documents' }, documents?.bytes ?? 0);
        this.set({ cache: 'entity_views' }, planned && archive ? planned.viewBytesUsed(archive.key) : 0);
        this.set({ cache: 'records' }, archive?.records?.bytes ?? 0);
      },
    });
    const maxBytes = new Gauge({
      name: 'transcripts_cache_max_bytes',
      help: 'Byte budget of each cache (responses and entity views: per archive).',
      labelNames: ['cache'],
      registers,
    });
    for (const [cache, bytes] of Object.entries(budgets)) maxBytes.set({ cache }, bytes);
    new Counter({
      name: 'transcripts_cache_lookups_total',
      help: 'Cache look-ups by cache and result (hit, miss); plans: a plan answered or bailed out (hit) or none (miss).',
      labelNames: ['cache', 'result'],
      registers,
      collect() {
        this.reset();
        const counts: [string, { hits: number; misses: number } | undefined][] = [
          ['responses', responses?.stats],
          ['documents', documents?.stats],
          ['plans', planned && { hits: planned.stats.planned + planned.stats.bailed, misses: planned.stats.missed }],
          ['records', sources.records],
        ];
        for (const [cache, stats] of counts) {
          if (!stats) continue;
          this.inc({ cache, result: 'hit' }, stats.hits);
          this.inc({ cache, result: 'miss' }, stats.misses);
        }
      },
    });
    new Counter({
      name: 'transcripts_plan_bailouts_total',
      help: 'Requests a plan handed back to Apollo (an error, a cost over the limit with these variables, …).',
      registers,
      collect() {
        this.reset();
        this.inc(planned?.stats.bailed ?? 0);
      },
    });
  }

  record(route: string, status: number, answer: GraphQLAnswer | null, seconds: number): void {
    const byStatus = lookup(this.httpSeries, route, () => new Map<number, { value: number }>());
    lookup(byStatus, status, () => this.http.add({ route, status: String(status) })).value++;
    if (!answer) return;
    const operation = answer.operationName ? this.operationNames.of(answer.operationName) : '';
    const byPath = lookup(this.graphqlSeries, operation, () => new Map<string, Map<number, GraphQLSeries>>());
    const series = lookup(
      lookup(byPath, answer.path, () => new Map<number, GraphQLSeries>()),
      status,
      () => {
        const labels = { operation_name: operation, path: answer.path, status: String(status) };
        return { requests: this.graphql.add(labels), latency: this.latency.add(labels) };
      },
    );
    series.requests.value++;
    this.latency.observe(series.latency, seconds);
    if (answer.errorCodes) {
      for (const raw of answer.errorCodes) {
        const code = this.errorCodes.of(raw);
        lookup(this.errorSeries, code, () => this.errors.add({ code })).value++;
      }
    }
    const { limit } = answer;
    if (limit) lookup(this.refusalSeries, limit, () => this.refusals.add({ code: limit })).value++;
  }

  /** Counts archive loads and keeps the last one's duration; give it to `ArchiveStore.observe`. */
  readonly reloads: ReloadObserver = () => {
    const startedAt = performance.now();
    return (ended) => {
      const ok = 'summary' in ended;
      this.reloadSeries[ok ? 'ok' : 'failed'].value++;
      const seconds = (ok ? ended.summary.ms : performance.now() - startedAt) / 1000;
      this.lastReload = { seconds, okAt: ok ? Date.now() / 1000 : (this.lastReload?.okAt ?? null) };
    };
  };

  /** The Prometheus text of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}

/**
 * Answers a request for `/metrics`: GET (and HEAD) only.
 *
 * @example
 * if (route === '/metrics') return sendMetrics(metrics, req, res);
 */
export async function sendMetrics(
  metrics: Metrics,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 }).end();
    return;
  }
  const text = await metrics.render();
  res.writeHead(200, {
    'content-type': METRICS_CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : text);
}

/**
 * Serves `/metrics` alone on a port of its own (`METRICS_PORT`): reachable by the scraper, not by the router, and
 * without the router's secret.
 *
 * @example
 * const server = await startMetricsServer(metrics, 9464, '0.0.0.0');
 * await server.close();
 */
export async function startMetricsServer(
  metrics: Metrics,
  port: number,
  host: string | undefined,
): Promise<{ readonly port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.on('error', () => undefined);
    const path = (req.url ?? '').split('?')[0]!.replace(/\/+$/, '');
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: try /metrics\n');
      return;
    }
    sendMetrics(metrics, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
