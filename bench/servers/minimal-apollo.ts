/** Anchor (b): the stack's own floor, a minimal Apollo Server 5 subgraph answering a trivial query from a constant. */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { gql } from 'graphql-tag';

const typeDefs = gql`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
  type Query {
    hello: String
  }
`;
const server = new ApolloServer({
  schema: buildSubgraphSchema([{ typeDefs, resolvers: { Query: { hello: () => 'world' } } }]),
});
const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
console.log(JSON.stringify({ url }));
process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
