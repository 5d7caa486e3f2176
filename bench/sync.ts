/**
 * `npx tsx bench/sync.ts DIR`: how fast `npm run sync` fills an empty database from DIR (MB/s of transcript bytes,
 * end to end: listing, hashing, parsing, COPY, aggregates, commit), and how long a re-sync of the unchanged folder
 * takes. Uses DATABASE_URL when set (its `transcripts` schema is dropped first!), else a throwaway cluster
 * (test/helpers/postgres.ts).
 *
 * @example
 * npx tsx bench/generate-corpus.ts --out /tmp/c10k --episodes 720 --seed 42 && npx tsx bench/sync.ts /tmp/c10k
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

import { createPool } from '../src/pg/client.js';
import { syncFolder, type SyncResult } from '../src/pg/sync.js';
import { startCluster, type Cluster } from '../test/helpers/postgres.js';

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

const dir = process.argv[2];
if (!dir) {
  console.error('usage: npx tsx bench/sync.ts DIR');
  process.exit(2);
}
let cluster: Cluster | null = null;
let url = process.env.DATABASE_URL ?? '';
if (url === '') {
  cluster = await startCluster();
  url = cluster.url;
}
const pool = createPool(url, { max: 2, statementTimeoutMs: 0 });
try {
  await pool.query('DROP SCHEMA IF EXISTS transcripts CASCADE');
  const bytes = folderBytes(dir);
  const check = (result: SyncResult) => {
    if (!result.ok) throw new Error(result.message);
    return result;
  };
  const first = check(await syncFolder(pool, dir));
  const again = check(await syncFolder(pool, dir));
  const mb = bytes / 1e6;
  console.log(
    JSON.stringify(
      {
        files: first.stats.files,
        turns: first.stats.turns,
        megabytes: Number(mb.toFixed(1)),
        firstSyncMs: first.ms,
        megabytesPerSecond: Number((mb / (first.ms / 1000)).toFixed(1)),
        unchangedResyncMs: again.ms,
        unchangedResyncWrote: again.changed,
      },
      null,
      2,
    ),
  );
} finally {
  await pool.end();
  await cluster?.stop();
}
