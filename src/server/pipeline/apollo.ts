/**
 * The Apollo stage: hands a request to Apollo Server and returns its answer together with what Apollo did (the
 * `Outcome` its plugin wrote), so later stages decide from structured results, not from the answer's text.
 */
import type http from 'node:http';

import { HeaderMap, type ApolloServer, type ApolloServerPlugin, type HTTPGraphQLResponse } from '@apollo/server';

import type { Context, Outcome } from '../../context.js';

export interface ApolloAnswer {
  readonly status: number;
  readonly headers: HeaderMap;
  readonly body: HTTPGraphQLResponse['body'];
  /** 200, complete, a query, no GraphQL errors: an answer later requests may reuse. */
  readonly clean: boolean;
}

/**
 * The plugin that records each request's outcome into its context (when the context carries one).
 *
 * @example
 * new ApolloServer({ schema, plugins: [outcomePlugin()] })
 */
export function outcomePlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      const outcome = contextValue.outcome;
      if (!outcome) return;
      return {
        async didResolveOperation({ operation, operationName }) {
          if (operation) outcome.operation = operation.operation;
          outcome.operationName = operationName;
        },
        async willSendResponse({ response }) {
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : null;
          outcome.errors = errors?.length ?? null;
          // The codes as formatted for the client (a limit's own code included), for metrics and traces.
          if (errors?.length) outcome.codes = errors.map((e) => String(e.extensions?.code ?? 'UNKNOWN'));
        },
      };
    },
  };
}

/**
 * Runs one HTTP request through Apollo Server.
 *
 * @example
 * const answer = await runApollo(apollo, req, { search, body, context: () => createContext(archive, { outcome }) });
 */
export async function runApollo(
  apollo: ApolloServer<Context>,
  req: http.IncomingMessage,
  request: { readonly search: string; readonly body: unknown; readonly context: Context },
): Promise<ApolloAnswer> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: {
      method: (req.method ?? 'GET').toUpperCase(),
      headers,
      search: request.search,
      body: request.body,
    },
    context: async () => request.context,
  });
  // Answers change with every reload: nobody downstream should keep them (the response cache here is per archive).
  if (!response.headers.has('cache-control')) response.headers.set('cache-control', 'no-store');
  const status = response.status ?? 200;
  const outcome: Outcome | undefined = request.context.outcome;
  const clean =
    status === 200 && response.body.kind === 'complete' && outcome?.operation === 'query' && outcome.errors === 0;
  return { status, headers: response.headers, body: response.body, clean };
}
