import { filterEpisodes, filterSegments } from '../archive/query.js';
import type { QueryResolvers } from '../__generated__/resolvers-types.js';
import { page } from './pagination.js';

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
};
