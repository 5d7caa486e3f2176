/**
 * The load generator, in its own process so it does not share a core's event loop with the bench or the server:
 * `load.ts URL SECONDS BODIES.json` runs autocannon (10 connections, loopback) over the request bodies in turn and
 * prints `{ rps, p50, p99, errors }` as JSON.
 */
import { readFileSync } from 'node:fs';

import autocannon from 'autocannon';

const [url, seconds, bodiesFile] = process.argv.slice(2);
if (!url || !seconds || !bodiesFile) throw new Error('usage: load.ts URL SECONDS BODIES.json');
if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(url)) throw new Error('load tests target loopback only');
const bodies = JSON.parse(readFileSync(bodiesFile, 'utf8')) as string[];
let i = 0;
const result = await autocannon({
  url,
  method: 'POST',
  connections: 10,
  duration: Number(seconds),
  timeout: 5,
  headers: { 'content-type': 'application/json' },
  requests: [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
});
console.log(
  JSON.stringify({
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
  }),
);
process.exit(0);
