import type { TurnResolvers } from '../__generated__/resolvers-types.js';

export const Turn: TurnResolvers = {
  __resolveReference: (ref, { loaders }) => loaders.turn.load(String(ref.id)), // an ID may come as an integer
  episode: (turn) => turn.segment.episode,
  previous: (turn) => (turn.episodeIndex > 0 ? turn.segment.episode.turns.at(turn.episodeIndex - 1)! : null),
  next: (turn) => turn.segment.episode.turns.at(turn.episodeIndex + 1) ?? null,
};
