/**
 * Brings a database's `transcripts` schema up to date with MIGRATIONS. Run by the sync inside its transaction,
 * after it took SYNC_LOCK: syncs started at once migrate one after another, and the second finds nothing to do.
 */
import type { PoolClient } from './client.js';
import { MIGRATIONS } from './migrations.js';

/**
 * Creates the schema and its migrations table if missing, then applies each migration the table does not list,
 * in order. Returns the versions applied. The caller holds the transaction (and the lock).
 *
 * @example
 * await client.query('BEGIN'); await client.query('SELECT pg_advisory_xact_lock($1)', [SYNC_LOCK]);
 * await migrate(client) // [1] on a new database, [] after
 */
export async function migrate(client: PoolClient): Promise<number[]> {
  await client.query('CREATE SCHEMA IF NOT EXISTS transcripts');
  await client.query(`CREATE TABLE IF NOT EXISTS transcripts.migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const { rows } = await client.query<{ version: number }>('SELECT version FROM transcripts.migrations');
  const done = new Set(rows.map((r) => r.version));
  const applied: number[] = [];
  for (const migration of [...MIGRATIONS].sort((a, b) => a.version - b.version)) {
    if (done.has(migration.version)) continue;
    await client.query(migration.sql);
    await client.query('INSERT INTO transcripts.migrations (version, name) VALUES ($1, $2)', [
      migration.version,
      migration.name,
    ]);
    applied.push(migration.version);
  }
  return applied;
}
