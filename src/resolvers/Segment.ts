import { renderTranscript } from '../export/transcript.js';
import type { SegmentRecord } from '../archive/types.js';
import type { SegmentResolvers } from '../__generated__/resolvers-types.js';
import { resolveReference } from './references.js';

export const Segment: SegmentResolvers = {
  __resolveReference: resolveReference<SegmentRecord>('Segment'),
  previous: (segment) => segment.episode.segments[segment.index - 1] ?? null,
  next: (segment) => segment.episode.segments[segment.index + 1] ?? null,
  sourcePath: (segment) => segment.file,
  transcript: (segment, { format }) => renderTranscript(segment.turns, format),
};
