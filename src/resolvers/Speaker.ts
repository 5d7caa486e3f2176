import type { SpeakerResolvers } from '../__generated__/resolvers-types.js';
import { page } from './pagination.js';

export const Speaker: SpeakerResolvers = {
  __resolveReference: (ref, { loaders }) => loaders.speaker.load(String(ref.id)), // an ID may come as an integer
  turns: (speaker, args, _ctx, info) => page(speaker.turns, args, info),
  turnCount: (speaker) => speaker.turns.length,
};
