/** Filtered views of the archive, in archive order. Pure reads: the archive is never changed. */
import type { SearchScope } from '../search/index.js';
import type { Archive, EpisodeRecord, SegmentRecord } from './types.js';

export interface EpisodeFilter {
  readonly seriesId?: string | null;
  readonly speakerId?: string | null;
}

export interface SegmentFilter {
  readonly seriesId?: string | null;
  readonly episodeId?: string | null;
  readonly speakerId?: string | null;
  readonly topic?: string | null;
  readonly tag?: string | null;
  readonly entity?: string | null;
  readonly mention?: string | null;
}

/** Whether a filter field is set (GraphQL gives absent fields as undefined, explicit nulls as null). */
export const given = (value: string | null | undefined): value is string => value !== null && value !== undefined;

/**
 * Episodes matching every given field, by series title then number.
 *
 * @example
 * filterEpisodes(archive, { speakerId: 'stefan' }).map((e) => e.id) // ['the-good-thing-ep3']
 */
export function filterEpisodes(archive: Archive, filter: EpisodeFilter | null | undefined): readonly EpisodeRecord[] {
  const { seriesId, speakerId } = filter ?? {};
  if (given(speakerId)) {
    const episodes = archive.speakerById.get(speakerId)?.episodes ?? [];
    return given(seriesId) ? episodes.filter((e) => e.series.id === seriesId) : episodes;
  }
  if (given(seriesId)) return archive.seriesById.get(seriesId)?.episodes ?? [];
  return archive.episodes;
}

/**
 * Segments matching every given field, by series, episode, then chunk. Starts from the smallest index that
 * applies and checks the other fields on that list only.
 *
 * @example
 * filterSegments(archive, { topic: 'kubernetes', speakerId: 'dustin' }).length // 1
 */
export function filterSegments(archive: Archive, filter: SegmentFilter | null | undefined): readonly SegmentRecord[] {
  const f = filter ?? {};
  const candidates: (readonly SegmentRecord[])[] = [];
  const checks: ((s: SegmentRecord) => boolean)[] = [];
  if (given(f.episodeId)) {
    const id = f.episodeId;
    candidates.push(archive.episodeById.get(id)?.segments ?? []);
    checks.push((s) => s.episode.id === id);
  }
  if (given(f.seriesId)) {
    const id = f.seriesId;
    candidates.push(archive.seriesById.get(id)?.episodes.flatMap((e) => e.segments) ?? []);
    checks.push((s) => s.episode.series.id === id);
  }
  if (given(f.speakerId)) {
    const id = f.speakerId;
    candidates.push(archive.speakerById.get(id)?.segments ?? []);
    checks.push((s) => s.speakers.some((p) => p.id === id));
  }
  const byText = [
    [f.topic, archive.segmentsByTopic, (s: SegmentRecord) => s.topics],
    [f.tag, archive.segmentsByTag, (s: SegmentRecord) => s.tags],
    [f.entity, archive.segmentsByEntity, (s: SegmentRecord) => s.entities],
    [f.mention, archive.segmentsByMention, (s: SegmentRecord) => s.mentions],
  ] as const;
  for (const [value, index, values] of byText) {
    if (!given(value)) continue;
    const key = value.toLowerCase();
    candidates.push(index.get(key) ?? []);
    checks.push((s) => values(s).some((v) => v.toLowerCase() === key));
  }
  if (candidates.length === 0) return archive.segments;
  const smallest = candidates.reduce((a, b) => (b.length < a.length ? b : a));
  return checks.length === 1 ? smallest : smallest.filter((s) => checks.every((check) => check(s)));
}

export interface SearchFilter {
  readonly seriesId?: string | null;
  readonly episodeId?: string | null;
  readonly segmentId?: string | null;
  readonly speakerId?: string | null;
}

/**
 * The part of the search index a filter allows, or null when nothing can match (an unknown id, or filters
 * that exclude each other). Series, episodes and segments are contiguous runs of turn positions.
 *
 * @example
 * searchScope(archive, { episodeId: 'the-good-thing-ep3' }) // { from: 0, to: 19, speaker: -1 }
 */
export function searchScope(archive: Archive, filter: SearchFilter | null | undefined): SearchScope | null {
  const f = filter ?? {};
  let { from, to, speaker } = archive.search.scopeAll();
  // Series, episodes and segments are runs of positions: [first, first + length).
  const narrow = (range: { first: number; length: number } | undefined): boolean => {
    if (!range || range.length === 0) return false;
    from = Math.max(from, range.first);
    to = Math.min(to, range.first + range.length);
    return from < to;
  };
  const run = (list: { firstTurn: number; turns: { length: number } } | undefined) =>
    list && { first: list.firstTurn, length: list.turns.length };
  if (given(f.seriesId)) {
    const episodes = archive.seriesById.get(f.seriesId)?.episodes;
    const last = episodes?.at(-1);
    if (
      !narrow(
        episodes &&
          last && {
            first: episodes[0]!.firstTurn,
            length: last.firstTurn + last.turns.length - episodes[0]!.firstTurn,
          },
      )
    )
      return null;
  }
  if (given(f.episodeId) && !narrow(run(archive.episodeById.get(f.episodeId)))) return null;
  if (given(f.segmentId) && !narrow(run(archive.segmentById.get(f.segmentId)))) return null;
  if (given(f.speakerId)) {
    const found = archive.speakerById.get(f.speakerId);
    // A speaker with no turns (listed as a participant only) can match nothing.
    if (!found || found.turns.length === 0) return null;
    speaker = found.index;
  }
  return { from, to, speaker };
}
