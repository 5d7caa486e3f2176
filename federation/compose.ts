/**
 * Composition of the local supergraph with the three composers routers use: @apollo/composition (the Federation 2
 * reference, for Apollo Router and Gateway), @wundergraph/composition (behind `wgc` and Cosmo's control plane) and
 * @theguild/federation-composition (Hive). They are fed the source SDL files, never the printed `_service.sdl`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { composeServices as composeApollo } from '@apollo/composition';
import { composeServices as composeGuild } from '@theguild/federation-composition';
import { federateSubgraphs, ROUTER_COMPATIBILITY_VERSION_ONE } from '@wundergraph/composition';
import { parse, printSchema, type GraphQLError } from 'graphql';
import { parse as parseYaml } from 'yaml';

/** The repository root. */
export const root = fileURLToPath(new URL('..', import.meta.url));

export interface SubgraphSource {
  readonly name: string;
  readonly url: string;
  /** Paths of the SDL files, relative to the repository root. */
  readonly files: readonly string[];
  readonly sdl: string;
}

/** One problem or hint from one composer. */
export interface CompositionMessage {
  readonly composer: 'apollo' | 'cosmo' | 'guild';
  readonly severity: 'error' | 'hint';
  readonly code: string;
  readonly message: string;
  /** Subgraph and schema coordinate, where the composer names them. */
  readonly subgraph?: string;
  readonly coordinate?: string;
}

export interface CompositionResult {
  readonly messages: readonly CompositionMessage[];
  /** The supergraph SDL from @apollo/composition, for Apollo Gateway/Router and Hive Gateway. */
  readonly supergraphSdl?: string;
  /** Cosmo's federated graph schema and client schema (the API clients see). */
  readonly cosmoSchema?: string;
  readonly cosmoClientSchema?: string;
  /** The public API from The Guild's composer. */
  readonly guildPublicSdl?: string;
}

/**
 * Reads a Rover `supergraph.yaml`: `subgraphs.<name>.routing_url` and `schema.file`. A subgraph whose schema is
 * split over several files may list them under `schema.files`.
 *
 * @example
 * readSupergraphConfig('supergraph.yaml') // [{ name: 'transcripts', url: 'http://localhost:4001/graphql', ... }]
 */
export function readSupergraphConfig(file = path.join(root, 'supergraph.yaml')): SubgraphSource[] {
  const config = parseYaml(readFileSync(file, 'utf8')) as {
    subgraphs?: Record<string, { routing_url?: string; schema?: { file?: string; files?: string[] } }>;
  };
  const base = path.dirname(file);
  return Object.entries(config.subgraphs ?? {}).map(([name, entry]) => {
    const files = entry.schema?.files ?? (entry.schema?.file ? [entry.schema.file] : []);
    if (!entry.routing_url || files.length === 0) {
      throw new Error(`${file}: subgraph "${name}" needs routing_url and schema.file`);
    }
    const sdl = files.map((f) => readFileSync(path.resolve(base, f), 'utf8')).join('\n');
    return { name, url: entry.routing_url, files: files.map((f) => path.relative(root, path.resolve(base, f))), sdl };
  });
}

/** Apollo's and The Guild's composers both report GraphQLErrors, naming the subgraph as a `[name]` prefix. */
function graphqlErrors(
  composer: 'apollo' | 'guild',
  errors: readonly GraphQLError[] | undefined,
): CompositionMessage[] {
  return (errors ?? []).map((e) => {
    const subgraph = /^\[([^\]]+)\]/.exec(e.message)?.[1] ?? (e.extensions?.subgraph as string | undefined);
    return {
      composer,
      severity: 'error',
      code: String(e.extensions?.code ?? 'COMPOSITION_ERROR'),
      message: e.message,
      ...(subgraph ? { subgraph } : {}),
    };
  });
}

/**
 * Composes with all three composers; errors from any of them make the composition fail.
 *
 * @example
 * const { messages, supergraphSdl } = composeAll(readSupergraphConfig());
 */
export function composeAll(subgraphs: readonly SubgraphSource[]): CompositionResult {
  const messages: CompositionMessage[] = [];

  const services = subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) }));
  const apollo = composeApollo(services);
  messages.push(...graphqlErrors('apollo', apollo.errors));
  for (const h of apollo.hints ?? []) {
    messages.push({
      composer: 'apollo',
      severity: 'hint',
      code: h.definition.code,
      message: h.message,
      ...(h.coordinate ? { coordinate: h.coordinate } : {}),
    });
  }

  const cosmo = federateSubgraphs({
    subgraphs: subgraphs.map((s) => ({ name: s.name, url: s.url, definitions: parse(s.sdl) })),
    version: ROUTER_COMPATIBILITY_VERSION_ONE,
  });
  if (!cosmo.success) {
    for (const e of cosmo.errors)
      messages.push({ composer: 'cosmo', severity: 'error', code: 'FEDERATION_ERROR', message: e.message });
  }
  for (const w of cosmo.warnings) {
    messages.push({
      composer: 'cosmo',
      severity: 'hint',
      code: 'WARNING',
      message: w.message,
      ...(w.subgraph?.name ? { subgraph: w.subgraph.name } : {}),
    });
  }

  const guild = composeGuild(services);
  messages.push(...graphqlErrors('guild', guild.errors));

  return {
    messages,
    ...(apollo.supergraphSdl ? { supergraphSdl: apollo.supergraphSdl } : {}),
    ...(cosmo.success
      ? {
          cosmoSchema: printSchema(cosmo.federatedGraphSchema),
          cosmoClientSchema: printSchema(cosmo.federatedGraphClientSchema),
        }
      : {}),
    ...(guild.publicSdl ? { guildPublicSdl: guild.publicSdl } : {}),
  };
}

/** `apollo error INVALID_GRAPHQL [people] at Speaker.bio: message` */
export function formatMessage(m: CompositionMessage): string {
  const where = [m.subgraph && `[${m.subgraph}]`, m.coordinate && `at ${m.coordinate}`].filter(Boolean).join(' ');
  return `${m.composer} ${m.severity} ${m.code}${where ? ` ${where}` : ''}: ${m.message}`;
}
