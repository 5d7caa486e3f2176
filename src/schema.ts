/** The subgraph schema: the SDL under schema/ plus the resolvers, built by @apollo/subgraph. */
import { readdirSync, readFileSync } from 'node:fs';

import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { gql } from 'graphql-tag';

import { guardEntities, type EntitiesOptions } from './resolvers/entities.js';
import { resolvers } from './resolvers/index.js';

// Relative to this module, not to the working directory, so the server starts from anywhere (src/ or dist/).
const schemaDir = new URL('../schema/', import.meta.url);

/**
 * The SDL files, in name order, as one document.
 *
 * @example
 * print(loadTypeDefs()) // 'extend schema @link(...) type Query { ... }'
 */
export function loadTypeDefs(): DocumentNode {
  const files = readdirSync(schemaDir)
    .filter((name) => name.endsWith('.graphql'))
    .sort();
  return gql(files.map((name) => readFileSync(new URL(name, schemaDir), 'utf8')).join('\n'));
}

/**
 * The executable subgraph schema, with `_service`, `_entities` and `_Any` added by `buildSubgraphSchema`.
 *
 * @example
 * const schema = createSchema();
 * new ApolloServer({ schema });
 */
export function createSchema(options: EntitiesOptions = {}): GraphQLSchema {
  const schema = buildSubgraphSchema([
    { typeDefs: loadTypeDefs(), resolvers: resolvers as GraphQLResolverMap<unknown> },
  ]);
  // Representations are checked against the @keys before any __resolveReference runs (src/resolvers/entities.ts).
  guardEntities(schema, options);
  return schema;
}
