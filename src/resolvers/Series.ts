import type { SeriesRecord } from '../archive/types.js';
import type { SeriesResolvers } from '../__generated__/resolvers-types.js';
import { resolveReference } from './references.js';

export const Series: SeriesResolvers = {
  __resolveReference: resolveReference<SeriesRecord>('Series'),
};
