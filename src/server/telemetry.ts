/**
 * OpenTelemetry traces, explicit: one server span per request (continuing the router's trace from its W3C
 * `traceparent`), child spans for Apollo's parse/validate/execute and for search, one root span per archive
 * reload, exported over OTLP/HTTP. No auto-instrumentation: patching `http` would trace every request twice and
 * cost on the hot path; the HTTP layer and the pipeline say what happened instead (observe.ts).
 *
 * Off unless an endpoint is configured (or with OTEL_SDK_DISABLED): then the SDK is not even loaded, no exporter
 * exists, nothing leaves the machine, and the request path makes no tracing call at all.
 *
 * Globals: the SDK's tracer provider is not registered with the API (nothing else here uses the global tracer);
 * only an AsyncLocalStorage context manager is, so that log lines written while a request runs carry its trace
 * id (logger.ts), and OpenTelemetry's own warnings (an unreachable collector) go to the log.
 */
import type http from 'node:http';

import {
  context,
  defaultTextMapGetter,
  diag,
  DiagLogLevel,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context as OtelContext,
  type Span,
  type TextMapPropagator,
  type Tracer,
} from '@opentelemetry/api';
import type { Sampler, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';

import type { ReloadObserver } from '../archive/index.js';
import type { TraceSpan } from '../context.js';
import type { SamplerName, TracingConfig } from './config.js';
import type { Logger } from './logger.js';
import type { GraphQLAnswer, RequestSpan, RequestTracer } from './observe.js';

export interface TelemetryOptions extends TracingConfig {
  /** `service.version` of the spans' resource. */
  readonly serviceVersion: string;
  /** Where OpenTelemetry's own warnings go (an export that failed). */
  readonly logger?: Logger | undefined;
  /** How long finished spans wait to be sent in a batch; default 5000 ms (the SDK's). */
  readonly exportDelayMs?: number;
  /** Instead of OTLP (tests). */
  readonly exporter?: SpanExporter;
}

export interface Telemetry extends RequestTracer {
  /** Whether spans are made and exported. */
  readonly enabled: boolean;
  /** A root span per archive reload; give it to `ArchiveStore.observe`. */
  readonly reloads: ReloadObserver;
  /** Sends the spans finished so far. */
  flush(): Promise<void>;
  /** Sends what is left and stops (waits at most `SHUTDOWN_FLUSH_MS` for the collector). */
  shutdown(): Promise<void>;
}

/** Longest that shutdown waits for the last spans to go out: a collector that is down must not hold the exit. */
export const SHUTDOWN_FLUSH_MS = 5000;

/** Requests not traced: probes and scrapes, every few seconds, would bury the traces that matter. */
const UNTRACED_ROUTES = new Set(['/health', '/health/live', '/metrics']);

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** Tracing off: what `startTelemetry` returns without an endpoint. */
export const TELEMETRY_OFF: Telemetry = {
  enabled: false,
  startRequest: () => null,
  reloads: () => () => undefined,
  flush: async () => undefined,
  shutdown: async () => undefined,
};

/**
 * Starts tracing when an endpoint is configured and the SDK is not disabled; otherwise returns TELEMETRY_OFF
 * without loading the SDK.
 *
 * @example
 * const telemetry = await startTelemetry({ ...config.tracing, serviceVersion: '0.1.0', logger });
 * // … serve …
 * await telemetry.shutdown();
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  if (options.disabled || (options.endpoint === undefined && !options.exporter)) return TELEMETRY_OFF;
  // Loaded here, not at the top: a server without tracing never loads the SDK.
  const [sdk, core, resources, hooks] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/context-async-hooks'),
  ]);
  const exporter = options.exporter ?? (await otlpExporter(options.protocol, options.endpoint!));
  const provider = new sdk.NodeTracerProvider({
    resource: resources.resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      [ATTR_SERVICE_VERSION]: options.serviceVersion,
    }),
    sampler: makeSampler(sdk, options.sampler, options.samplerRatio),
    spanProcessors: [
      new sdk.BatchSpanProcessor(exporter, {
        ...(options.exportDelayMs !== undefined ? { scheduledDelayMillis: options.exportDelayMs } : {}),
      }),
    ],
  });
  acquireGlobals(() => new hooks.AsyncLocalStorageContextManager().enable(), options.logger);
  return new ActiveTelemetry(
    provider,
    provider.getTracer('transcript-subgraph', options.serviceVersion),
    new core.W3CTraceContextPropagator(),
  );
}

async function otlpExporter(protocol: TracingConfig['protocol'], url: string): Promise<SpanExporter> {
  const { OTLPTraceExporter } =
    protocol === 'http/json'
      ? await import('@opentelemetry/exporter-trace-otlp-http')
      : await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter({ url });
}

type Sdk = typeof import('@opentelemetry/sdk-trace-node');

/** The sampler of `OTEL_TRACES_SAMPLER`; the parent-based ones follow the router's sampling decision. */
function makeSampler(sdk: Sdk, name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new sdk.AlwaysOnSampler();
    case 'always_off':
      return new sdk.AlwaysOffSampler();
    case 'traceidratio':
      return new sdk.TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(ratio) });
  }
}

// The API's globals are per process; servers that trace (tests start several) share them, counted.
let globalUsers = 0;

function acquireGlobals(manager: () => Parameters<typeof context.setGlobalContextManager>[0], logger?: Logger): void {
  if (globalUsers++ > 0) return;
  context.setGlobalContextManager(manager());
  if (logger) {
    const log = logger.child({ component: 'opentelemetry' });
    diag.setLogger(
      {
        error: (message, ...args) => log.error({ args }, message),
        warn: (message, ...args) => log.warn({ args }, message),
        info: () => undefined,
        debug: () => undefined,
        verbose: () => undefined,
      },
      { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
  }
}

function releaseGlobals(): void {
  if (--globalUsers > 0) return;
  context.disable();
  diag.disable();
}

class ActiveTelemetry implements Telemetry {
  readonly enabled = true;
  private stopped: Promise<void> | null = null;

  constructor(
    private readonly provider: BasicTracerProvider,
    private readonly tracer: Tracer,
    private readonly propagator: TextMapPropagator,
  ) {}

  startRequest(req: http.IncomingMessage, route: string | null, path: string): RequestSpan | null {
    if (route !== null && UNTRACED_ROUTES.has(route)) return null;
    // The router's trace, when it sent one; a root span otherwise.
    const parent = this.propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
    const method = (req.method ?? 'GET').toUpperCase();
    const known = KNOWN_METHODS.has(method);
    const span = this.tracer.startSpan(
      known ? (route ? `${method} ${route}` : method) : 'HTTP',
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: known ? method : '_OTHER',
          [ATTR_URL_PATH]: path,
          [ATTR_URL_SCHEME]: 'http',
          [ATTR_NETWORK_PROTOCOL_VERSION]: req.httpVersion,
          ...(route ? { [ATTR_HTTP_ROUTE]: route } : {}),
          ...(req.headers['user-agent'] ? { [ATTR_USER_AGENT_ORIGINAL]: req.headers['user-agent'] } : {}),
        },
      },
      parent,
    );
    return new ServerSpan(this.tracer, span, trace.setSpan(parent, span));
  }

  readonly reloads: ReloadObserver = () => {
    // Not tied to a request: a reload runs on the watcher's timer, or at start.
    const span = this.tracer.startSpan('transcripts.reload', { root: true, kind: SpanKind.INTERNAL });
    return (ended) => {
      if ('summary' in ended) {
        const { summary } = ended;
        span.setAttributes({
          'transcripts.reload.result': 'ok',
          'transcripts.reload.files_read': summary.read,
          'transcripts.reload.files_removed': summary.removed,
          'transcripts.reload.kept_last_good': summary.keptLastGood.length,
          'transcripts.archive.files': summary.archive.stats.files,
          'transcripts.archive.segments': summary.archive.stats.segments,
          'transcripts.archive.turns': summary.archive.stats.turns,
          'transcripts.archive.errors': summary.archive.stats.errors,
        });
      } else {
        span.setAttribute('transcripts.reload.result', 'failed');
        failed(span, ended.error);
      }
      span.end();
    };
  };

  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  shutdown(): Promise<void> {
    this.stopped ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_FLUSH_MS).unref()));
      await Promise.race([this.provider.shutdown().catch(() => undefined), late]);
      clearTimeout(timer);
      releaseGlobals();
    })();
    return this.stopped;
  }
}

/** Marks a span failed, with the error as an exception event. */
function failed(span: Span, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  span.recordException(error instanceof Error ? error : message);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

class ServerSpan implements RequestSpan {
  /** The innermost child span still open (search runs inside execute), else the server span's context. */
  private current: OtelContext;

  constructor(
    private readonly tracer: Tracer,
    private readonly otel: Span,
    private readonly context: OtelContext,
  ) {
    this.current = context;
  }

  run<T>(fn: () => T): T {
    return context.with(this.context, fn);
  }

  span(name: string): TraceSpan {
    const parent = this.current;
    const span = this.tracer.startSpan(name, { kind: SpanKind.INTERNAL }, parent);
    const own = trace.setSpan(parent, span);
    this.current = own;
    return new ChildSpan(span, () => {
      if (this.current === own) this.current = parent;
    });
  }

  end(status: number, answer: GraphQLAnswer | null): void {
    const span = this.otel;
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (answer) {
      const codes = answer.errorCodes ?? [];
      span.setAttribute('transcripts.path', answer.path);
      // Refused by a limit (before Apollo or inside it), answered with errors, or clean.
      const refused = answer.path === 'refused' || answer.limit !== undefined;
      span.setAttribute('transcripts.outcome', refused ? 'refused' : codes.length > 0 ? 'errors' : 'ok');
      if (answer.operationName) span.setAttribute('graphql.operation.name', answer.operationName);
      if (answer.operationType) span.setAttribute('graphql.operation.type', answer.operationType);
      // A router batch can fail a thousand representations: the first codes say enough.
      if (codes.length > 0) span.setAttribute('transcripts.error_codes', codes.slice(0, 16));
      if (answer.limit) span.setAttribute('transcripts.limit', answer.limit);
    }
    // HTTP semantic conventions: a server span fails on 5xx only (4xx is the client's).
    if (status >= 500) {
      span.setAttribute(ATTR_ERROR_TYPE, String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  }
}

class ChildSpan implements TraceSpan {
  constructor(
    private readonly otel: Span,
    private readonly ended: () => void,
  ) {}

  setAttribute(key: string, value: string | number | boolean): void {
    this.otel.setAttribute(key, value);
  }

  end(error?: unknown): void {
    if (error !== undefined && error !== null) failed(this.otel, error);
    this.otel.end();
    this.ended();
  }
}
