import { encodeCursor, forwardWindow } from './connection.js';
import { parseSearchQuery } from '../search/query.js';
import type { QueryResolvers } from '../__generated__/resolvers-types.js';
import { badUserInput, page, readPaging } from './pagination.js';
import { andThen, one } from './maybe.js';

export const Query: QueryResolvers = {
  allSeries: (_root, _args, { source }) => source.allSeries(),
  series: (_root, { id }, { source }) => one(source.seriesByIds([id])),
  episodes: (_root, { filter, ...args }, { source }, info) => page(source.episodes(filter), args, info),
  episode: (_root, { id }, { source }) => one(source.episodesByIds([id])),
  segments: (_root, { filter, ...args }, { source }, info) => page(source.segments(filter), args, info),
  segment: (_root, { id }, { source }) => one(source.segmentsByIds([id])),
  turn: (_root, { id }, { source }) => one(source.turnsByIds([id])),
  speakers: (_root, args, { source }, info) => page(source.speakers(), args, info),
  speaker: (_root, { id }, { source }) => one(source.speakersByIds([id])),
  search: (_root, { query: text, filter, first, after }, { source, trace }) => {
    const parsed = parseSearchQuery(text);
    if (!parsed.ok) throw badUserInput(`search query: ${parsed.reason}`, 'query');
    const { offset, limit } = readPaging(() => forwardWindow({ first, after }));
    // The look-up is the work worth a span in the request's trace (the edges below are cheap).
    const span = trace?.span('transcripts.search') ?? null;
    return andThen(source.search(parsed.query, filter, offset, limit), ({ totalCount, totalCountIsExact, hits }) => {
      span?.setAttribute('transcripts.search.total', totalCount);
      span?.setAttribute('transcripts.search.returned', hits.length);
      span?.end();
      const edges = hits.map((hit, i) => ({
        cursor: encodeCursor(offset + i),
        node: hit.turn,
        score: hit.score,
        query: parsed.query,
      }));
      return {
        totalCount,
        totalCountIsExact,
        edges,
        nodes: edges.map((e) => e.node),
        pageInfo: {
          hasNextPage: offset + hits.length < totalCount,
          hasPreviousPage: offset > 0,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      };
    });
  },
};
