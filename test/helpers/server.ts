import { startServer, type RunningServer } from '../../src/server/app.js';
import { readConfig, type Config } from '../../src/server/config.js';
import { createLogger } from '../../src/server/logger.js';
import type { ApolloServerPlugin } from '@apollo/server';

import type { BatchObserver, Context } from '../../src/context.js';

export interface TestServerOptions {
  /** The folder to serve. */
  readonly dataDir: string;
  /** Told of each batch of look-ups. */
  readonly onBatch?: BatchObserver;
  /** Extra Apollo Server plugins. */
  readonly plugins?: readonly ApolloServerPlugin<Context>[];
  /** Settings over `readConfig({})` (port 0 and 127.0.0.1 are always set). */
  readonly config?: Partial<Config>;
}

/**
 * Starts the real subgraph on 127.0.0.1 and an ephemeral port; the caller stops it.
 *
 * @example
 * const server = await startTestServer({ dataDir: corpus.dir, config: { responseCacheBytes: 0 } });
 */
export function startTestServer(options: TestServerOptions): Promise<RunningServer> {
  const config = { ...readConfig({}), port: 0, host: '127.0.0.1', dataDir: options.dataDir, ...options.config };
  return startServer(config, {
    logger: createLogger('silent'),
    plugins: [...(options.plugins ?? [])],
    ...(options.onBatch ? { onBatch: options.onBatch } : {}),
  });
}

export interface GraphQLResponse<T = any> {
  readonly status: number;
  readonly data?: T | null;
  readonly errors?: { message: string; path?: unknown[]; extensions?: { code?: string; [key: string]: unknown } }[];
}

/** POSTs an operation over real HTTP. */
export async function gql<T = any>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}
