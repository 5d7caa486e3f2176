/**
 * The archive interface: what the GraphQL layer reads, whichever backend serves it. Two implement it: the
 * in-memory archive over a folder (memorySource, below: synchronous, the default) and PostgreSQL (src/pg/source.ts:
 * asynchronous, batched). Resolvers never know which one they talk to; one contract test suite runs against both.
 *
 * Records are the backend's own objects; the GraphQL layer reads only the fields the record types below declare
 * (and passes records back to the source for their relations). Every method may answer now or with a promise.
 */
import type { SearchQuery } from '../search/query.js';
import type { EpisodeFilter, SearchFilter, SegmentFilter } from './query.js';
import { filterEpisodes, filterSegments, searchScope } from './query.js';
import type {
  Archive,
  ArchiveStats,
  EpisodeFields,
  SegmentFields,
  SeriesFields,
  SpeakerFields,
  Timecode,
  TurnFields,
} from './types.js';

export type Maybe<T> = T | Promise<T>;

/** A list read a page at a time: how long it is, and a slice of it. */
export interface Listing<T> {
  count(): Maybe<number>;
  slice(start: number, end: number): Maybe<readonly T[]>;
}

/** One line of a transcript rendering. */
export interface TranscriptLine {
  readonly speaker: string;
  readonly start: Timecode;
  readonly end: Timecode;
  readonly text: string;
}

export interface SearchAnswer {
  readonly totalCount: number;
  /** False when `totalCount` is a lower bound (a backend may stop counting past a limit). */
  readonly totalCountIsExact: boolean;
  readonly hits: readonly { readonly turn: TurnFields; readonly score: number }[];
}

/** What one request reads. */
export interface Source {
  /** Identity of the archive version served: caches key on it (a new object with every reload or sync). */
  readonly key: object;
  /** The in-memory archive, when that is the backend: fast paths read it directly. */
  readonly archive?: Archive;

  /** Look-ups by ids, in order, null for unknown ids: what the request's DataLoaders batch. */
  seriesByIds(ids: readonly string[]): Maybe<readonly (SeriesFields | null)[]>;
  episodesByIds(ids: readonly string[]): Maybe<readonly (EpisodeFields | null)[]>;
  segmentsByIds(ids: readonly string[]): Maybe<readonly (SegmentFields | null)[]>;
  turnsByIds(ids: readonly string[]): Maybe<readonly (TurnFields | null)[]>;
  speakersByIds(ids: readonly string[]): Maybe<readonly (SpeakerFields | null)[]>;

  allSeries(): Maybe<readonly SeriesFields[]>;
  episodes(filter: EpisodeFilter | null | undefined): Listing<EpisodeFields>;
  segments(filter: SegmentFilter | null | undefined): Listing<SegmentFields>;
  speakers(): Listing<SpeakerFields>;
  search(
    query: SearchQuery,
    filter: SearchFilter | null | undefined,
    offset: number,
    limit: number,
  ): Maybe<SearchAnswer>;

  seriesEpisodes(series: SeriesFields): Maybe<readonly EpisodeFields[]>;
  episodeSeries(episode: EpisodeFields): Maybe<SeriesFields>;
  episodeSegments(episode: EpisodeFields): Maybe<readonly SegmentFields[]>;
  episodeSpeakers(episode: EpisodeFields): Maybe<readonly SpeakerFields[]>;
  episodeTurns(episode: EpisodeFields): Listing<TurnFields>;
  /** The first turn (in episode order) with start <= seconds < end. */
  episodeTurnAt(episode: EpisodeFields, seconds: number): Maybe<TurnFields | null>;
  segmentEpisode(segment: SegmentFields): Maybe<EpisodeFields>;
  segmentSpeakers(segment: SegmentFields): Maybe<readonly SpeakerFields[]>;
  segmentParticipants(segment: SegmentFields): Maybe<readonly SpeakerFields[]>;
  segmentTurns(segment: SegmentFields): Maybe<readonly TurnFields[]>;
  /** The previous (-1) or next (+1) chunk of the same episode. */
  segmentNeighbour(segment: SegmentFields, step: -1 | 1): Maybe<SegmentFields | null>;
  turnSegment(turn: TurnFields): Maybe<SegmentFields>;
  turnEpisode(turn: TurnFields): Maybe<EpisodeFields>;
  turnSpeaker(turn: TurnFields): Maybe<SpeakerFields>;
  /** The previous (-1) or next (+1) turn of the same episode. */
  turnNeighbour(turn: TurnFields, step: -1 | 1): Maybe<TurnFields | null>;
  speakerEpisodes(speaker: SpeakerFields): Maybe<readonly EpisodeFields[]>;
  speakerSegments(speaker: SpeakerFields): Maybe<readonly SegmentFields[]>;
  speakerTurns(speaker: SpeakerFields): Listing<TurnFields>;
  speakerTurnCount(speaker: SpeakerFields): Maybe<number>;
  /** An episode's or a segment's turns as lines to render. */
  transcript(of: EpisodeFields | SegmentFields): Maybe<readonly TranscriptLine[]>;
}

/**
 * The archive cannot answer now (its database is unreachable, or too slow): a failure of the backend, not of the
 * request nor a bug. The GraphQL layer reports it with the code `ARCHIVE_UNAVAILABLE`.
 */
export class ArchiveUnavailableError extends Error {
  readonly code = 'ARCHIVE_UNAVAILABLE';
  override readonly name = 'ArchiveUnavailableError';
}

/** A backend: one version of the archive, making a Source per request. */
export interface ArchiveBackend {
  readonly key: object;
  readonly stats: ArchiveStats;
  /** Records kept across requests by this version, when the backend keeps any (PostgreSQL). */
  readonly records?: { readonly bytes: number } | null;
  forRequest(): Source & { close?(): void };
}

/** An array, as a Listing. */
export function listing<T>(items: { readonly length: number; slice(start: number, end: number): T[] }): Listing<T> {
  return { count: () => items.length, slice: (start, end) => items.slice(start, end) };
}

const sources = new WeakMap<Archive, Source & ArchiveBackend>();

/**
 * The in-memory archive as a Source (and a backend: it needs no per-request state). Synchronous throughout.
 *
 * @example
 * const source = memorySource(await loadArchive('data'));
 */
export function memorySource(archive: Archive): Source & ArchiveBackend {
  let source = sources.get(archive);
  if (source) return source;
  // Records are the archive's own objects, which carry their relations; the casts only widen the field types.
  const byIds =
    <T>(map: { get(id: string): T | undefined }) =>
    (ids: readonly string[]) =>
      ids.map((id) => map.get(id) ?? null);
  source = {
    key: archive,
    archive,
    stats: archive.stats,
    forRequest: () => source!,
    seriesByIds: byIds(archive.seriesById),
    episodesByIds: byIds(archive.episodeById),
    segmentsByIds: byIds(archive.segmentById),
    turnsByIds: byIds(archive.turnById),
    speakersByIds: byIds(archive.speakerById),
    allSeries: () => archive.series,
    episodes: (filter) => listing(filterEpisodes(archive, filter)),
    segments: (filter) => listing(filterSegments(archive, filter)),
    speakers: () => listing(archive.speakers),
    search: (query, filter, offset, limit) => {
      const scope = searchScope(archive, filter);
      if (!scope) return { totalCount: 0, totalCountIsExact: true, hits: [] };
      const { totalCount, hits } = archive.search.search(query, scope, offset, limit);
      return {
        totalCount,
        totalCountIsExact: true,
        hits: hits.map((hit) => ({ turn: archive.turns.at(hit.doc)!, score: hit.score })),
      };
    },
    seriesEpisodes: (s) => mem(s).episodes,
    episodeSeries: (e) => mem(e).series,
    episodeSegments: (e) => mem(e).segments,
    episodeSpeakers: (e) => mem(e).speakers,
    episodeTurns: (e) => listing(mem(e).turns),
    episodeTurnAt: (e, seconds) =>
      mem(e).turns.find((t) => t.start.seconds <= seconds && seconds < t.end.seconds) ?? null,
    segmentEpisode: (s) => mem(s).episode,
    segmentSpeakers: (s) => mem(s).speakers,
    segmentParticipants: (s) => mem(s).participants,
    segmentTurns: (s) => mem(s).turns.slice(),
    segmentNeighbour: (s, step) => {
      const segment = mem(s);
      return segment.episode.segments[segment.index + step] ?? null;
    },
    turnSegment: (t) => mem(t).segment,
    turnEpisode: (t) => mem(t).segment.episode,
    turnSpeaker: (t) => mem(t).speaker,
    turnNeighbour: (t, step) => {
      const turn = mem(t);
      const index = turn.episodeIndex + step;
      return index >= 0 ? (turn.segment.episode.turns.at(index) ?? null) : null;
    },
    speakerEpisodes: (s) => mem(s).episodes,
    speakerSegments: (s) => mem(s).segments,
    speakerTurns: (s) => listing(mem(s).turns),
    speakerTurnCount: (s) => mem(s).turns.length,
    transcript: (of) =>
      mem(of)
        .turns.slice()
        .map((t) => ({ speaker: t.speaker.name, start: t.start, end: t.end, text: t.text })),
  };
  sources.set(archive, source);
  return source;
}

/** A record of the in-memory archive, given back by the GraphQL layer. */
type MemoryRecord<T> = T extends SeriesFields
  ? import('./types.js').SeriesRecord
  : T extends EpisodeFields
    ? import('./types.js').EpisodeRecord
    : T extends SegmentFields
      ? import('./types.js').SegmentRecord
      : T extends TurnFields
        ? import('./types.js').TurnRecord
        : T extends SpeakerFields
          ? import('./types.js').SpeakerRecord
          : never;

const mem = <T>(record: T): MemoryRecord<T> => record as unknown as MemoryRecord<T>;

export type { ArchiveStats };
