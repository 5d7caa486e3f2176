/**
 * Child spans for Apollo's stages: parse, validate and execute, under the request's server span. No span per
 * field: a router's `_entities` call resolves thousands of fields, and a span each would cost more than the work.
 * Apollo skips parse and validation for a document its store already holds, so repeats show only `execute`.
 */
import type { ApolloServerPlugin } from '@apollo/server';

import type { Context } from '../../context.js';

/**
 * The plugin; added only when tracing is on (a plugin costs every request a call even when it does nothing).
 *
 * @example
 * new ApolloServer({ schema, plugins: [spansPlugin()] })
 */
export function spansPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      const trace = contextValue.trace;
      if (!trace) return;
      return {
        async parsingDidStart() {
          const span = trace.span('graphql.parse');
          return span ? async (error?: Error) => span.end(error) : undefined;
        },
        async validationDidStart() {
          const span = trace.span('graphql.validate');
          return span ? async (errors?: readonly Error[]) => span.end(errors?.[0]) : undefined;
        },
        async executionDidStart({ operationName, operation }) {
          const span = trace.span('graphql.execute');
          if (!span) return;
          if (operationName) span.setAttribute('graphql.operation.name', operationName);
          span.setAttribute('graphql.operation.type', operation.operation);
          return { executionDidEnd: async (error?: Error) => span.end(error) };
        },
      };
    },
  };
}
