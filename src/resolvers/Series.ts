import type { SeriesFields } from '../archive/index.js';
import type { SeriesResolvers } from '../__generated__/resolvers-types.js';
import { resolveReference } from './references.js';

export const Series: SeriesResolvers = {
  __resolveReference: resolveReference<SeriesFields>('Series'),
  episodes: (series, _args, { source }) => source.seriesEpisodes(series),
};
