import type { TurnResolvers } from '../__generated__/resolvers-types.js';

export const Turn: TurnResolvers = {
  __resolveReference: (ref, { loaders }) => loaders.turn.load(ref.id),
  episode: (turn) => turn.segment.episode,
  previous: (turn) => turn.segment.episode.turns[turn.episodeIndex - 1] ?? null,
  next: (turn) => turn.segment.episode.turns[turn.episodeIndex + 1] ?? null,
};
