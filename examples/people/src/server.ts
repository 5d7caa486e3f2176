/**
 * The companion "people" subgraph: a directory another team would own, on the same stack. It extends `Speaker`
 * with `bio`, `role`, `links` and `debut`, and has root fields of its own that return `Speaker`s.
 */
import { readFileSync } from 'node:fs';

import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { gql } from 'graphql-tag';

interface Person {
  readonly id: string;
  readonly bio: string | null;
  readonly role: string | null;
  readonly links: readonly { label: string; url: string }[];
  readonly debut: { series: string; number: number } | null;
}

const people: readonly Person[] = JSON.parse(readFileSync(new URL('../people.json', import.meta.url), 'utf8'));
const personById = new Map(people.map((p) => [p.id, p]));
const typeDefs = gql(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** A speaker the directory does not know still resolves, with nothing to add. */
const unknown = (id: string): Person => ({ id, bio: null, role: null, links: [], debut: null });

const resolvers = {
  Query: {
    people: () => [...people].sort((a, b) => (a.id < b.id ? -1 : 1)),
    person: (_: unknown, { id }: { id: string }) => personById.get(id) ?? null,
  },
  Speaker: {
    __resolveReference: ({ id }: { id: string }) => personById.get(id) ?? unknown(id),
    debut: (person: Person) => person.debut && { series: { id: person.debut.series }, number: person.debut.number },
  },
};

export interface PeopleServer {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts the people subgraph.
 *
 * @example
 * const people = await startPeopleServer({ port: 4002 });
 */
export async function startPeopleServer(options: {
  port: number;
  host?: string;
  plugins?: ApolloServerPlugin[];
}): Promise<PeopleServer> {
  const server = new ApolloServer({
    schema: buildSubgraphSchema([{ typeDefs, resolvers }]),
    plugins: options.plugins ?? [],
  });
  const { url } = await startStandaloneServer(server, {
    listen: { port: options.port, ...(options.host ? { host: options.host } : {}) },
  });
  return { url: new URL('/graphql', url).href, stop: () => server.stop() };
}
