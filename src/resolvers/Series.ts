import type { SeriesResolvers } from '../__generated__/resolvers-types.js';

export const Series: SeriesResolvers = {
  __resolveReference: (ref, { loaders }) => loaders.series.load(String(ref.id)), // an ID may come as an integer
};
