/**
 * The two archive backends, for contract tests that run against both (one suite, parameterised): the in-memory
 * archive over a folder, and PostgreSQL holding the same folder (synced by `syncFolder` into a fresh database of the
 * test run's real server, test/setup/postgres.ts).
 *
 * @example
 * describe.each(BACKENDS)('over %s', (kind) => {
 *   let server: BackendServer;
 *   beforeAll(async () => (server = await startBackendServer(kind, { dataDir: corpus.dir })));
 *   afterAll(() => server.close());
 * });
 */
import { loadArchive, memorySource, type ArchiveBackend } from '../../src/archive/index.js';
import { createPool } from '../../src/pg/client.js';
import { PgFollower } from '../../src/pg/follower.js';
import { syncFolder } from '../../src/pg/sync.js';
import type { RunningServer } from '../../src/server/app.js';
import { readConfig } from '../../src/server/config.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { startTestServer, type TestServerOptions } from './server.js';

export const BACKENDS = ['memory', 'postgres'] as const;
export type BackendKind = (typeof BACKENDS)[number];

/** A fresh database (in the run's cluster, or `adminUrl`'s) holding exactly `dataDir`'s valid transcripts. */
export async function syncedDatabase(dataDir: string, adminUrl?: string): Promise<TestDatabase> {
  const db = await createTestDatabase(adminUrl);
  const pool = createPool(db.url, { max: 2, statementTimeoutMs: 0 });
  try {
    const result = await syncFolder(pool, dataDir);
    if (!result.ok) throw new Error(`sync failed: ${result.reason}: ${result.message}`);
  } finally {
    await pool.end();
  }
  return db;
}

export interface OpenBackend {
  /** The backend serving now (over PostgreSQL: the version last seen). */
  backend(): ArchiveBackend;
  close(): Promise<void>;
}

/** `dataDir` as a backend of `kind`, without a server: what executeOperation tests read. */
export async function openBackend(kind: BackendKind, dataDir: string): Promise<OpenBackend> {
  if (kind === 'memory') {
    const source = memorySource(await loadArchive(dataDir));
    return { backend: () => source, close: async () => {} };
  }
  const db = await syncedDatabase(dataDir);
  const follower = new PgFollower(db.url, { pool: { max: 4 } });
  await follower.start();
  if (!follower.backend) throw new Error(`the follower is not serving: ${JSON.stringify(follower.state)}`);
  return {
    backend: () => follower.backend!,
    close: async () => {
      await follower.stop();
      await db.drop();
    },
  };
}

export interface BackendServer {
  readonly server: RunningServer;
  /** The database, over PostgreSQL. */
  readonly database: TestDatabase | undefined;
  /**
   * Brings the folder's changes to the server: a reload of the folder in memory; over PostgreSQL a sync, then a wait
   * until the server serves the version it committed.
   */
  update(): Promise<void>;
  close(): Promise<void>;
}

/** The real subgraph serving `options.dataDir` from a backend of `kind`, on loopback. */
export async function startBackendServer(kind: BackendKind, options: TestServerOptions): Promise<BackendServer> {
  if (kind === 'memory') {
    const server = await startTestServer(options);
    return {
      server,
      database: undefined,
      update: async () => void (await server.store!.reload()),
      close: async () => void (await server.stop()),
    };
  }
  const db = await syncedDatabase(options.dataDir);
  const server = await startTestServer({
    ...options,
    config: { ...options.config, database: { ...readConfig({}).database, url: db.url, poolMax: 4 } },
  });
  return {
    server,
    database: db,
    update: async () => {
      const before = server.backend();
      const pool = createPool(db.url, { max: 1, statementTimeoutMs: 0 });
      try {
        const result = await syncFolder(pool, options.dataDir);
        if (!result.ok) throw new Error(`sync failed: ${result.reason}: ${result.message}`);
        if (result.changed === false) return;
      } finally {
        await pool.end();
      }
      const deadline = Date.now() + 5000;
      while (server.backend() === before) {
        if (Date.now() > deadline) throw new Error('the server did not follow the sync within 5 s');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close: async () => {
      await server.stop();
      await db.drop();
    },
  };
}
