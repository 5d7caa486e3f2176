import type { EpisodeFields } from '../archive/index.js';
import { renderChapters, renderTranscript } from '../export/transcript.js';
import type { EpisodeResolvers } from '../__generated__/resolvers-types.js';
import { page } from './pagination.js';
import { resolveReference } from './references.js';
import { andThen } from './maybe.js';

export const Episode: EpisodeResolvers = {
  __resolveReference: resolveReference<EpisodeFields>('Episode'),
  series: (episode, _args, { source }) => source.episodeSeries(episode),
  segments: (episode, _args, { source }) => source.episodeSegments(episode),
  speakers: (episode, _args, { source }) => source.episodeSpeakers(episode),
  turns: (episode, args, { source }, info) => page(source.episodeTurns(episode), args, info),
  transcript: (episode, { format }, { source }) =>
    andThen(source.transcript(episode), (lines) => renderTranscript(lines, format)),
  chapters: (episode, _args, { source }) => andThen(source.episodeSegments(episode), renderChapters),
  turnAt: (episode, { seconds }, { source }) => source.episodeTurnAt(episode, seconds),
};
