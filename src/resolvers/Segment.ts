import { renderTranscript } from '../export/transcript.js';
import type { SegmentResolvers } from '../__generated__/resolvers-types.js';

export const Segment: SegmentResolvers = {
  __resolveReference: (ref, { loaders }) => loaders.segment.load(String(ref.id)), // an ID may come as an integer
  previous: (segment) => segment.episode.segments[segment.index - 1] ?? null,
  next: (segment) => segment.episode.segments[segment.index + 1] ?? null,
  sourcePath: (segment) => segment.file,
  transcript: (segment, { format }) => renderTranscript(segment.turns, format),
};
