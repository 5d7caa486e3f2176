/**
 * The pool (src/pg/client.ts) names itself to the server, bounds statements, and lets the URL's own options through:
 * application_name, and sslmode (here against a server without TLS, which refuses it).
 */
import { afterAll, describe, expect, it } from 'vitest';

import { createPool } from '../../src/pg/client.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';

let db: TestDatabase;
afterAll(() => db?.drop());

const withParams = (url: string, params: Record<string, string>) => {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
};

describe('createPool', () => {
  it('connects as transcript-subgraph with a statement timeout; the URL can name itself and ask for TLS', async () => {
    db = await createTestDatabase();
    const pool = createPool(db.url, { max: 1 });
    const { rows } = await pool.query(
      "SELECT current_setting('application_name') AS app, current_setting('statement_timeout') AS timeout",
    );
    await pool.end();
    expect(rows).toEqual([{ app: 'transcript-subgraph', timeout: '30s' }]);

    const named = createPool(withParams(db.url, { application_name: 'replica-7' }), { statementTimeoutMs: 0 });
    const [row] = (
      await named.query("SELECT current_setting('application_name') AS app, current_setting('statement_timeout') AS t")
    ).rows;
    await named.end();
    expect(row).toEqual({ app: 'replica-7', t: '0' });

    const tls = createPool(withParams(db.url, { sslmode: 'require' }), { connectTimeoutMs: 2000 });
    await expect(tls.query('SELECT 1')).rejects.toThrow(/SSL/i);
    await tls.end();
  });
});
