import { episodeId } from '../archive/build.js';
import { renderChapters, renderTranscript } from '../export/transcript.js';
import type { EpisodeResolvers } from '../__generated__/resolvers-types.js';
import { page } from './pagination.js';

export const Episode: EpisodeResolvers = {
  // Both keys lead to the same map: the compound key `series { id } number` spells the id out.
  __resolveReference: (ref, { loaders }) =>
    loaders.episode.load('id' in ref ? ref.id : episodeId(ref.series.id, ref.number)),
  turns: (episode, args, _ctx, info) => page(episode.turns, args, info),
  transcript: (episode, { format }) => renderTranscript(episode.turns, format),
  chapters: (episode) => renderChapters(episode.segments),
  turnAt: (episode, { seconds }) =>
    episode.turns.find((t) => t.start.seconds <= seconds && seconds < t.end.seconds) ?? null,
};
