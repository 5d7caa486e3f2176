/** Assembles the subgraph: archive, schema, Apollo Server and the HTTP server. Used by main.ts and the tests. */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';

import {
  ArchiveStore,
  memorySource,
  watchArchive,
  type Archive,
  type ArchiveBackend,
  type Watcher,
} from '../archive/index.js';
import { PgFollower } from '../pg/follower.js';
import type { BatchObserver, Context } from '../context.js';
import { createSchema } from '../schema.js';
import { CACHE_DEFAULTS, type Config } from './config.js';
import { EXAMPLE_OPERATION } from './example.js';
import { DocumentStore } from './document-store.js';
import { createRequestHandler, Lifecycle } from './http.js';
import { landingPagePlugin, type LandingPageSource } from './landing-page.js';
import { DEFAULT_LIMITS, formatErrorFor, queryLimits, type Limits } from './limits.js';
import { logDiagnostics, type Logger } from './logger.js';
import { Metrics, startMetricsServer } from './metrics.js';
import { createObserver } from './observe.js';
import { outcomePlugin } from './pipeline/apollo.js';
import { PlannedOperations } from './pipeline/planned.js';
import { ResponseCache } from './pipeline/response-cache.js';
import { spansPlugin } from './pipeline/spans.js';
import { startTelemetry, type Telemetry } from './telemetry.js';
import { VERSION } from './version.js';

export interface RunningServer {
  /** The folder's archive and its reloads (undefined over PostgreSQL). */
  readonly store: ArchiveStore | undefined;
  /** The PostgreSQL archive's follower, when `DATABASE_URL` is set. */
  readonly database: PgFollower | undefined;
  /** The backend answering now (either kind), or null when none can. */
  backend(): ArchiveBackend | null;
  /** e.g. `http://127.0.0.1:4001/graphql`. */
  readonly url: string;
  readonly port: number;
  /** The in-memory archive being served now (over PostgreSQL: none, this throws). */
  readonly archive: Archive;
  readonly apollo: ApolloServer<Context>;
  /** Planned execution of repeated operations, when on (its stats count planned answers and bail-outs). */
  readonly planned: PlannedOperations | undefined;
  /** Apollo's parsed documents, when kept. */
  readonly documents: DocumentStore | null;
  /** Traces (TELEMETRY_OFF without an endpoint); stopped by `stop()` when the server started it. */
  readonly telemetry: Telemetry;
  /** Prometheus metrics, when on (`METRICS`). */
  readonly metrics: Metrics | undefined;
  /** The port `/metrics` is served on: `METRICS_PORT`'s, else the main one; undefined when metrics are off. */
  readonly metricsPort: number | undefined;
  /**
   * Stops accepting connections, lets in-flight requests finish and their answers go out whole (within the
   * shutdown grace), closes idle keep-alive connections, and stops Apollo. Resolves with how many requests were
   * drained, and how many were cut off when the grace ran out.
   */
  stop(): Promise<{ drained: number; abandoned: number }>;
}

export interface StartOptions {
  readonly logger: Logger;
  /** Extra Apollo Server plugins (tests count subgraph requests with one). */
  readonly plugins?: readonly ApolloServerPlugin<Context>[];
  /** Observe DataLoader batches (tests, metrics). */
  readonly onBatch?: BatchObserver;
  /** Traces from a telemetry already started; default: started from `config.tracing` (and stopped with the server). */
  readonly telemetry?: Telemetry;
}

/**
 * Creates the Apollo Server for an archive source, without HTTP: what `executeOperation` tests use.
 *
 * @example
 * const apollo = createApollo({ production: false });
 * await apollo.executeOperation({ query: '{ allSeries { id } }' }, { contextValue: createContext(archive) });
 */
export function createApollo(options: {
  production: boolean;
  /** Introspection and the landing page; default: on outside production. */
  introspection?: boolean;
  limits?: Limits;
  /** Bytes of parsed documents kept (a bound, see DocumentStore); default CACHE_DEFAULTS.documents; 0: none. */
  documentCacheBytes?: number;
  /** The store of parsed documents, when the caller wants to see it (metrics); default: one of documentCacheBytes. */
  documentStore?: DocumentStore | null;
  /** Spans for parse, validate and execute (only when tracing is on: a plugin costs every request). */
  traced?: boolean;
  logger?: Logger;
  plugins?: readonly ApolloServerPlugin<Context>[];
  /** What the landing page shows of the running server (its URL, an episode); default: placeholders. */
  landingPage?: LandingPageSource;
}): ApolloServer<Context> {
  const plugins: ApolloServerPlugin<Context>[] = [
    ...(options.plugins ?? []),
    // The schema declares no @cacheControl hints, so the per-field cache-control bookkeeping only costs time
    // (half of `_entities` with 1,000 representations, measured); the HTTP layer still sends `no-store`.
    ApolloServerPluginCacheControlDisabled(),
    outcomePlugin(),
    ...(options.traced ? [spansPlugin()] : []),
  ];
  const introspection = options.introspection ?? !options.production;
  // At GET /graphql, a page that works offline, then the Sandbox with a tour of the graph; off with introspection.
  plugins.push(
    introspection
      ? landingPagePlugin({
          document: EXAMPLE_OPERATION,
          ...(options.landingPage ? { source: options.landingPage } : {}),
        })
      : ApolloServerPluginLandingPageDisabled(),
  );
  const limits = queryLimits(options.limits ?? DEFAULT_LIMITS);
  plugins.push(...(limits.plugins as ApolloServerPlugin<Context>[]));
  const documentBytes = options.documentCacheBytes ?? CACHE_DEFAULTS.documents;
  return new ApolloServer<Context>({
    schema: createSchema(),
    plugins,
    validationRules: limits.validationRules,
    introspection,
    // Bounded by what documents really hold (Apollo's default counts their JSON, a fraction of it).
    documentStore:
      options.documentStore !== undefined
        ? options.documentStore
        : documentBytes > 0
          ? new DocumentStore(documentBytes)
          : null,
    // Persisted-query texts (APQ): strings, up to two bytes a character.
    cache: new InMemoryLRUCache<string>({
      maxSize: Math.max(1, Math.floor(documentBytes / 8)),
      sizeCalculation: (text: string) => 2 * text.length + 64,
    }),
    // "Did you mean …?" and stack traces stay out of production responses.
    hideSchemaDetailsFromClientErrors: options.production,
    includeStacktraceInErrorResponses: !options.production,
    formatError: formatErrorFor({ production: options.production }),
    // Shutdown is the server's (main.ts drains HTTP first); Apollo must not act on signals by itself.
    stopOnTerminationSignals: false,
    ...(options.logger ? { logger: options.logger.child({ component: 'apollo' }) } : {}),
  });
}

/**
 * Loads the data folder and serves it.
 *
 * @example
 * const server = await startServer({ ...readConfig(), port: 0, host: '127.0.0.1' }, { logger });
 * console.log(server.url); // http://127.0.0.1:54321/graphql
 * await server.stop();
 */
export async function startServer(config: Config, options: StartOptions): Promise<RunningServer> {
  const { logger } = options;
  const httpServer = http.createServer();
  // Plans get a schema of their own: Apollo wraps every field resolver of the schema it is given, in place (for
  // its resolver plugins), which would give each default-resolved field a function call in the plan as well.
  const planned = config.plannedExecution
    ? new PlannedOperations(createSchema(), {
        viewBytes: config.entityViewBytes,
        planBytes: config.planCacheBytes,
        maxCost: config.limits.maxCost,
      })
    : undefined;
  const telemetry = options.telemetry ?? (await startTelemetry({ ...config.tracing, serviceVersion: VERSION, logger }));
  const documents = config.documentCacheBytes > 0 ? new DocumentStore(config.documentCacheBytes) : null;
  const apollo = createApollo({
    production: config.production,
    introspection: config.introspection,
    limits: config.limits,
    documentCacheBytes: config.documentCacheBytes,
    documentStore: documents,
    traced: telemetry.enabled,
    logger,
    plugins: options.plugins ?? [],
    // Read when a browser asks for the page, which is only served once the archive is loaded (after both are set).
    landingPage: { url: () => url, archive: () => store?.archive ?? null },
  });
  await apollo.start();
  // Listen before loading, so probes see `starting` (503) instead of a refused connection.
  const database = config.database.url
    ? new PgFollower(config.database.url, {
        pool: { max: config.database.poolMax, statementTimeoutMs: config.database.statementTimeoutMs },
        pollMs: config.database.pollMs,
        recordBytes: config.database.recordCacheBytes,
        logger: logger.child({ component: 'database' }),
      })
    : undefined;
  const store = database ? undefined : new ArchiveStore(config.dataDir, config.maxFileBytes);
  const backend = (): ArchiveBackend | null =>
    database ? database.backend : store!.archive ? memorySource(store!.archive) : null;
  const cache = new ResponseCache(config.responseCacheBytes);
  const metrics = config.metrics.enabled
    ? new Metrics({
        backend,
        responses: cache,
        planned,
        documents,
        budgets: {
          responses: config.responseCacheBytes,
          plans: planned ? config.planCacheBytes : 0,
          documents: config.documentCacheBytes,
          entity_views: planned ? config.entityViewBytes : 0,
          records: database ? config.database.recordCacheBytes : 0,
        },
        ...(database ? { records: database.recordStats } : {}),
      })
    : undefined;
  if (metrics) store?.observe(metrics.reloads);
  if (telemetry.enabled) store?.observe(telemetry.reloads);
  const lifecycle = new Lifecycle();
  lifecycle.attach(httpServer);
  let watcher: Watcher | null = null;
  httpServer.on(
    'request',
    createRequestHandler({
      apollo,
      backend,
      notServing: () => (database?.state.status === 'unavailable' ? 'unavailable' : 'starting'),
      maxBodyBytes: config.maxBodyBytes,
      maxJsonDepth: config.maxJsonDepth,
      limits: config.limits,
      lifecycle,
      cache,
      ...(planned ? { planned } : {}),
      ...(config.routerSecret ? { routerSecret: config.routerSecret } : {}),
      ...(options.onBatch ? { onBatch: options.onBatch } : {}),
      onError: (error) => logger.error({ err: error }, 'request failed'),
      watch: () => watcher?.state ?? 'off',
      observer: createObserver({ tracer: telemetry.enabled ? telemetry : undefined, metrics, logger }),
      // On the main port unless it has a port of its own.
      metrics: config.metrics.port === undefined ? metrics : undefined,
    }),
  );
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const metricsServer =
    metrics && config.metrics.port !== undefined
      ? await startMetricsServer(metrics, config.metrics.port, config.host)
      : undefined;
  const host =
    config.host === undefined || config.host === '::' || config.host === '0.0.0.0' ? 'localhost' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/graphql`;
  if (database) {
    logger.info({ port }, `listening on port ${port}, following the archive database`);
    // The first check (connected or not: a database down at start is retried, /health says starting meanwhile).
    await database.start();
    logger.info({ url, status: database.state.status }, `transcript subgraph ready at ${url}`);
    return running(undefined, database, null);
  }
  logger.info({ port }, `listening on port ${port}, loading ${config.dataDir}`);
  const folder = store!;

  let first;
  try {
    first = await folder.reload();
  } catch (error) {
    await apollo.stop();
    await metricsServer?.close();
    if (!options.telemetry) await telemetry.shutdown();
    throw error;
  }
  logDiagnostics(logger, first.archive.diagnostics);
  logger.info(
    { dataDir: config.dataDir, ...first.archive.stats, ms: Math.round(first.ms) },
    `loaded ${first.archive.stats.segments} segments from ${first.archive.stats.files} files`,
  );
  watcher = config.watch
    ? watchArchive(folder, {
        onReload: (summary) => {
          logDiagnostics(logger, summary.fresh);
          logger.info(
            {
              event: 'reload',
              ...summary.archive.stats,
              read: summary.read,
              removed: summary.removed,
              keptLastGood: summary.keptLastGood,
              ms: Math.round(summary.ms),
            },
            `reloaded: ${summary.read} files read, ${summary.removed} removed`,
          );
        },
        onError: (error) =>
          logger.error({ err: error }, 'reload or watch failed; still serving the previous archive, retrying'),
        onStateChange: (state, error) => {
          if (state === 'failed') {
            logger.error(
              { err: error, event: 'watch', watch: state, dataDir: config.dataDir },
              `cannot watch ${config.dataDir}; still serving the last archive, retrying`,
            );
          } else {
            logger.info(
              { event: 'watch', watch: state, dataDir: config.dataDir },
              `watching ${config.dataDir} again; rescanning`,
            );
          }
        },
      })
    : null;
  logger.info({ url, watch: config.watch }, `transcript subgraph ready at ${url}`);
  return running(folder, undefined, watcher);

  function running(
    store: ArchiveStore | undefined,
    database: PgFollower | undefined,
    watcher: Watcher | null,
  ): RunningServer {
    return {
      url,
      port,
      store,
      database,
      backend,
      get archive() {
        if (!store?.archive) throw new Error('no in-memory archive: this server serves the archive database');
        return store.archive;
      },
      apollo,
      planned,
      documents,
      telemetry,
      metrics,
      metricsPort: metrics ? (metricsServer?.port ?? port) : undefined,
      stop: async () => {
        watcher?.close();
        const counts = await drain(httpServer, lifecycle, config.shutdownGraceMs);
        await apollo.stop();
        await metricsServer?.close();
        await database?.stop();
        // After the last request: its spans go out with the rest.
        if (!options.telemetry) await telemetry.shutdown();
        return counts;
      },
    };
  }
}

/**
 * Stops accepting connections and waits, up to `graceMs`, for every connection to close: answers in flight are
 * written out whole (to slow readers too), later answers say `Connection: close`, idle keep-alive sockets are
 * closed as they turn idle. Whatever is still open when the grace runs out is cut off.
 */
async function drain(
  server: http.Server,
  lifecycle: Lifecycle,
  graceMs: number,
): Promise<{ drained: number; abandoned: number }> {
  // net.Server's close, not http.Server's: since Node 19 the latter also calls closeIdleConnections(), which
  // destroys connections whose answer has ended but is still being written to a slow reader (see Lifecycle).
  const closed = new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()));
  lifecycle.drain();
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
  const result = await Promise.race([closed, graceOver]);
  clearTimeout(timer);
  const abandoned = result === 'timeout' ? lifecycle.inFlight : 0;
  if (result === 'timeout') {
    lifecycle.destroyAll();
    await closed;
  }
  return { drained: lifecycle.drained - abandoned, abandoned };
}
