/**
 * The connection to the PostgreSQL archive: one bounded pool per process, from a `postgres://` URL. pg parses the
 * URL as libpq does for what it supports (host, port, user, password, database, `sslmode`, `sslrootcert`, ...);
 * standard `PG*` variables fill what the URL leaves out (`PGHOST`, `PGUSER`, `PGPASSWORD`, `PGSSLMODE`, ...).
 */
import pg from 'pg';

export interface PoolOptions {
  /** Most connections open at once. Default 4. */
  readonly max?: number;
  /** Server-side limit per statement (0: none). Default 30 s. */
  readonly statementTimeoutMs?: number;
  /** Longest wait for a connection (TCP, TLS and authentication). Default `PGCONNECT_TIMEOUT` seconds, else 10 s. */
  readonly connectTimeoutMs?: number;
  /** Shown in pg_stat_activity, unless the URL or `PGAPPNAME` names one. Default `transcript-subgraph`. */
  readonly applicationName?: string;
  /** An idle connection is closed after this long. Default 30 s. */
  readonly idleTimeoutMs?: number;
}

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/**
 * A bounded pool for `url` (a `postgres://` URL; empty: `PG*` variables only). Errors of idle connections (the
 * server restarted) are swallowed here: the next query gets a fresh connection and its own error.
 *
 * @example
 * const pool = createPool(process.env.DATABASE_URL!, { max: 2, statementTimeoutMs: 0 });
 * const { rows } = await pool.query('SELECT version FROM transcripts.archive');
 * await pool.end();
 */
export function createPool(url: string, options: PoolOptions = {}): Pool {
  const envTimeout = Number(process.env.PGCONNECT_TIMEOUT);
  const connectTimeoutMs =
    options.connectTimeoutMs ?? (Number.isFinite(envTimeout) && envTimeout > 0 ? envTimeout * 1000 : 10_000);
  const pool = new pg.Pool({
    ...(url === '' ? {} : { connectionString: url }),
    max: options.max ?? 4,
    connectionTimeoutMillis: connectTimeoutMs,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    // libpq's rule: a name in the URL or PGAPPNAME wins.
    fallback_application_name: options.applicationName ?? 'transcript-subgraph',
    // Dead peers are noticed by the kernel, not only by the next query's timeout.
    keepAlive: true,
  });
  pool.on('error', () => {});
  return pool;
}

/**
 * A URL fit for messages and logs: the password replaced by `***`. Not a URL: returned as `(unparsable URL)`.
 *
 * @example
 * redactUrl('postgres://app:secret@db:5432/archive') // 'postgres://app:***@db:5432/archive'
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
