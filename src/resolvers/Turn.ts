import type { TurnFields } from '../archive/index.js';
import type { TurnResolvers } from '../__generated__/resolvers-types.js';
import { resolveReference } from './references.js';

export const Turn: TurnResolvers = {
  __resolveReference: resolveReference<TurnFields>('Turn'),
  segment: (turn, _args, { source }) => source.turnSegment(turn),
  episode: (turn, _args, { source }) => source.turnEpisode(turn),
  speaker: (turn, _args, { source }) => source.turnSpeaker(turn),
  previous: (turn, _args, { source }) => source.turnNeighbour(turn, -1),
  next: (turn, _args, { source }) => source.turnNeighbour(turn, 1),
};
