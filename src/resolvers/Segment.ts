import type { SegmentFields } from '../archive/index.js';
import { renderTranscript } from '../export/transcript.js';
import type { SegmentResolvers } from '../__generated__/resolvers-types.js';
import { resolveReference } from './references.js';
import { andThen } from './maybe.js';

export const Segment: SegmentResolvers = {
  __resolveReference: resolveReference<SegmentFields>('Segment'),
  episode: (segment, _args, { source }) => source.segmentEpisode(segment),
  speakers: (segment, _args, { source }) => source.segmentSpeakers(segment),
  participants: (segment, _args, { source }) => source.segmentParticipants(segment),
  turns: (segment, _args, { source }) => source.segmentTurns(segment),
  previous: (segment, _args, { source }) => source.segmentNeighbour(segment, -1),
  next: (segment, _args, { source }) => source.segmentNeighbour(segment, 1),
  sourcePath: (segment) => segment.file,
  transcript: (segment, { format }, { source }) =>
    andThen(source.transcript(segment), (lines) => renderTranscript(lines, format)),
};
