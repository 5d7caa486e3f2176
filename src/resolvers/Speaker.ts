import type { SpeakerRecord } from '../archive/types.js';
import type { SpeakerResolvers } from '../__generated__/resolvers-types.js';
import { resolveReference } from './references.js';
import { page } from './pagination.js';

export const Speaker: SpeakerResolvers = {
  __resolveReference: resolveReference<SpeakerRecord>('Speaker'),
  turns: (speaker, args, _ctx, info) => page(speaker.turns, args, info),
  turnCount: (speaker) => speaker.turns.length,
};
