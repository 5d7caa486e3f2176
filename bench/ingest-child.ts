/**
 * One ingest measurement in a fresh process, so peak RSS belongs to it alone.
 * `raw DIR`: readFileSync of every transcript file (the limit). `load DIR`: the subgraph's load, parse, index
 * and schema build, to ready. Prints `{ ms, bytes, files, maxRssBytes }` as JSON.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import { fromDist } from './production.js';

// The build, as `npm start` runs it (bench/run.ts built it before starting this process).
const { listTranscriptFiles, loadArchive } =
  await fromDist<typeof import('../src/archive/index.js')>('archive/index.js');
const { createSchema } = await fromDist<typeof import('../src/schema.js')>('schema.js');

const [mode, dir] = process.argv.slice(2);
if ((mode !== 'raw' && mode !== 'load') || !dir) throw new Error('usage: ingest-child.ts raw|load DIR');
const started = performance.now();
const files = await listTranscriptFiles(dir);
let bytes = 0;
let ms: number;
if (mode === 'raw') {
  for (const file of files) bytes += readFileSync(path.join(dir, file)).length;
  ms = performance.now() - started;
} else {
  const archive = await loadArchive(dir);
  createSchema();
  ms = performance.now() - started;
  if (archive.stats.errors > 0) throw new Error(`${archive.stats.errors} errors in ${dir}`);
  for (const file of files) bytes += statSync(path.join(dir, file)).size;
}
console.log(JSON.stringify({ ms, bytes, files: files.length, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
