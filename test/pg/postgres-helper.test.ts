/**
 * The test PostgreSQL (test/helpers/postgres.ts) is a real server of its own: each test file's database is fresh
 * and separate, served on loopback, and dropped when asked.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';

const made: TestDatabase[] = [];
afterAll(async () => {
  for (const db of made) await db.drop();
});

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('the test PostgreSQL', () => {
  it('gives each caller a fresh database on 127.0.0.1, and drops it', async () => {
    const a = await createTestDatabase();
    const b = await createTestDatabase();
    made.push(a, b);
    expect(new URL(a.url).hostname).toBe('127.0.0.1');
    expect(a.name).not.toBe(b.name);
    await query(a.url, 'CREATE TABLE only_in_a (x int)');
    const tables = (url: string) =>
      query<{ n: string }>(url, "SELECT count(*) AS n FROM pg_tables WHERE tablename = 'only_in_a'");
    expect(await tables(a.url)).toEqual([{ n: '1' }]);
    expect(await tables(b.url)).toEqual([{ n: '0' }]);
    const [settings] = await query<{ fsync: string; server_version_num: string }>(
      a.url,
      "SELECT current_setting('fsync') AS fsync, current_setting('server_version_num') AS server_version_num",
    );
    expect(settings!.fsync).toBe('off');
    expect(Number(settings!.server_version_num)).toBeGreaterThanOrEqual(130000);
    await b.drop();
    made.pop();
    await expect(query(b.url, 'SELECT 1')).rejects.toThrow(/does not exist/);
  });
});
