/**
 * What the HTTP layer and the GraphQL pipeline tell about each request, and who listens: traces (telemetry.ts),
 * metrics (metrics.ts) and a debug log line. The HTTP layer starts an observation per request and ends it with
 * the status; the pipeline says, where it decides, which path answered (`answered`). With tracing and metrics
 * both off, every request shares one observation that does nothing.
 */
import type http from 'node:http';

import type { RequestTrace } from '../context.js';
import type { Logger } from './logger.js';

/** Which stage answered a GraphQL request. */
export type AnswerPath = 'cache' | 'plan' | 'apollo' | 'refused';

/** Codes of the limits that refuse requests: the query limits' own, and the body stage's. */
export const LIMIT_CODES = [
  'MAX_TOKENS_EXCEEDED',
  'MAX_DEPTH_EXCEEDED',
  'MAX_ALIASES_EXCEEDED',
  'MAX_DIRECTIVES_EXCEEDED',
  'MAX_COST_EXCEEDED',
  'MAX_BODY_BYTES_EXCEEDED',
  'MAX_JSON_DEPTH_EXCEEDED',
] as const;

/** What the pipeline knows about its answer, from structured results (never from the answer's text). */
export interface GraphQLAnswer {
  readonly path: AnswerPath;
  /** The operation's name; null or undefined when anonymous or unknown. */
  readonly operationName?: string | null | undefined;
  readonly operationType?: string | undefined;
  /** `extensions.code` of each error in the answer. */
  readonly errorCodes?: readonly string[] | undefined;
  /** The limit that refused the request, when one did (one of LIMIT_CODES). */
  readonly limit?: string | undefined;
}

/** One request, observed. */
export interface ObservedRequest {
  /** Child spans, when this request is traced (put into the GraphQL context). */
  readonly trace: RequestTrace | undefined;
  /** Called by the GraphQL pipeline where it answers. */
  answered(answer: GraphQLAnswer): void;
  /** Runs `fn` with the request's span as the active context (log lines then carry its trace id). */
  run<T>(fn: () => T): T;
  /** Called once, when the request's handling is over. */
  end(status: number): void;
}

/** The server span of a request (telemetry.ts). */
export interface RequestSpan extends RequestTrace {
  run<T>(fn: () => T): T;
  end(status: number, answer: GraphQLAnswer | null): void;
}

export interface RequestTracer {
  /** A span for the request, or null when this request is not traced. */
  startRequest(req: http.IncomingMessage, route: string | null, path: string): RequestSpan | null;
}

export interface RequestMetrics {
  record(route: string, status: number, answer: GraphQLAnswer | null, seconds: number): void;
}

export interface RequestObserver {
  /**
   * @param route the matched route as a template (`/transcripts/{episode}.{format}`), null when none matched
   * @param path the request's path, without the query
   */
  start(req: http.IncomingMessage, route: string | null, path: string): ObservedRequest;
}

const NOTHING: ObservedRequest = {
  trace: undefined,
  answered: () => undefined,
  run: (fn) => fn(),
  end: () => undefined,
};

/** Observes nothing (tests that build the request handler alone). */
export const NO_OBSERVER: RequestObserver = { start: () => NOTHING };

/**
 * The request observer of a server: traces, metrics and, at `debug`, one log line per request.
 *
 * @example
 * const observer = createObserver({ tracer: telemetry, metrics, logger });
 */
export function createObserver(options: {
  readonly tracer?: RequestTracer | undefined;
  readonly metrics?: RequestMetrics | undefined;
  readonly logger?: Logger | undefined;
}): RequestObserver {
  const { tracer, metrics } = options;
  const logger = options.logger?.isLevelEnabled('debug') ? options.logger : undefined;
  if (!tracer && !metrics && !logger) return NO_OBSERVER;
  return {
    start(req, route, path) {
      const span = tracer ? tracer.startRequest(req, route, path) : null;
      return new Observation(span, metrics, logger, route, path, req.method ?? '');
    },
  };
}

class Observation implements ObservedRequest {
  private readonly startedAt = performance.now();
  private answer: GraphQLAnswer | null = null;
  readonly trace: RequestTrace | undefined;

  constructor(
    private readonly span: RequestSpan | null,
    private readonly metrics: RequestMetrics | undefined,
    private readonly logger: Logger | undefined,
    private readonly route: string | null,
    private readonly path: string,
    private readonly method: string,
  ) {
    this.trace = span ?? undefined;
  }

  answered(answer: GraphQLAnswer): void {
    this.answer = answer;
  }

  run<T>(fn: () => T): T {
    return this.span ? this.span.run(fn) : fn();
  }

  end(status: number): void {
    const seconds = (performance.now() - this.startedAt) / 1000;
    this.metrics?.record(this.route ?? 'unmatched', status, this.answer, seconds);
    this.span?.end(status, this.answer);
    this.logger?.debug(
      {
        method: this.method,
        route: this.route,
        path: this.path.slice(0, 200),
        status,
        ms: Math.round(seconds * 1e4) / 10,
        ...(this.answer
          ? {
              answeredBy: this.answer.path,
              operationName: this.answer.operationName ?? undefined,
              errorCodes: this.answer.errorCodes,
            }
          : {}),
      },
      'request',
    );
  }
}

/**
 * The route of a request path as a template, or null when no route matches (the answer is a 404). Route labels in
 * metrics and `http.route` in spans come from here, so an unknown path never becomes a label.
 *
 * @example
 * routeOf('/transcripts/ep1.vtt') // '/transcripts/{episode}.{format}'
 */
export function routeOf(path: string): string | null {
  const route = path.replace(/\/+$/, '') || '/';
  switch (route) {
    case '/graphql':
    case '/health':
    case '/health/live':
    case '/metrics':
    case '/':
      return route;
  }
  if (/^\/transcripts\/[^/]+\.[a-z]+$/.test(route)) return '/transcripts/{episode}.{format}';
  if (/^\/chapters\/[^/]+\.[a-z]+$/.test(route)) return '/chapters/{episode}.{format}';
  return null;
}
