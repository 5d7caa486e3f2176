import type { TurnRecord } from '../archive/types.js';
import type { TurnResolvers } from '../__generated__/resolvers-types.js';
import { resolveReference } from './references.js';

export const Turn: TurnResolvers = {
  __resolveReference: resolveReference<TurnRecord>('Turn'),
  episode: (turn) => turn.segment.episode,
  previous: (turn) => (turn.episodeIndex > 0 ? turn.segment.episode.turns.at(turn.episodeIndex - 1)! : null),
  next: (turn) => turn.segment.episode.turns.at(turn.episodeIndex + 1) ?? null,
};
