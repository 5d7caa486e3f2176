import type { SpeakerFields } from '../archive/index.js';
import type { SpeakerResolvers } from '../__generated__/resolvers-types.js';
import { page } from './pagination.js';
import { resolveReference } from './references.js';

export const Speaker: SpeakerResolvers = {
  __resolveReference: resolveReference<SpeakerFields>('Speaker'),
  episodes: (speaker, _args, { source }) => source.speakerEpisodes(speaker),
  segments: (speaker, _args, { source }) => source.speakerSegments(speaker),
  turns: (speaker, args, { source }, info) => page(source.speakerTurns(speaker), args, info),
  turnCount: (speaker, _args, { source }) => source.speakerTurnCount(speaker),
};
