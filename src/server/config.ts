/** Everything the server reads from the environment, in one place, validated once at start. */
import path from 'node:path';

import { DEFAULT_MAX_BYTES } from '../parser/index.js';
import { redactUrl } from '../pg/client.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';

export interface Config {
  /** TCP port; 0 picks a free one. `PORT`, default 4001. */
  readonly port: number;
  /** Interface to listen on. `HOST`, default: every interface, IPv4 and IPv6 (so `localhost` and `127.0.0.1` both work). */
  readonly host: string | undefined;
  /** Folder of transcripts. `DATA_DIR`, default `./data` (relative to the working directory). */
  readonly dataDir: string;
  /** Largest transcript file read, in bytes. `MAX_FILE_BYTES`, default 10 MiB. */
  readonly maxFileBytes: number;
  /** Largest request body accepted, in bytes. `MAX_BODY_BYTES`, default 2 MiB. */
  readonly maxBodyBytes: number;
  /** Deepest JSON nesting accepted in a request body. `MAX_JSON_DEPTH`, default 64. */
  readonly maxJsonDepth: number;
  /** Bytes of responses kept for repeated operations. `RESPONSE_CACHE_MAX_BYTES`, default 32 MiB; 0 turns it off. */
  readonly responseCacheBytes: number;
  /**
   * Bytes of parsed and validated documents Apollo keeps (and, an eighth of it, persisted-query texts).
   * `DOCUMENT_CACHE_MAX_BYTES`, default 8 MiB; 0 keeps none.
   */
  readonly documentCacheBytes: number;
  /** Bytes of plans kept for planned execution. `PLAN_CACHE_MAX_BYTES`, default 8 MiB. */
  readonly planCacheBytes: number;
  /**
   * Answer repeated operations from plans of the documents Apollo accepted, skipping its pipeline.
   * `PLANNED_EXECUTION`, default on.
   */
  readonly plannedExecution: boolean;
  /**
   * Bytes of JSON of completed entities kept per archive for planned operations to reuse.
   * `ENTITY_VIEWS_MAX_BYTES`, default 32 MiB; 0 keeps none.
   */
  readonly entityViewBytes: number;
  /** pino level. `LOG_LEVEL`, default `info`. */
  readonly logLevel: string;
  /** `NODE_ENV === 'production'`. */
  readonly production: boolean;
  /** Query limits: `MAX_DEPTH`, `MAX_ALIASES`, `MAX_DIRECTIVES`, `MAX_TOKENS`, `MAX_COST`. */
  readonly limits: Limits;
  /** Introspection and the Sandbox landing page. `INTROSPECTION`, default on outside production. */
  readonly introspection: boolean;
  /** When set, only requests with this `router-authorization` header are served. `ROUTER_SECRET`. */
  readonly routerSecret: string | undefined;
  /** Reload when files under DATA_DIR change. `WATCH`, default on outside production. */
  readonly watch: boolean;
  /** How long SIGTERM waits for in-flight requests, in ms. `SHUTDOWN_GRACE_MS`, default 10000. */
  readonly shutdownGraceMs: number;
  /** OpenTelemetry traces (the standard `OTEL_*` variables); off unless an endpoint is set. */
  readonly tracing: TracingConfig;
  /** Prometheus metrics at `GET /metrics`. */
  readonly metrics: MetricsConfig;
  /** The PostgreSQL archive: when `DATABASE_URL` is set, served instead of `DATA_DIR`. */
  readonly database: DatabaseConfig;
}

export interface DatabaseConfig {
  /**
   * `DATABASE_URL`, a `postgres://` URL (libpq's `PG*` variables fill what it leaves out, `sslmode` and friends
   * included). Unset: the archive is the folder `DATA_DIR`, in memory.
   */
  readonly url: string | undefined;
  /** Connections to it per replica. `DATABASE_POOL_MAX`, default 10 (a request holds one while it reads). */
  readonly poolMax: number;
  /** Longest a query may run, in ms. `DATABASE_STATEMENT_TIMEOUT_MS`, default 5000. */
  readonly statementTimeoutMs: number;
  /**
   * How often the archive's version is read besides LISTEN/NOTIFY (which read replicas and poolers in transaction
   * mode do not pass on), in ms. `DATABASE_POLL_MS`, default 1000.
   */
  readonly pollMs: number;
  /**
   * Bytes of records (segments, turns, speakers, ... by id) a replica keeps per archive version, so repeated
   * look-ups skip the database. `DATABASE_CACHE_MAX_BYTES`, default 32 MiB; 0 keeps none.
   */
  readonly recordCacheBytes: number;
}

/** The samplers of the OpenTelemetry specification's `OTEL_TRACES_SAMPLER`. */
export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

export interface TracingConfig {
  /**
   * Where spans go (OTLP over HTTP): `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as given, else
   * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`. Unset: no tracing, nothing is sent anywhere.
   */
  readonly endpoint: string | undefined;
  /** `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` or `OTEL_EXPORTER_OTLP_PROTOCOL`, default `http/protobuf`. */
  readonly protocol: 'http/protobuf' | 'http/json';
  /** `OTEL_SERVICE_NAME`, default `transcript-subgraph`. */
  readonly serviceName: string;
  /** `OTEL_TRACES_SAMPLER`, default `parentbased_always_on` (a sampled router trace is always continued). */
  readonly sampler: SamplerName;
  /** `OTEL_TRACES_SAMPLER_ARG`: the ratio of the `traceidratio` samplers, 0 to 1, default 1. */
  readonly samplerRatio: number;
  /** `OTEL_SDK_DISABLED`: off even with an endpoint. */
  readonly disabled: boolean;
}

export interface MetricsConfig {
  /** `METRICS`, default on. */
  readonly enabled: boolean;
  /**
   * `METRICS_PORT`: when set, `/metrics` is served on this port (same `HOST`), without the router secret, and not
   * on the main port. Unset: on the main port, behind `ROUTER_SECRET` like every route but `/health`.
   */
  readonly port: number | undefined;
}

const MiB = 1024 * 1024;

/**
 * Default byte budgets of the caches, which together set the ceiling of what caching can hold: responses and entity
 * views per archive (a reload starts new ones), documents and plans for the process.
 */
export const CACHE_DEFAULTS = {
  responses: 32 * MiB,
  entityViews: 32 * MiB,
  documents: 8 * MiB,
  plans: 8 * MiB,
  /** Over PostgreSQL only: records per archive version (DATABASE_CACHE_MAX_BYTES). */
  records: 32 * MiB,
} as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'on', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'off', 'no'].includes(raw)) return false;
  throw new Error(`${name} must be 1/true/on or 0/false/off, got ${JSON.stringify(env[name])}`);
}

/**
 * Reads the configuration; throws with the variable's name when a value is unusable.
 *
 * @example
 * readConfig({ PORT: '0', DATA_DIR: '/srv/transcripts' }).port // 0
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const logLevel = (env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel))
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(env.LOG_LEVEL)}`);
  return {
    port: integer(env, 'PORT', 4001, 0, 65535),
    host: env.HOST?.trim() || undefined,
    dataDir: path.resolve(env.DATA_DIR?.trim() || 'data'),
    maxFileBytes: integer(env, 'MAX_FILE_BYTES', DEFAULT_MAX_BYTES, 1, 1024 ** 3),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 2 * 1024 * 1024, 1024, 1024 ** 3),
    maxJsonDepth: integer(env, 'MAX_JSON_DEPTH', 64, 1, 10_000),
    responseCacheBytes: integer(env, 'RESPONSE_CACHE_MAX_BYTES', CACHE_DEFAULTS.responses, 0, 1024 ** 4),
    documentCacheBytes: integer(env, 'DOCUMENT_CACHE_MAX_BYTES', CACHE_DEFAULTS.documents, 0, 1024 ** 4),
    planCacheBytes: integer(env, 'PLAN_CACHE_MAX_BYTES', CACHE_DEFAULTS.plans, 0, 1024 ** 4),
    plannedExecution: flag(env, 'PLANNED_EXECUTION', true),
    entityViewBytes: integer(env, 'ENTITY_VIEWS_MAX_BYTES', CACHE_DEFAULTS.entityViews, 0, 1024 ** 4),
    logLevel,
    production,
    limits: {
      maxDepth: integer(env, 'MAX_DEPTH', DEFAULT_LIMITS.maxDepth, 1, 1000),
      maxAliases: integer(env, 'MAX_ALIASES', DEFAULT_LIMITS.maxAliases, 0, 100_000),
      maxDirectives: integer(env, 'MAX_DIRECTIVES', DEFAULT_LIMITS.maxDirectives, 0, 100_000),
      maxTokens: integer(env, 'MAX_TOKENS', DEFAULT_LIMITS.maxTokens, 10, 10_000_000),
      maxCost: integer(env, 'MAX_COST', DEFAULT_LIMITS.maxCost, 1, 1e12),
    },
    introspection: flag(env, 'INTROSPECTION', !production),
    routerSecret: env.ROUTER_SECRET ? env.ROUTER_SECRET : undefined,
    watch: flag(env, 'WATCH', !production),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    tracing: readTracing(env),
    metrics: readMetrics(env),
    database: readDatabase(env),
  };
}

function readDatabase(env: NodeJS.ProcessEnv): DatabaseConfig {
  const url = env.DATABASE_URL?.trim() || undefined;
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) {
    throw new Error('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  return {
    url,
    poolMax: integer(env, 'DATABASE_POOL_MAX', 10, 1, 1000),
    statementTimeoutMs: integer(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 5000, 1, 3_600_000),
    pollMs: integer(env, 'DATABASE_POLL_MS', 1000, 10, 3_600_000),
    recordCacheBytes: integer(env, 'DATABASE_CACHE_MAX_BYTES', CACHE_DEFAULTS.records, 0, 1024 ** 4),
  };
}

function url(env: NodeJS.ProcessEnv, name: string): URL | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(raw);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new Error(`${name} must be an http:// or https:// URL, got ${JSON.stringify(raw)}`);
  }
  return parsed;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw)) {
    throw new Error(`${name} must be one of ${values.join(', ')}, got ${JSON.stringify(env[name])}`);
  }
  return raw as T;
}

/** The standard OpenTelemetry variables that concern traces (as the specification reads them, but strict). */
function readTracing(env: NodeJS.ProcessEnv): TracingConfig {
  const traces = url(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const base = url(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  // The base endpoint gets the signal's path appended; the per-signal one is used as it is.
  const endpoint = traces ? traces.href : base ? `${base.href.replace(/\/+$/, '')}/v1/traces` : undefined;
  const protocols = ['http/protobuf', 'http/json'] as const;
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?.trim()
    ? oneOf(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', protocols, 'http/protobuf')
    : oneOf(env, 'OTEL_EXPORTER_OTLP_PROTOCOL', protocols, 'http/protobuf');
  const sampler = oneOf(env, 'OTEL_TRACES_SAMPLER', SAMPLERS, 'parentbased_always_on');
  const rawRatio = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  const samplerRatio = rawRatio ? Number(rawRatio) : 1;
  if (!(samplerRatio >= 0 && samplerRatio <= 1)) {
    throw new Error(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, got ${JSON.stringify(rawRatio)}`);
  }
  return {
    endpoint,
    protocol,
    serviceName: env.OTEL_SERVICE_NAME?.trim() || 'transcript-subgraph',
    sampler,
    samplerRatio,
    disabled: flag(env, 'OTEL_SDK_DISABLED', false),
  };
}

function readMetrics(env: NodeJS.ProcessEnv): MetricsConfig {
  const enabled = flag(env, 'METRICS', true);
  const raw = env.METRICS_PORT?.trim();
  const port = raw ? integer(env, 'METRICS_PORT', 0, 0, 65535) : undefined;
  if (port !== undefined && port !== 0 && port === integer(env, 'PORT', 4001, 0, 65535)) {
    throw new Error(`METRICS_PORT must differ from PORT, got ${port} for both`);
  }
  return { enabled, port };
}

/**
 * The configuration as the startup line shows it: secrets replaced, credentials in URLs removed.
 *
 * @example
 * redactedConfig(readConfig({ ROUTER_SECRET: 'x' })).routerSecret // '[redacted]'
 */
export function redactedConfig(config: Config): Record<string, unknown> {
  const { endpoint } = config.tracing;
  let shownEndpoint = endpoint;
  if (endpoint) {
    const parsed = new URL(endpoint);
    if (parsed.username || parsed.password) {
      parsed.username = parsed.password = '';
      shownEndpoint = `${parsed.href} (credentials redacted)`;
    }
  }
  return {
    ...config,
    routerSecret: config.routerSecret === undefined ? undefined : '[redacted]',
    database: {
      ...config.database,
      url: config.database.url === undefined ? undefined : redactUrl(config.database.url),
    },
    tracing: { ...config.tracing, endpoint: shownEndpoint },
  };
}
