/**
 * `npm run supergraph`: the whole graph on one machine. Starts this subgraph and the people subgraph on the ports
 * supergraph.yaml routes them to (4001, 4002), composes, and serves a router at http://localhost:4000/graphql
 * (`ROUTER_PORT` overrides; `ROUTER=hive` picks Hive Gateway instead of Apollo Gateway). Prints the router URL once
 * all three answer. Ctrl-C or SIGTERM stops all three and frees the ports.
 */
import { startPeopleServer } from '../examples/people/src/server.js';
import { startServer } from '../src/server/app.js';
import { readConfig } from '../src/server/config.js';
import { createLogger } from '../src/server/logger.js';
import { composeAll, formatMessage, readSupergraphConfig } from './compose.js';
import { startApolloGateway, startHiveGateway, type Router } from './routers.js';

const portOf = (url: string) => Number(new URL(url).port);
const env = process.env;
const logger = createLogger(env.LOG_LEVEL ?? 'warn');
const stops: (() => Promise<void>)[] = [];
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    // Router first, then the subgraphs behind it.
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  const config = readSupergraphConfig();
  const route = Object.fromEntries(config.map((s) => [s.name, s.url]));
  const transcripts = await startServer(
    { ...readConfig(env), port: Number(env.PORT ?? portOf(route.transcripts!)) },
    { logger },
  );
  stops.push(() => transcripts.stop());
  const people = await startPeopleServer({ port: Number(env.PEOPLE_PORT ?? portOf(route.people!)) });
  stops.push(() => people.stop());

  // Compose against the ports actually in use (they differ from supergraph.yaml only when overridden).
  const local = (url: string) => url.replace(/\/\/[^/:]+(:\d+)?\//, '//localhost$1/');
  const urls: Record<string, string> = { transcripts: local(transcripts.url), people: local(people.url) };
  const composed = composeAll(config.map((s) => ({ ...s, url: urls[s.name] ?? s.url })));
  for (const m of composed.messages) console.error(formatMessage(m));
  if (!composed.supergraphSdl || composed.messages.some((m) => m.severity === 'error')) {
    throw new Error('composition failed');
  }
  const options = { supergraphSdl: composed.supergraphSdl, port: Number(env.ROUTER_PORT ?? 4000) };
  const router: Router = env.ROUTER === 'hive' ? await startHiveGateway(options) : await startApolloGateway(options);
  stops.push(() => router.stop());

  // Ready means all three answer a query through the router.
  const response = await fetch(router.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ allSeries { id } people { id } }' }),
  });
  if (!response.ok) throw new Error(`router answered ${response.status}`);
  const url = local(router.url);
  console.log(JSON.stringify({ url, router: router.kind, subgraphs: urls, msg: `supergraph ready at ${url}` }));
  console.log(
    `\n  Router (${router.kind === 'hive' ? 'Hive Gateway' : 'Apollo Gateway'}): ${url}\n  transcripts: ${urls.transcripts}\n  people:      ${urls.people}\n\n  Ctrl-C stops all three.\n`,
  );
} catch (error) {
  console.error(`supergraph failed to start: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
}
