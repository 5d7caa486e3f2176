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
import { afterAll, beforeAll } from 'vitest';

import { loadArchive, memorySource, type ArchiveBackend } from '../../src/archive/index.js';
import { createPool } from '../../src/pg/client.js';
import { PgFollower } from '../../src/pg/follower.js';
import { syncFolder, type SyncReport } from '../../src/pg/sync.js';
import type { RunningServer } from '../../src/server/app.js';
import { readConfig } from '../../src/server/config.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { makeCorpus, type Corpus } from './corpus.js';
import { startTestServer, type TestServerOptions } from './server.js';

export const BACKENDS = ['memory', 'postgres'] as const;
export type BackendKind = (typeof BACKENDS)[number];

/** Syncs `dataDir` into the database at `url` (as `npm run sync` does); throws when nothing was committed. */
export async function syncInto(url: string, dataDir: string): Promise<SyncReport> {
  const pool = createPool(url, { max: 1, statementTimeoutMs: 0 });
  try {
    const result = await syncFolder(pool, dataDir);
    if (!result.ok) throw new Error(`sync failed: ${result.reason}: ${result.message}`);
    return result;
  } finally {
    await pool.end();
  }
}

/** A fresh database (in the run's cluster, or `adminUrl`'s) holding exactly `dataDir`'s valid transcripts. */
export async function syncedDatabase(dataDir: string, adminUrl?: string): Promise<TestDatabase> {
  const db = await createTestDatabase(adminUrl);
  await syncInto(db.url, dataDir);
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
      if (!(await syncInto(db.url, options.dataDir)).changed) return;
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

/** The fixture corpus served over one backend for a suite, and what the suite reads of it. */
export interface ServedCorpus {
  readonly corpus: Corpus;
  readonly server: RunningServer;
  /** The server's root, e.g. `http://127.0.0.1:54321`. */
  readonly base: string;
  /** Brings the corpus folder's changes to the server (BackendServer.update). */
  update(): Promise<void>;
}

/**
 * Inside a `describe`: the fixture corpus (makeCorpus) served over `kind` for the suite's tests, started before them
 * and stopped, with its database and folder, after them. Read its fields in tests (they are set by then).
 *
 * @example
 * describe.each(BACKENDS)('over %s', (kind) => {
 *   const served = serveCorpus(kind);
 *   it('answers', async () => expect((await gql(served.server.url, '{ allSeries { id } }')).status).toBe(200));
 * });
 */
export function serveCorpus(kind: BackendKind): ServedCorpus {
  let corpus: Corpus | undefined;
  let running: BackendServer | undefined;
  beforeAll(async () => {
    corpus = makeCorpus();
    running = await startBackendServer(kind, { dataDir: corpus.dir });
  });
  afterAll(async () => {
    await running?.close();
    corpus?.cleanup();
  });
  return {
    get corpus() {
      return corpus!;
    },
    get server() {
      return running!.server;
    },
    get base() {
      return running!.server.url.replace(/\/graphql$/, '');
    },
    update: () => running!.update(),
  };
}
