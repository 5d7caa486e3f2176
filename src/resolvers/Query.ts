import { encodeCursor, forwardWindow } from './connection.js';
import { filterEpisodes, filterSegments, searchScope } from '../archive/index.js';
import { parseSearchQuery } from '../search/query.js';
import type { QueryResolvers } from '../__generated__/resolvers-types.js';
import { badUserInput, page, readPaging } from './pagination.js';

export const Query: QueryResolvers = {
  allSeries: (_root, _args, { archive }) => archive.series,
  series: (_root, { id }, { archive }) => archive.seriesById.get(id) ?? null,
  episodes: (_root, { filter, ...args }, { archive }, info) => page(filterEpisodes(archive, filter), args, info),
  episode: (_root, { id }, { archive }) => archive.episodeById.get(id) ?? null,
  segments: (_root, { filter, ...args }, { archive }, info) => page(filterSegments(archive, filter), args, info),
  segment: (_root, { id }, { archive }) => archive.segmentById.get(id) ?? null,
  turn: (_root, { id }, { archive }) => archive.turnById.get(id) ?? null,
  speakers: (_root, args, { archive }, info) => page(archive.speakers, args, info),
  speaker: (_root, { id }, { archive }) => archive.speakerById.get(id) ?? null,
  search: (_root, { query: text, filter, first, after }, { archive, trace }) => {
    const parsed = parseSearchQuery(text);
    if (!parsed.ok) throw badUserInput(`search query: ${parsed.reason}`, 'query');
    const { offset, limit } = readPaging(() => forwardWindow({ first, after }));
    // The index look-up is the work worth a span in the request's trace (the edges below are cheap).
    const span = trace?.span('transcripts.search') ?? null;
    const scope = searchScope(archive, filter);
    const { totalCount, hits } = scope
      ? archive.search.search(parsed.query, scope, offset, limit)
      : { totalCount: 0, hits: [] };
    span?.setAttribute('transcripts.search.total', totalCount);
    span?.setAttribute('transcripts.search.returned', hits.length);
    span?.end();
    const edges = hits.map((hit, i) => ({
      cursor: encodeCursor(offset + i),
      node: archive.turns.at(hit.doc)!,
      score: hit.score,
      query: parsed.query,
    }));
    return {
      totalCount,
      edges,
      nodes: edges.map((e) => e.node),
      pageInfo: {
        hasNextPage: offset + hits.length < totalCount,
        hasPreviousPage: offset > 0,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  },
};
