/**
 * A replica's view of the PostgreSQL archive: which version it serves, and whether the database can be reached.
 *
 * - Follows commits: a dedicated connection LISTENs on the sync's channel (src/pg/migrations.ts), and a poll of the
 *   archive row every `pollMs` catches what notifications cannot reach (a read replica, a pooler in transaction
 *   mode, a notification lost with a connection). Either way a new version is a new backend, with a new key that
 *   every cache is keyed by, so no cache mixes versions.
 * - Fails visibly, recovers by itself: unreachable at start, the state stays `starting` and the connection is
 *   retried with backoff, each attempt logged; lost while serving (the listening connection ends, a poll or a
 *   request finds it unreachable), the state turns `unavailable` until a check succeeds again.
 */
import pg from 'pg';

import type { ArchiveStats } from '../archive/index.js';
import { createPool, redactUrl, type Pool, type PoolOptions } from './client.js';
import { ARCHIVE_CHANNEL } from './migrations.js';
import { PgBackend, type PgShared, type VersionRow } from './source.js';

/** The few log methods the follower uses (pino's signature). */
export interface FollowerLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface FollowerOptions {
  /** Pool settings for requests (and the polls). */
  readonly pool?: PoolOptions;
  /** How often the archive row is read besides notifications, in ms. Default 1000. */
  readonly pollMs?: number;
  /** First retry delay after a failure, doubled per attempt up to `maxRetryMs`. Default 250. */
  readonly retryMs?: number;
  /** Longest retry delay, in ms. Default 5000. */
  readonly maxRetryMs?: number;
  readonly logger?: FollowerLogger;
  /** Told of each new version served. */
  readonly onVersion?: (backend: PgBackend) => void;
  /** How searches find their first matches (src/pg/source.ts); default `auto`. */
  readonly searchPath?: 'auto' | 'walk' | 'index';
  /** Bytes of records each version keeps for later requests (RecordCache); default 0 (none). */
  readonly recordBytes?: number;
}

export type FollowerState =
  | { readonly status: 'starting'; readonly reason: string }
  | { readonly status: 'ok'; readonly backend: PgBackend }
  | { readonly status: 'unavailable'; readonly reason: string; readonly backend: PgBackend | null };

const NOT_SYNCED = 'the archive database holds no archive yet: run `npm run sync -- DIR`';

const quiet: FollowerLogger = { info() {}, warn() {}, error() {} };

/**
 * Follows the archive in the database at `url`.
 *
 * @example
 * const follower = new PgFollower(process.env.DATABASE_URL!, { logger });
 * follower.start();
 * await follower.ready();
 * follower.state; // { status: 'ok', backend }
 */
export class PgFollower {
  readonly pool: Pool;
  /** Look-ups of the record caches of every version served (hits and misses). */
  readonly recordStats = { hits: 0, misses: 0 };
  private current: FollowerState = { status: 'starting', reason: 'connecting to the archive database' };
  private listener: pg.Client | null = null;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private stopped = false;
  private checking: Promise<void> | null = null;
  /** A notification came while a check ran: check again after it (it may have read the row before the commit). */
  private again = false;
  private readonly shared: PgShared;
  private readonly waiters: (() => void)[] = [];
  private readonly pollMs: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private readonly logger: FollowerLogger;

  constructor(
    private readonly url: string,
    private readonly options: FollowerOptions = {},
  ) {
    this.pool = createPool(url, options.pool);
    this.pollMs = options.pollMs ?? 1000;
    this.retryMs = options.retryMs ?? 250;
    this.maxRetryMs = options.maxRetryMs ?? 5000;
    this.logger = options.logger ?? quiet;
    this.shared = {
      pool: this.pool,
      // A request that finds the database gone: the first one turns the state, later ones leave the retries to it
      // (one log line and one backoff step per check, not per failing request).
      onConnectionError: (error) => {
        if (this.current.status === 'ok') this.lost(error);
      },
      ...(options.searchPath ? { searchPath: options.searchPath } : {}),
      recordBytes: options.recordBytes ?? 0,
      recordStats: this.recordStats,
    };
  }

  get state(): FollowerState {
    return this.current;
  }

  /** The backend to serve now, or null when none can be (starting, or the database lost). */
  get backend(): PgBackend | null {
    return this.current.status === 'ok' ? this.current.backend : null;
  }

  /** Starts following; resolves after the first check, whatever it found (failures are states, logged, retried). */
  start(): Promise<void> {
    return this.check();
  }

  /** Resolves once a version is served. */
  ready(): Promise<void> {
    if (this.current.status === 'ok') return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.checking;
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => {});
    await this.pool.end().catch(() => {});
  }

  /** Reads the archive row (listening first if not yet), then schedules the next check. One at a time. */
  private check(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.checking) {
      this.again = true;
      return this.checking;
    }
    clearTimeout(this.timer);
    this.checking = this.run().finally(() => {
      this.checking = null;
      if (this.again) {
        this.again = false;
        void this.check();
      } else this.schedule();
    });
    return this.checking;
  }

  private async run(): Promise<void> {
    try {
      if (!this.listener) await this.listen();
      const { rows } = await this.pool.query(
        `SELECT version::text, series, episodes, segments, turns, speakers, files, errors, warnings
           FROM transcripts.archive`,
      );
      const row = rows[0] as (Record<keyof ArchiveStats, number> & { version: string }) | undefined;
      if (!row) return this.notYet(NOT_SYNCED);
      this.serve({ version: row.version, stats: statsOf(row) });
    } catch (error) {
      // 42P01/3F000: no archive tables yet (nothing synced); anything else is the database failing.
      const code = (error as { code?: string }).code;
      if (code === '42P01' || code === '3F000') {
        return this.notYet(NOT_SYNCED);
      }
      this.lost(error);
    }
  }

  private serve(row: VersionRow): void {
    const was = this.current;
    const previous = was.status === 'starting' ? null : was.backend;
    this.attempt = 0;
    if (previous && previous.version === row.version) {
      if (was.status !== 'ok') {
        this.logger.info({ event: 'database', version: row.version }, 'the archive database is back; serving again');
      }
      this.current = { status: 'ok', backend: previous };
    } else {
      const backend = new PgBackend(this.shared, row);
      this.current = { status: 'ok', backend };
      this.logger.info(
        { event: 'version', version: row.version, ...row.stats },
        `serving archive version ${row.version}: ${row.stats.segments} segments from ${row.stats.files} files`,
      );
      this.options.onVersion?.(backend);
    }
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  private notYet(reason: string): void {
    this.attempt++;
    if (this.current.status === 'starting' && this.current.reason === reason) return;
    this.logger.warn({ event: 'database', status: 'starting' }, reason);
    this.current = { status: 'starting', reason };
  }

  /** The database cannot be reached: say so, drop the listening connection, retry with backoff. */
  private lost(error: unknown): void {
    if (this.stopped) return;
    const reason = `the archive database cannot be reached (${redactUrl(this.url || 'PG* variables')}): ${messageOf(error)}`;
    const was = this.current;
    this.attempt++;
    if (was.status === 'ok') {
      this.current = { status: 'unavailable', reason, backend: was.backend };
      this.logger.error({ event: 'database', status: 'unavailable', err: error }, reason);
    } else {
      this.current =
        was.status === 'starting'
          ? { status: 'starting', reason }
          : { status: 'unavailable', reason, backend: was.backend };
      this.logger.warn({ event: 'database', attempt: this.attempt, err: error }, `${reason}; retrying`);
    }
    const listener = this.listener;
    this.listener = null;
    listener?.end().catch(() => {});
    // A request saw it first: check (and retry) now rather than at the next poll.
    if (!this.checking) this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const delay =
      this.current.status === 'ok'
        ? this.pollMs
        : Math.min(this.maxRetryMs, this.retryMs * 2 ** Math.max(0, this.attempt - 1));
    this.timer = setTimeout(() => void this.check(), delay);
    this.timer.unref();
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({
      ...(this.url === '' ? {} : { connectionString: this.url }),
      connectionTimeoutMillis: this.options.pool?.connectTimeoutMs ?? 10_000,
      keepAlive: true,
      fallback_application_name: 'transcript-subgraph (listen)',
    } as pg.ClientConfig);
    client.on('error', (error) => {
      if (this.listener === client) this.lost(error);
    });
    client.on('end', () => {
      if (this.listener === client) this.lost(new Error('the listening connection ended'));
    });
    client.on('notification', (message) => {
      if (message.channel === ARCHIVE_CHANNEL) void this.check();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${ARCHIVE_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    this.listener = client;
  }
}

function statsOf(row: Record<keyof ArchiveStats, number>): ArchiveStats {
  const { series, episodes, segments, turns, speakers, files, errors, warnings } = row;
  return { series, episodes, segments, turns, speakers, files, errors, warnings };
}

function messageOf(error: unknown): string {
  const e = error as { message?: unknown; code?: unknown } | null;
  const message = typeof e?.message === 'string' && e.message !== '' ? e.message : String(e?.code ?? error);
  return message.replace(/postgres(ql)?:\/\/[^\s]*/g, (url) => redactUrl(url));
}
