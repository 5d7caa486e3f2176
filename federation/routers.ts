/**
 * Local routers on a composed supergraph, for `npm run supergraph` and the end-to-end tests: Apollo Gateway on
 * Apollo Server, and Hive Gateway. (The Cosmo router and Apollo Router are binaries that cannot be installed
 * here; Cosmo's side is covered by its composition library and `wgc router compose`.)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';

export interface Router {
  readonly kind: 'apollo' | 'hive';
  readonly url: string;
  stop(): Promise<void>;
}

export interface RouterOptions {
  readonly supergraphSdl: string;
  readonly port: number;
  readonly host?: string;
}

/**
 * Apollo Gateway serving the supergraph.
 *
 * @example
 * const router = await startApolloGateway({ supergraphSdl, port: 4000 });
 */
export async function startApolloGateway(options: RouterOptions): Promise<Router> {
  // Unless asked for, @apollo/gateway sends usage metrics to Apollo and probes cloud metadata endpoints (its
  // OpenTelemetry resource detectors) as it starts: nothing leaves the machine unless the user says so.
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const gateway = new ApolloGateway({ supergraphSdl: options.supergraphSdl });
  // @apollo/gateway 2.14 implements the gateway interface Apollo Server 5 calls; only the type packages differ.
  const server = new ApolloServer({ gateway: gateway as never });
  const { url } = await startStandaloneServer(server, {
    listen: { port: options.port, ...(options.host ? { host: options.host } : {}) },
  });
  return { kind: 'apollo', url: new URL('/graphql', url).href, stop: () => server.stop() };
}

/**
 * Hive Gateway serving the supergraph. It merges identical in-flight subgraph requests by default;
 * `deduplicate: false` turns that off, so tests can count the requests a plan makes.
 *
 * @example
 * const router = await startHiveGateway({ supergraphSdl, port: 4000, deduplicate: false });
 */
export async function startHiveGateway(options: RouterOptions & { deduplicate?: boolean }): Promise<Router> {
  const gateway = createGatewayRuntime({
    supergraph: options.supergraphSdl,
    logging: false,
    ...(options.deduplicate === false
      ? { transportEntries: { '*.http': { options: { deduplicateInflightRequests: false } } } }
      : {}),
  });
  const server = http.createServer(gateway);
  await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '::' ? options.host : 'localhost';
  return {
    kind: 'hive',
    url: `http://${host}:${port}/graphql`,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.dispose();
    },
  };
}
