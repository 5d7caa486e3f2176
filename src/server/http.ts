/**
 * The HTTP layer: routes a request to `/health`, the access check, the GraphQL pipeline (src/server/pipeline/),
 * `/metrics` or the transcript and chapter downloads (downloads.ts). Nothing a client sends can end the process:
 * the request target is read without throwing, every stage answers with data, and an error that still escapes is
 * logged and answered with a 500 for that request alone. Each request is observed (observe.ts: its trace span,
 * metrics) from its start to the end of its handling.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type net from 'node:net';

import type { ApolloServer } from '@apollo/server';
import cors from 'cors';

import type { ArchiveBackend } from '../archive/index.js';
import type { BatchObserver, Context } from '../context.js';
import { sendDownload } from './downloads.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { sendMetrics, type Metrics } from './metrics.js';
import { NO_OBSERVER, routeOf, type ObservedRequest, type RequestObserver } from './observe.js';
import { answerGraphQL, type GraphQLPipeline } from './pipeline/graphql.js';
import type { PlannedOperations } from './pipeline/planned.js';
import { sendJson } from './pipeline/respond.js';
import type { ResponseCache } from './pipeline/response-cache.js';

export interface HttpOptions {
  readonly apollo: ApolloServer<Context>;
  /**
   * The archive requests read (in memory, or over PostgreSQL), or null before it is ready; called once per request,
   * so a reload or a sync only has to swap what it returns.
   */
  readonly backend: () => ArchiveBackend | null;
  /**
   * Why `backend()` is null: `starting` (loading, or no database reached yet) or `unavailable` (the database was
   * lost while serving). Default: starting.
   */
  readonly notServing?: () => 'starting' | 'unavailable';
  readonly maxBodyBytes: number;
  /** Deepest JSON nesting accepted in a request body. Default 64. */
  readonly maxJsonDepth?: number;
  /** The token limit (the other limits run inside Apollo). Default: DEFAULT_LIMITS. */
  readonly limits?: Pick<Limits, 'maxTokens'>;
  readonly onBatch?: BatchObserver;
  /** Serves repeated operations without executing them again. */
  readonly cache?: ResponseCache;
  /** Runs operations Apollo already accepted through their plans, skipping Apollo's pipeline. */
  readonly planned?: PlannedOperations;
  /** When set, every request but `/health` must carry this value in `router-authorization`. */
  readonly routerSecret?: string;
  /** Counts requests in flight and marks answers `Connection: close` while the server drains. */
  readonly lifecycle?: Lifecycle;
  /** Called with errors that escape a request, for logging. */
  readonly onError?: (error: unknown) => void;
  /** The live reload's state for `/health`: `off` when not given. */
  readonly watch?: () => 'ok' | 'off' | 'failed';
  /** Told of every request: traces and metrics. */
  readonly observer?: RequestObserver;
  /** Served at `/metrics` (behind the router secret, as every route but `/health`); absent: 404. */
  readonly metrics?: Metrics | undefined;
}

/**
 * Connections and the requests in flight on them, for draining. Once `drain()` is called, every answer not yet
 * started carries `Connection: close`, connections with nothing in flight are ended, and a connection whose last
 * answer finishes is ended after it. Ending (`socket.end()`) writes out what is buffered first: Node's own
 * `closeIdleConnections()` destroys a socket as soon as its answer is *ended*, cutting off a large answer that a
 * slow reader has not taken yet.
 */
export class Lifecycle {
  private readonly busy = new Map<net.Socket, Set<http.ServerResponse>>();
  private draining = false;
  /** Requests that finished after draining began. */
  drained = 0;

  /** Requests in flight. */
  get inFlight(): number {
    let n = 0;
    for (const open of this.busy.values()) n += open.size;
    return n;
  }

  /** Follows a server's connections (call once, before it listens). */
  attach(server: http.Server): void {
    server.on('connection', (socket: net.Socket) => {
      if (this.draining) return void socket.destroy();
      this.busy.set(socket, new Set());
      socket.once('close', () => this.busy.delete(socket));
    });
  }

  track(res: http.ServerResponse): void {
    const socket = res.req.socket;
    const open = this.busy.get(socket);
    open?.add(res);
    if (this.draining) res.setHeader('connection', 'close');
    // 'close' fires once the answer is out or the connection is gone, whichever comes first.
    res.once('close', () => {
      open?.delete(res);
      if (!this.draining) return;
      this.drained++;
      if (open?.size === 0) socket.end();
    });
  }

  /** Starts draining: answers say `Connection: close`, idle connections end now, busy ones after their answers. */
  drain(): void {
    this.draining = true;
    for (const [socket, open] of this.busy) {
      if (open.size === 0) socket.end();
      for (const res of open) if (!res.headersSent) res.setHeader('connection', 'close');
    }
  }

  /** Cuts every connection off (when the grace runs out). */
  destroyAll(): void {
    for (const socket of this.busy.keys()) socket.destroy();
  }
}

export const DEFAULT_MAX_JSON_DEPTH = 64;

const corsHandler = cors();

/**
 * The request handler for the whole server.
 *
 * @example
 * const server = http.createServer(createRequestHandler({ apollo, archive: () => archive, maxBodyBytes: 2 ** 21 }));
 */
export function createRequestHandler(options: HttpOptions): http.RequestListener {
  const secret = options.routerSecret ? digest(options.routerSecret) : null;
  const notServing = options.notServing ?? ((): 'starting' => 'starting');
  const pipeline: GraphQLPipeline = {
    apollo: options.apollo,
    maxBodyBytes: options.maxBodyBytes,
    maxJsonDepth: options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH,
    limits: options.limits ?? DEFAULT_LIMITS,
    cache: options.cache,
    planned: options.planned,
    onBatch: options.onBatch,
  };
  const observer = options.observer ?? NO_OBSERVER;
  return (req, res) => {
    options.lifecycle?.track(res);
    const target = parseTarget(req.url);
    const observed = observer.start(req, target && routeOf(target.path), target?.path ?? '');
    // Inside the request's trace context, so that log lines written for it (an error) carry its trace id.
    observed.run(() =>
      handle(req, res, target, observed)
        .catch((error: unknown) => {
          options.onError?.(error);
          if (!res.headersSent) sendJson(res, 500, { error: 'internal server error' }, { close: true });
          else res.destroy();
        })
        .then(() => observed.end(res.statusCode)),
    );
  };

  async function handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    target: ReturnType<typeof parseTarget>,
    observed: ObservedRequest,
  ): Promise<void> {
    // A client that resets mid-request makes the request emit 'error'; it must not be an unhandled one.
    req.on('error', () => undefined);
    if (target === null) return sendJson(res, 400, { error: 'malformed request target' }, { close: true });
    const route = target.path.replace(/\/+$/, '') || '/';
    // Liveness: the process serves HTTP. Not the archive's state: restarting cannot bring a lost database back.
    if (route === '/health/live') return sendJson(res, 200, { status: 'live' });
    if (route === '/health') return sendHealth(res, options.backend(), options.watch?.() ?? 'off', notServing);
    // Before anything is read or parsed: without the router's secret there is nothing to talk about.
    if (secret !== null && !secretMatches(req.headers['router-authorization'], secret)) {
      return sendJson(res, 401, {
        errors: [{ message: 'router-authorization header missing or wrong', extensions: { code: 'UNAUTHENTICATED' } }],
      });
    }
    if (route === '/graphql') return graphqlRoute(req, res, target.search, observed);
    if (route === '/metrics' && options.metrics) return sendMetrics(options.metrics, req, res);
    const download = /^\/(transcripts|chapters)\/([^/]+)\.([a-z]+)$/.exec(route);
    if (download) {
      const shared = secret === null;
      const backend = options.backend();
      if (!backend && notServing() === 'unavailable') return sendUnavailable(res);
      return sendDownload(req, res, backend, download[1]!, download[2]!, download[3]!, { shared });
    }
    if (route === '/') {
      res.writeHead(302, { location: '/graphql' }).end();
      return;
    }
    return sendJson(res, 404, { error: `no route ${JSON.stringify(target.path.slice(0, 200))}` });
  }

  async function graphqlRoute(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    search: string,
    observed: ObservedRequest,
  ): Promise<void> {
    const backend = options.backend();
    if (!backend && notServing() === 'unavailable') return sendUnavailable(res);
    if (!backend) return sendJson(res, 503, { error: 'the archive is still loading' });
    if (req.method === 'OPTIONS') {
      await new Promise<void>((resolve, reject) =>
        corsHandler(req, res, (err?: unknown) => (err ? reject(err) : resolve())),
      );
      // cors() answered the preflight itself; anything else still needs an answer.
      if (res.writableEnded) return;
    } else {
      // All that cors() does for a request that is not a preflight, with its default options.
      res.setHeader('access-control-allow-origin', '*');
    }
    return answerGraphQL(pipeline, backend, req, res, search, observed);
  }
}

/**
 * The path and search string of a request target, or null when it is not one a client of ours could send. Read by
 * hand: `new URL` throws on targets such as `//` (a scheme-relative URL with no host), and must not be asked to.
 *
 * @example
 * parseTarget('/graphql?query=x') // { path: '/graphql', search: '?query=x' }
 * parseTarget('http://host/health') // { path: '/health', search: '' }  (absolute form, RFC 9112 3.2.2)
 */
export function parseTarget(url: string | undefined): { path: string; search: string } | null {
  if (url === undefined) return null;
  let target = url;
  const absolute = /^https?:\/\/[^/?#]*/i.exec(target);
  if (absolute) target = target.slice(absolute[0].length) || '/';
  if (!target.startsWith('/')) return null;
  const hash = target.indexOf('#');
  if (hash !== -1) target = target.slice(0, hash);
  const question = target.indexOf('?');
  return question === -1
    ? { path: target, search: '' }
    : { path: target.slice(0, question), search: target.slice(question) };
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** The archive's database is lost: a GraphQL error with a code clients can act on (retry), at once. */
function sendUnavailable(res: http.ServerResponse): void {
  sendJson(
    res,
    503,
    {
      errors: [
        {
          message: 'the archive is unavailable: its database cannot be reached',
          extensions: { code: 'ARCHIVE_UNAVAILABLE' },
        },
      ],
    },
    { headers: { 'retry-after': '1' } },
  );
}

/** Constant-time comparison; hashing first makes the time independent of the lengths too. */
function secretMatches(given: string | string[] | undefined, expected: Buffer): boolean {
  if (typeof given !== 'string') return false;
  return timingSafeEqual(digest(given), expected);
}

/** 200 once loaded, even with the watch failed: the last archive still serves, and `watch` says it may be stale. */
function sendHealth(
  res: http.ServerResponse,
  backend: ArchiveBackend | null,
  watch: 'ok' | 'off' | 'failed',
  notServing: () => 'starting' | 'unavailable',
): void {
  if (!backend) return sendJson(res, 503, { status: notServing() });
  const { series, episodes, segments, turns, speakers, errors, warnings } = backend.stats;
  sendJson(res, 200, { status: 'ok', series, episodes, segments, turns, speakers, errors, warnings, watch });
}
