/** Everything the server reads from the environment, in one place, validated once at start. */
import path from 'node:path';

import { DEFAULT_MAX_BYTES } from '../parser/index.js';
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
  };
}
