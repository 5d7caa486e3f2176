import { episodeId } from '../archive/build.js';
import { renderChapters, renderTranscript } from '../export/transcript.js';
import type { EpisodeResolvers } from '../__generated__/resolvers-types.js';
import { page } from './pagination.js';

export const Episode: EpisodeResolvers = {
  // Both keys lead to the same map: the compound key `series { id } number` spells the id out. Representations
  // reach here checked against the keys (resolvers/entities.ts), but one may hold both keys, with `id: null`.
  __resolveReference: (ref, { loaders }) => {
    if ('id' in ref && ref.id !== null && ref.id !== undefined) return loaders.episode.load(String(ref.id));
    const { series, number } = ref as { series: { id: string }; number: number };
    return loaders.episode.load(episodeId(series.id, number));
  },
  turns: (episode, args, _ctx, info) => page(episode.turns, args, info),
  transcript: (episode, { format }) => renderTranscript(episode.turns, format),
  chapters: (episode) => renderChapters(episode.segments),
  turnAt: (episode, { seconds }) =>
    episode.turns.find((t) => t.start.seconds <= seconds && seconds < t.end.seconds) ?? null,
};
