import type { EpisodeRecord } from '../archive/types.js';
import { renderChapters, renderTranscript } from '../export/transcript.js';
import type { EpisodeResolvers } from '../__generated__/resolvers-types.js';
import { page } from './pagination.js';
import { resolveReference } from './references.js';

export const Episode: EpisodeResolvers = {
  __resolveReference: resolveReference<EpisodeRecord>('Episode'),
  turns: (episode, args, _ctx, info) => page(episode.turns, args, info),
  transcript: (episode, { format }) => renderTranscript(episode.turns, format),
  chapters: (episode) => renderChapters(episode.segments),
  turnAt: (episode, { seconds }) =>
    episode.turns.find((t) => t.start.seconds <= seconds && seconds < t.end.seconds) ?? null,
};
