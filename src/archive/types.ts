/**
 * The archive's records: what resolvers read (GraphQL Code Generator maps the schema's types onto these).
 * Series, episodes, segments and speakers are objects that point at each other, so following
 * `segment.episode.series` is a field read. Turns, a hundred times more numerous, live in columns
 * (src/archive/turns.ts) and are made into records on demand: a `TurnRecord` is a light view over them.
 * Everything is built once per load and never changed afterwards.
 */
import type { Diagnostic, SegmentKeywords, Timecode } from '../parser/index.js';
import type { CompactTurns } from '../parser/index.js';
import type { SearchIndex } from '../search/index.js';

export type { Timecode };

/** Fields every backend's records have (the GraphQL mappers). Relations are the source's to answer. */
export interface SeriesFields {
  readonly __typename: 'Series';
  readonly id: string;
  /** The first spelling met in load order. */
  readonly title: string;
}

export interface EpisodeFields {
  readonly __typename: 'Episode';
  /** `<series id>-ep<number>`. */
  readonly id: string;
  readonly number: number;
  readonly start: Timecode;
  readonly end: Timecode;
  readonly durationSeconds: number;
  /** Distinct topics across segments (case-insensitive, first spelling). */
  readonly topics: readonly string[];
  readonly wordCount: number;
}

export interface SegmentFields extends SegmentKeywords {
  readonly __typename: 'Segment';
  readonly id: string;
  /** Path of the source file, relative to the data folder. */
  readonly file: string;
  readonly title: string;
  readonly chunk: number;
  readonly description: string | null;
  readonly summary: string | null;
  readonly fps: number;
  readonly start: Timecode;
  readonly end: Timecode;
  readonly durationSeconds: number;
  readonly wordCount: number;
}

export interface TurnFields {
  readonly __typename: 'Turn';
  /** `<segment id>#<number>`. */
  readonly id: string;
  /** 1-based within the segment. */
  readonly number: number;
  readonly start: Timecode;
  readonly end: Timecode;
  readonly durationSeconds: number;
  readonly text: string;
  readonly wordCount: number;
}

export interface SpeakerFields {
  readonly __typename: 'Speaker';
  readonly id: string;
  /** The first spelling met in load order. */
  readonly name: string;
  readonly wordCount: number;
  readonly talkTimeSeconds: number;
}

/**
 * A read-only list of turns that makes each record when asked: an episode's, a segment's or a speaker's turns,
 * without an array of objects behind it.
 */
export interface TurnList extends Iterable<TurnRecord> {
  readonly length: number;
  /** The turn at `index` (0-based within the list), or undefined. */
  at(index: number): TurnRecord | undefined;
  /** Records for `[start, end)`, as Array.prototype.slice. */
  slice(start?: number, end?: number): TurnRecord[];
  find(predicate: (turn: TurnRecord) => boolean): TurnRecord | undefined;
}

/**
 * The in-memory archive's records: the fields every backend has, and the relations as fields. `__typename` is set
 * when a record is made (on every record type): Apollo's `_entities` resolver would otherwise define it on each
 * record it returns, reshaping records one by one and slowing every later read.
 */
export interface SeriesRecord extends SeriesFields {
  /** By number. */
  readonly episodes: readonly EpisodeRecord[];
}

export interface EpisodeRecord extends EpisodeFields {
  readonly series: SeriesRecord;
  /** By chunk. */
  readonly segments: readonly SegmentRecord[];
  /** Every turn of every segment, in segment then turn order. */
  readonly turns: TurnList;
  /** Position of the episode's first turn. */
  readonly firstTurn: number;
  /** Distinct turn speakers, in order of first turn. */
  readonly speakers: readonly SpeakerRecord[];
}

export interface SegmentRecord extends SegmentFields {
  readonly episode: EpisodeRecord;
  /** Position in `episode.segments`. */
  readonly index: number;
  readonly speakers: readonly SpeakerRecord[];
  readonly participants: readonly SpeakerRecord[];
  readonly turns: TurnList;
  /** Position of the segment's first turn in the archive. */
  readonly firstTurn: number;
  /** The segment's turns in columns, and their texts. */
  readonly compact: CompactTurns;
  /** The speaker of each name in `compact.names`. */
  readonly turnSpeakers: readonly SpeakerRecord[];
}

export interface TurnRecord extends TurnFields {
  readonly segment: SegmentRecord;
  readonly speaker: SpeakerRecord;
  /** Position in `segment.episode.turns`, for previous/next. */
  readonly episodeIndex: number;
  /** Position in `archive.turns`. */
  readonly position: number;
}

export interface SpeakerRecord extends SpeakerFields {
  /** Position in `archive.speakers` (by id). */
  readonly index: number;
  /** Where the speaker has at least one turn, in archive order. */
  readonly episodes: readonly EpisodeRecord[];
  readonly segments: readonly SegmentRecord[];
  readonly turns: TurnList;
}

/** Counts for `/health` and logs. */
export interface ArchiveStats {
  readonly series: number;
  readonly episodes: number;
  readonly segments: number;
  readonly turns: number;
  readonly speakers: number;
  readonly files: number;
  readonly errors: number;
  readonly warnings: number;
}

/** Look-ups by id. */
export interface ById<T> {
  get(id: string): T | undefined;
}

/** An immutable, fully indexed archive. Lists are in the order the API returns them. */
export interface Archive {
  /** By title, case-insensitive. */
  readonly series: readonly SeriesRecord[];
  /** By series title, then number. */
  readonly episodes: readonly EpisodeRecord[];
  /** By series, episode, chunk. */
  readonly segments: readonly SegmentRecord[];
  /** By id. */
  readonly speakers: readonly SpeakerRecord[];
  /** Every turn, by series, episode, chunk, number: positions in the search index. */
  readonly turns: TurnList;
  /** Position -> speaker index (`speakers`), for search filters. */
  readonly turnSpeaker: Int32Array;
  /** Full-text index of every turn's text. */
  readonly search: SearchIndex;
  readonly seriesById: ById<SeriesRecord>;
  readonly episodeById: ById<EpisodeRecord>;
  readonly segmentById: ById<SegmentRecord>;
  /** `<segment id>#<number>`, resolved through the segment: no map of turn ids. */
  readonly turnById: ById<TurnRecord>;
  readonly speakerById: ById<SpeakerRecord>;
  /** Segments by lower-cased topic, tag, entity or mention, in archive order. */
  readonly segmentsByTopic: ReadonlyMap<string, readonly SegmentRecord[]>;
  readonly segmentsByTag: ReadonlyMap<string, readonly SegmentRecord[]>;
  readonly segmentsByEntity: ReadonlyMap<string, readonly SegmentRecord[]>;
  readonly segmentsByMention: ReadonlyMap<string, readonly SegmentRecord[]>;
  /** Every diagnostic of the load that built this archive, in file order. */
  readonly diagnostics: readonly Diagnostic[];
  readonly stats: ArchiveStats;
}
