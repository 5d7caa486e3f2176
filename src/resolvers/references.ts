/**
 * How a representation names a record, per entity type: the id to look up, and where. One table for both ways
 * `_entities` resolves: `__resolveReference` through the request's DataLoaders, and the synchronous pass over an
 * in-memory archive (src/resolvers/entities.ts).
 */
import { episodeId } from '../archive/index.js';
import type { Archive, ById } from '../archive/types.js';
import type { Context, Loaders } from '../context.js';

export interface Reference {
  readonly loader: keyof Loaders;
  byId(archive: Archive): ById<object>;
  /** The id a checked representation stands for (an ID may come as an integer). */
  id(representation: Record<string, unknown>): string;
}

const byKeyId = (loader: keyof Loaders, byId: (archive: Archive) => ById<object>): Reference => ({
  loader,
  byId,
  id: (r) => String(r.id),
});

export const REFERENCES: Readonly<Record<string, Reference>> = {
  Series: byKeyId('series', (a) => a.seriesById),
  Segment: byKeyId('segment', (a) => a.segmentById),
  Turn: byKeyId('turn', (a) => a.turnById),
  Speaker: byKeyId('speaker', (a) => a.speakerById),
  Episode: {
    loader: 'episode',
    byId: (a) => a.episodeById,
    // Both keys lead to the same map: the compound key `series { id } number` spells the id out. A representation
    // may hold both keys, with `id: null`.
    id: (r) => {
      if (r.id !== null && r.id !== undefined) return String(r.id);
      const { series, number } = r as { series: { id: unknown }; number: number };
      return episodeId(String(series.id), number);
    },
  },
};

/**
 * A type's `__resolveReference`: the record through the request's DataLoader (one batch per type and request).
 *
 * @example
 * export const Turn: TurnResolvers = { __resolveReference: resolveReference('Turn') };
 */
export function resolveReference<T>(typename: keyof typeof REFERENCES) {
  const reference = REFERENCES[typename]!;
  return (representation: object, context: Context): Promise<T | null> =>
    context.loaders[reference.loader].load(
      reference.id(representation as Record<string, unknown>),
    ) as Promise<T | null>;
}
