/** Everything the server reads from the environment, in one place, validated once at start. */
import path from 'node:path';

import { DEFAULT_MAX_BYTES } from '../parser/index.js';

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
  /** Bytes of responses kept for repeated operations. `RESPONSE_CACHE_MAX_BYTES`, default 64 MiB; 0 turns it off. */
  readonly responseCacheBytes: number;
  /** pino level. `LOG_LEVEL`, default `info`. */
  readonly logLevel: string;
  /** `NODE_ENV === 'production'`. */
  readonly production: boolean;
}

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

/**
 * Reads the configuration; throws with the variable's name when a value is unusable.
 *
 * @example
 * readConfig({ PORT: '0', DATA_DIR: '/srv/transcripts' }).port // 0
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const logLevel = (env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel))
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(env.LOG_LEVEL)}`);
  return {
    port: integer(env, 'PORT', 4001, 0, 65535),
    host: env.HOST?.trim() || undefined,
    dataDir: path.resolve(env.DATA_DIR?.trim() || 'data'),
    maxFileBytes: integer(env, 'MAX_FILE_BYTES', DEFAULT_MAX_BYTES, 1, 1024 ** 3),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 2 * 1024 * 1024, 1024, 1024 ** 3),
    responseCacheBytes: integer(env, 'RESPONSE_CACHE_MAX_BYTES', 64 * 1024 * 1024, 0, 1024 ** 4),
    logLevel,
    production: env.NODE_ENV === 'production',
  };
}
