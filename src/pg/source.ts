/**
 * The PostgreSQL archive as a Source (src/archive/source.ts): what replicas serve when `DATABASE_URL` is set. The
 * sync (src/pg/sync.ts) writes the tables of src/pg/migrations.ts; this module only reads them.
 *
 * - One request, one snapshot: a request's first query opens a `REPEATABLE READ READ ONLY` transaction on a pooled
 *   connection, every later query of the request reads that snapshot, and the connection goes back when the request
 *   ends. A sync that commits meanwhile is seen by the next request, never half-way through this one.
 * - Look-ups by id and the relations a page of records asks for are batched (DataLoader, per request): a router's
 *   `_entities` batch of a thousand turns is one query, a page of twenty segments with their turns two.
 * - Search: the query's words, folded by our own code (src/search), become a `tsquery` matched against the
 *   `tsvector` the sync wrote from the same code, so PostgreSQL never tokenizes and the hits are the in-memory
 *   index's. The candidates are read in archive order up to SEARCH_COUNT_LIMIT + 1 and ranked here with the
 *   in-memory index's BM25 (same formula, same statistics: the sync's document frequencies and token counts).
 *   Past SEARCH_COUNT_LIMIT matches the count is a lower bound (`totalCountIsExact: false`) and the ranking covers
 *   the first SEARCH_COUNT_LIMIT matches in archive order: counting and ranking every match of a frequent word
 *   reads most of the table (seconds at two million turns, docs/architecture.md#search-in-postgresql).
 */
import DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';

import {
  ArchiveUnavailableError,
  given,
  parseTurnId,
  type ArchiveBackend,
  type ArchiveStats,
  type EpisodeFields,
  type EpisodeFilter,
  type Listing,
  type SearchAnswer,
  type SearchFilter,
  type SegmentFields,
  type SegmentFilter,
  type SeriesFields,
  type Source,
  type SpeakerFields,
  type TranscriptLine,
  type TurnFields,
} from '../archive/index.js';
import { roundSeconds, type Timecode } from '../parser/index.js';
import type { SearchQuery } from '../search/query.js';
import type { Pool, PoolClient } from './client.js';

/** Matches counted exactly, and ranked, per search; past it the count is a lower bound. */
export const SEARCH_COUNT_LIMIT = 10_000;
const K1 = 1.2;
const B = 0.75;

/** One version of the archive as the database held it when a replica last looked. */
export interface VersionRow {
  /** `transcripts.archive.version` (a bigint, as text). */
  readonly version: string;
  readonly stats: ArchiveStats;
}

/** What the requests of one version share: the pool, and what to do when the database is lost. */
export interface PgShared {
  readonly pool: Pool;
  /** Told of errors that mean the database is unreachable (the follower then checks, and /health says so). */
  readonly onConnectionError: (error: unknown) => void;
  /** How searches find their first matches; default `auto` (by the rarest word's frequency). Tests force each. */
  readonly searchPath?: 'auto' | 'walk' | 'index';
  /** Bytes of records each version keeps for later requests (0: none). */
  readonly recordBytes?: number;
  /** Look-ups of the record caches, over every version (for metrics). */
  readonly recordStats?: { hits: number; misses: number };
}

/**
 * Records of one version kept for later requests, by kind and id, bounded by the bytes they hold (as estimated:
 * two bytes a character, plus fixed costs per object, array and string). A version's cache goes with it.
 */
export class RecordCache {
  private readonly lru: LRUCache<string, object>;

  constructor(
    maxBytes: number,
    readonly stats: { hits: number; misses: number },
  ) {
    this.lru = new LRUCache<string, object>({
      maxSize: maxBytes,
      sizeCalculation: (value, key) => sizeOf(value) + 2 * key.length + 64,
    });
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }

  get(key: string): object | undefined {
    const found = this.lru.get(key);
    if (found === undefined) this.stats.misses++;
    else this.stats.hits++;
    return found;
  }

  set(key: string, value: object): void {
    this.lru.set(key, value);
  }
}

/** Bytes a record (or a list of them) holds, roughly as V8 lays it out. */
function sizeOf(value: unknown): number {
  if (typeof value === 'string') return 16 + 2 * value.length;
  if (value === null || typeof value !== 'object') return 8;
  let total = Array.isArray(value) ? 16 : 24;
  for (const item of Array.isArray(value) ? value : Object.values(value)) total += 8 + sizeOf(item);
  return total;
}

// Records: the API's fields, plus the keys their relations are read by.
interface PgSeries extends SeriesFields {
  readonly ord: number;
}
interface PgEpisode extends EpisodeFields {
  readonly seriesId: string;
  readonly seriesOrd: number;
  readonly speakerIds: readonly string[];
  readonly turnCount: number;
}
interface PgSegment extends SegmentFields {
  readonly episodeId: string;
  readonly seriesOrd: number;
  readonly episodeNumber: number;
  readonly index: number;
  readonly speakerIds: readonly string[];
  readonly participantIds: readonly string[];
  readonly turnCount: number;
}
interface PgTurn extends TurnFields {
  readonly segmentId: string;
  readonly episodeId: string;
  readonly seriesOrd: number;
  readonly episodeNumber: number;
  readonly chunk: number;
  readonly speakerId: string;
}
interface PgSpeaker extends SpeakerFields {
  readonly turnCount: number;
}

type Row = Record<string, any>;

const SERIES = 'id, title, ord';
const EPISODE = `id, series_id, series_ord, number, start_smpte, start_seconds, end_smpte, end_seconds,
  duration_seconds, topics, speaker_ids, word_count, turn_count`;
const SEGMENT = `id, episode_id, series_id, series_ord, episode_number, chunk, idx, file, title, description, summary,
  fps, start_smpte, start_seconds, end_smpte, end_seconds, duration_seconds, topics, tags, topic_tags, entities,
  mentions, speaker_ids, participant_ids, word_count, turn_count`;
const TURN = `segment_id, number, episode_id, series_ord, episode_number, chunk, speaker_id, start_smpte,
  start_seconds, end_smpte, end_seconds, word_count, text`;
const SPEAKER = 'id, name, word_count, talk_time_seconds, turn_count';

const timecode = (smpte: string, seconds: number): Timecode => ({ smpte, seconds });

const series = (r: Row): PgSeries => ({ __typename: 'Series', id: r.id, title: r.title, ord: r.ord });
const episode = (r: Row): PgEpisode => ({
  __typename: 'Episode',
  id: r.id,
  number: r.number,
  start: timecode(r.start_smpte, r.start_seconds),
  end: timecode(r.end_smpte, r.end_seconds),
  durationSeconds: r.duration_seconds,
  topics: r.topics,
  wordCount: r.word_count,
  seriesId: r.series_id,
  seriesOrd: r.series_ord,
  speakerIds: r.speaker_ids,
  turnCount: r.turn_count,
});
const segment = (r: Row): PgSegment => ({
  __typename: 'Segment',
  id: r.id,
  file: r.file,
  title: r.title,
  chunk: r.chunk,
  description: r.description,
  summary: r.summary,
  fps: r.fps,
  start: timecode(r.start_smpte, r.start_seconds),
  end: timecode(r.end_smpte, r.end_seconds),
  durationSeconds: r.duration_seconds,
  topics: r.topics,
  tags: r.tags,
  topicTags: r.topic_tags,
  entities: r.entities,
  mentions: r.mentions,
  wordCount: r.word_count,
  episodeId: r.episode_id,
  seriesOrd: r.series_ord,
  episodeNumber: r.episode_number,
  index: r.idx,
  speakerIds: r.speaker_ids,
  participantIds: r.participant_ids,
  turnCount: r.turn_count,
});
const turn = (r: Row): PgTurn => ({
  __typename: 'Turn',
  id: `${r.segment_id}#${r.number}`,
  number: r.number,
  start: timecode(r.start_smpte, r.start_seconds),
  end: timecode(r.end_smpte, r.end_seconds),
  durationSeconds: roundSeconds(r.end_seconds - r.start_seconds),
  text: r.text,
  wordCount: r.word_count,
  segmentId: r.segment_id,
  episodeId: r.episode_id,
  seriesOrd: r.series_ord,
  episodeNumber: r.episode_number,
  chunk: r.chunk,
  speakerId: r.speaker_id,
});
const speaker = (r: Row): PgSpeaker => ({
  __typename: 'Speaker',
  id: r.id,
  name: r.name,
  wordCount: r.word_count,
  talkTimeSeconds: r.talk_time_seconds,
  turnCount: r.turn_count,
});

/** A `tsquery` of our folded words: every term, and each phrase as consecutive words. Lexemes are quoted. */
export function toTsquery(query: SearchQuery): string {
  const lexeme = (word: string) => `'${word.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
  const parts = query.terms.map(lexeme);
  for (const phrase of query.phrases) parts.push(`(${phrase.map(lexeme).join(' <-> ')})`);
  return parts.join(' & ');
}

/** Errors that mean the database (or the way to it) is gone, as opposed to a bug in a query. */
function isConnectionError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  // Class 08: connection exceptions; 57P01-57P03: the server shutting down or not yet accepting connections.
  if (code.startsWith('08') || /^57P0[1-3]$/.test(code)) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN'].includes(code)) {
    return true;
  }
  const message = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
    message,
  );
}

/** A query's failure as the GraphQL layer should see it: the archive is unavailable (and why), never a crash. */
function unavailable(error: unknown, shared: PgShared): ArchiveUnavailableError {
  if (error instanceof ArchiveUnavailableError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === '57014') return new ArchiveUnavailableError('the archive database did not answer in time');
  if (isConnectionError(error)) {
    shared.onConnectionError(error);
    return new ArchiveUnavailableError('the archive database cannot be reached');
  }
  return new ArchiveUnavailableError('the archive database refused a query', { cause: error });
}

/**
 * One version of the PostgreSQL archive, as a backend: a new one (a new `key`) for every version a sync commits.
 *
 * @example
 * const backend = new PgBackend(shared, { version: '3', stats });
 * const source = backend.forRequest(); // ... read, then:
 * source.close();
 */
export class PgBackend implements ArchiveBackend {
  readonly key: object = {};
  readonly stats: ArchiveStats;
  readonly version: string;
  /** Records of this version kept across requests; null when `recordBytes` is 0. */
  readonly records: RecordCache | null;

  constructor(
    private readonly shared: PgShared,
    row: VersionRow,
  ) {
    this.stats = row.stats;
    this.version = row.version;
    const bytes = shared.recordBytes ?? 0;
    this.records = bytes > 0 ? new RecordCache(bytes, shared.recordStats ?? { hits: 0, misses: 0 }) : null;
  }

  forRequest(): Source & { close(): void } {
    return new PgRequest(this.shared, this);
  }
}

/** The archive row as a request's snapshot holds it. */
interface Snapshot {
  readonly version: string;
  readonly turns: number;
  readonly tokens: number;
  readonly episodes: number;
  readonly segments: number;
  readonly speakers: number;
}

/** What one request reads: one connection, one snapshot, per-request batches. */
class PgRequest implements Source {
  private connection: Promise<{ client: PoolClient; snapshot: Snapshot }> | null = null;
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** Records this request took from the version's cache, and whether it may use the cache at all. */
  private cacheHits = 0;
  private records: RecordCache | null;
  readonly key: object;

  private readonly series = this.byId<PgSeries>('series', `SELECT ${SERIES} FROM transcripts.series`, series);
  private readonly episode = this.byId<PgEpisode>('episode', `SELECT ${EPISODE} FROM transcripts.episodes`, episode);
  private readonly segment = this.byId<PgSegment>('segment', `SELECT ${SEGMENT} FROM transcripts.segments`, segment);
  private readonly speaker = this.byId<PgSpeaker>('speaker', `SELECT ${SPEAKER} FROM transcripts.speakers`, speaker);
  private readonly turn = this.loader('turn', async (ids): Promise<PgTurn[]> => {
    const keys = ids.map(parseTurnId).filter((k) => k !== null);
    if (keys.length === 0) return [];
    const rows = await this.rows(
      `SELECT ${TURN} FROM transcripts.turns
        WHERE (segment_id, number) IN (SELECT * FROM unnest($1::text[], $2::int[]))`,
      [keys.map((k) => k.segment), keys.map((k) => k.number)],
    );
    return rows.map(turn);
  });
  /** Children by parent id, in archive order: what a page of parents asks for at once. */
  private readonly episodesOfSeries = this.groups<PgEpisode>(
    'episodes-of',
    `SELECT ${EPISODE} FROM transcripts.episodes WHERE series_id = ANY($1::text[]) ORDER BY series_ord, number`,
    episode,
    (e) => e.seriesId,
  );
  private readonly segmentsOfEpisode = this.groups<PgSegment>(
    'segments-of',
    `SELECT ${SEGMENT} FROM transcripts.segments WHERE episode_id = ANY($1::text[]) ORDER BY series_ord, episode_number, chunk`,
    segment,
    (s) => s.episodeId,
  );
  private readonly turnsOfSegment = this.groups<PgTurn>(
    'turns-of',
    `SELECT ${TURN} FROM transcripts.turns WHERE segment_id = ANY($1::text[]) ORDER BY segment_id, number`,
    turn,
    (t) => t.segmentId,
  );

  constructor(
    private readonly shared: PgShared,
    private readonly backend: PgBackend,
  ) {
    this.key = backend.key;
    this.records = backend.records;
  }

  /** Commits the read-only transaction and returns the connection (a broken one is discarded). */
  close(): void {
    this.closed = true;
    const connection = this.connection;
    if (!connection) return;
    connection.then(
      ({ client }) =>
        this.queue
          .then(() => client.query('COMMIT'))
          .then(
            () => client.release(),
            (error: Error) => client.release(error),
          ),
      () => {},
    );
  }

  // --- Look-ups and relations ---

  seriesByIds = (ids: readonly string[]) => this.many(this.series, ids);
  episodesByIds = (ids: readonly string[]) => this.many(this.episode, ids);
  segmentsByIds = (ids: readonly string[]) => this.many(this.segment, ids);
  turnsByIds = (ids: readonly string[]) => this.many(this.turn, ids);
  speakersByIds = (ids: readonly string[]) => this.many(this.speaker, ids);

  allSeries = async () => (await this.rows(`SELECT ${SERIES} FROM transcripts.series ORDER BY ord`)).map(series);

  episodes(filter: EpisodeFilter | null | undefined): Listing<EpisodeFields> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (given(filter?.seriesId)) where.push(`series_id = $${params.push(filter.seriesId)}`);
    if (given(filter?.speakerId)) where.push(`speaker_ids @> ARRAY[$${params.push(filter.speakerId)}::text]`);
    return this.listing('transcripts.episodes', EPISODE, where, params, 'series_ord, number', episode, 'episodes');
  }

  segments(filter: SegmentFilter | null | undefined): Listing<SegmentFields> {
    const f = filter ?? {};
    const where: string[] = [];
    const params: unknown[] = [];
    if (given(f.episodeId)) where.push(`episode_id = $${params.push(f.episodeId)}`);
    if (given(f.seriesId)) where.push(`series_id = $${params.push(f.seriesId)}`);
    if (given(f.speakerId)) where.push(`speaker_ids @> ARRAY[$${params.push(f.speakerId)}::text]`);
    // Case-insensitive as the in-memory archive compares (JavaScript's toLowerCase, which the sync also used).
    const folded = [
      ['topics_folded', f.topic],
      ['tags_folded', f.tag],
      ['entities_folded', f.entity],
      ['mentions_folded', f.mention],
    ] as const;
    for (const [column, value] of folded) {
      if (given(value)) where.push(`${column} @> ARRAY[$${params.push(value.toLowerCase())}::text]`);
    }
    return this.listing(
      'transcripts.segments',
      SEGMENT,
      where,
      params,
      'series_ord, episode_number, chunk',
      segment,
      'segments',
    );
  }

  speakers(): Listing<SpeakerFields> {
    return this.listing('transcripts.speakers', SPEAKER, [], [], 'id COLLATE "C"', speaker, 'speakers');
  }

  seriesEpisodes = (s: SeriesFields) => this.episodesOfSeries.load(s.id);
  episodeSeries = async (e: EpisodeFields) => (await this.series.load(pg(e).seriesId))!;
  episodeSegments = (e: EpisodeFields) => this.segmentsOfEpisode.load(e.id);
  episodeSpeakers = (e: EpisodeFields) => this.present(this.speaker, pg(e).speakerIds);

  episodeTurns(e: EpisodeFields): Listing<TurnFields> {
    const { seriesOrd, number, turnCount } = pg(e);
    return {
      count: () => turnCount,
      slice: async (start, end) =>
        end <= start
          ? []
          : (
              await this.rows(
                `SELECT ${TURN} FROM transcripts.turns WHERE series_ord = $1 AND episode_number = $2
                  ORDER BY chunk, number OFFSET $3 LIMIT $4`,
                [seriesOrd, number, start, end - start],
              )
            ).map(turn),
    };
  }

  episodeTurnAt = async (e: EpisodeFields, seconds: number) => {
    const { seriesOrd, number } = pg(e);
    const [row] = await this.rows(
      `SELECT ${TURN} FROM transcripts.turns
        WHERE series_ord = $1 AND episode_number = $2 AND start_seconds <= $3 AND $3 < end_seconds
        ORDER BY chunk, number LIMIT 1`,
      [seriesOrd, number, seconds],
    );
    return row ? turn(row) : null;
  };

  segmentEpisode = async (s: SegmentFields) => (await this.episode.load(pg(s).episodeId))!;
  segmentSpeakers = (s: SegmentFields) => this.present(this.speaker, pg(s).speakerIds);
  segmentParticipants = (s: SegmentFields) => this.present(this.speaker, pg(s).participantIds);
  segmentTurns = (s: SegmentFields) => this.turnsOfSegment.load(s.id);

  segmentNeighbour = async (s: SegmentFields, step: -1 | 1) => {
    const { episodeId, index } = pg(s);
    if (index + step < 0) return null;
    const [row] = await this.rows(`SELECT ${SEGMENT} FROM transcripts.segments WHERE episode_id = $1 AND idx = $2`, [
      episodeId,
      index + step,
    ]);
    return row ? segment(row) : null;
  };

  turnSegment = async (t: TurnFields) => (await this.segment.load(pg(t).segmentId))!;
  turnEpisode = async (t: TurnFields) => (await this.episode.load(pg(t).episodeId))!;
  turnSpeaker = async (t: TurnFields) => (await this.speaker.load(pg(t).speakerId))!;

  turnNeighbour = async (t: TurnFields, step: -1 | 1) => {
    const { seriesOrd, episodeNumber, chunk, number } = pg(t);
    const [row] = await this.rows(
      `SELECT ${TURN} FROM transcripts.turns
        WHERE series_ord = $1 AND episode_number = $2 AND (chunk, number) ${step < 0 ? '<' : '>'} ($3, $4)
        ORDER BY chunk ${step < 0 ? 'DESC' : 'ASC'}, number ${step < 0 ? 'DESC' : 'ASC'} LIMIT 1`,
      [seriesOrd, episodeNumber, chunk, number],
    );
    return row ? turn(row) : null;
  };

  speakerEpisodes = async (s: SpeakerFields) =>
    (
      await this.rows(
        `SELECT ${EPISODE} FROM transcripts.episodes WHERE speaker_ids @> ARRAY[$1::text] ORDER BY series_ord, number`,
        [s.id],
      )
    ).map(episode);

  speakerSegments = async (s: SpeakerFields) =>
    (
      await this.rows(
        `SELECT ${SEGMENT} FROM transcripts.segments WHERE speaker_ids @> ARRAY[$1::text]
          ORDER BY series_ord, episode_number, chunk`,
        [s.id],
      )
    ).map(segment);

  speakerTurns(s: SpeakerFields): Listing<TurnFields> {
    return {
      count: () => pg(s).turnCount,
      slice: async (start, end) =>
        end <= start
          ? []
          : (
              await this.rows(
                `SELECT ${TURN} FROM transcripts.turns WHERE speaker_id = $1
                  ORDER BY series_ord, episode_number, chunk, number OFFSET $2 LIMIT $3`,
                [s.id, start, end - start],
              )
            ).map(turn),
    };
  }

  speakerTurnCount = (s: SpeakerFields) => pg(s).turnCount;

  transcript = async (of: EpisodeFields | SegmentFields): Promise<readonly TranscriptLine[]> => {
    // A segment's turns by number; an episode's by chunk, then number (both an index's order).
    const [where, params] =
      of.__typename === 'Segment'
        ? ['t.segment_id = $1 ORDER BY t.number', [of.id]]
        : [
            't.series_ord = $1 AND t.episode_number = $2 ORDER BY t.chunk, t.number',
            [pg(of as EpisodeFields).seriesOrd, of.number],
          ];
    const rows = await this.rows(
      `SELECT s.name, t.start_smpte, t.start_seconds, t.end_smpte, t.end_seconds, t.text
         FROM transcripts.turns t JOIN transcripts.speakers s ON s.id = t.speaker_id
        WHERE ${where}`,
      params,
    );
    return rows.map((r) => ({
      speaker: r.name,
      start: timecode(r.start_smpte, r.start_seconds),
      end: timecode(r.end_smpte, r.end_seconds),
      text: r.text,
    }));
  };

  // --- Search ---

  search = async (
    query: SearchQuery,
    filter: SearchFilter | null | undefined,
    offset: number,
    limit: number,
  ): Promise<SearchAnswer> => {
    const none = { totalCount: 0, totalCountIsExact: true, hits: [] };
    const { snapshot } = await this.connect();
    const dfs = new Map(
      (await this.rows('SELECT term, df FROM transcripts.terms WHERE term = ANY($1::text[])', [query.terms])).map(
        (r) => [r.term as string, r.df as number],
      ),
    );
    if (query.terms.some((t) => !dfs.has(t))) return none;
    // The in-memory index adds each word's part from the rarest up; same order, same sums, same scores.
    const terms = [...query.terms].sort((a, b) => dfs.get(a)! - dfs.get(b)!);
    const rarest = dfs.get(terms[0]!)!;
    const params: unknown[] = [toTsquery(query), terms];
    // Scopes as prefixes of the archive order, so the indexes that give that order can serve them.
    const where: string[] = [];
    const f = filter ?? {};
    if (given(f.seriesId)) {
      where.push(`t.series_ord = (SELECT ord FROM transcripts.series WHERE id = $${params.push(f.seriesId)})`);
    }
    if (given(f.episodeId)) {
      where.push(
        `(t.series_ord, t.episode_number) = (SELECT series_ord, number FROM transcripts.episodes WHERE id = $${params.push(f.episodeId)})`,
      );
    }
    if (given(f.segmentId)) {
      where.push(
        `(t.series_ord, t.episode_number, t.chunk) = (SELECT series_ord, episode_number, chunk FROM transcripts.segments WHERE id = $${params.push(f.segmentId)})`,
      );
    }
    if (given(f.speakerId)) where.push(`t.speaker_id = $${params.push(f.speakerId)}`);
    // Two ways to the first matches in archive order. A word in most turns: walk the order and test each turn
    // (about LIMIT x turns / df rows read; `ts_match_vq` is `@@` that no index answers, so the planner walks).
    // Otherwise: every match from the GIN index, then the first ones (df rows read). The walk wins when
    // df^2 > LIMIT x turns. (PostgreSQL estimates a tsvector match far too low to choose this itself.)
    const path = this.shared.searchPath ?? 'auto';
    const walk = path === 'auto' ? rarest * rarest > (SEARCH_COUNT_LIMIT + 1) * snapshot.turns : path === 'walk';
    where.unshift(walk ? 'ts_match_vq(t.tokens, $1::tsquery)' : 't.tokens @@ $1::tsquery');
    // The candidates first (narrow rows, no tsvector read), then their term frequencies (capped at 255, as the
    // in-memory index keeps them) by row address: computed before the LIMIT, they would be computed for every match.
    const candidates = await this.rows(
      `WITH c AS MATERIALIZED (
         SELECT t.ctid AS at, t.series_ord, t.episode_number, t.chunk, t.number
           FROM transcripts.turns t
          WHERE ${where.join(' AND ')}
          ORDER BY t.series_ord, t.episode_number, t.chunk, t.number
          LIMIT ${SEARCH_COUNT_LIMIT + 1})
       SELECT x.* FROM c CROSS JOIN LATERAL (
         SELECT t.segment_id, t.number, t.token_count,
                ARRAY(SELECT coalesce((SELECT least(array_length(u.positions, 1), 255) FROM unnest(t.tokens) u
                                        WHERE u.lexeme = q.term), 0)
                        FROM unnest($2::text[]) WITH ORDINALITY q(term, i) ORDER BY q.i) AS tf
           FROM transcripts.turns t WHERE t.ctid = c.at) x
        ORDER BY c.series_ord, c.episode_number, c.chunk, c.number`,
      params,
    );
    const exact = candidates.length <= SEARCH_COUNT_LIMIT;
    if (!exact) candidates.length = SEARCH_COUNT_LIMIT;
    const n = snapshot.turns;
    const average = snapshot.tokens / Math.max(n, 1) || 1;
    const idfs = terms.map((t) => Math.log(1 + (n - dfs.get(t)! + 0.5) / (dfs.get(t)! + 0.5)));
    const scores = candidates.map((c) => {
      // Float32, as the in-memory index stores it.
      const norm = Math.fround(K1 * (1 - B + (B * c.token_count) / average));
      const tf = c.tf as number[];
      let score = 0;
      for (let i = 0; i < idfs.length; i++) score += (idfs[i]! * tf[i]! * (K1 + 1)) / (tf[i]! + norm);
      return score;
    });
    // Best first; ties in archive order (the candidates' order).
    const order = candidates.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
    const page = order.slice(offset, offset + limit);
    const turns = await this.turnsByIds(page.map((i) => `${candidates[i]!.segment_id}#${candidates[i]!.number}`));
    return {
      totalCount: candidates.length,
      totalCountIsExact: exact,
      hits: page.map((i, k) => ({ turn: turns[k]!, score: scores[i]! })),
    };
  };

  // --- Plumbing ---

  /** The request's connection and snapshot, opened by its first query. */
  private connect(): Promise<{ client: PoolClient; snapshot: Snapshot }> {
    if (this.closed) return Promise.reject(new ArchiveUnavailableError('the request has ended'));
    this.connection ??= (async () => {
      let client: PoolClient;
      try {
        client = await this.shared.pool.connect();
      } catch (error) {
        throw unavailable(error, this.shared);
      }
      try {
        // One round trip: the transaction, and the version row its snapshot holds.
        const results = (await client.query(
          `BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;
           SELECT version::text, turns, tokens::float8 AS tokens, episodes, segments, speakers FROM transcripts.archive`,
        )) as unknown as { rows: Row[] }[];
        const row = results[1]!.rows[0] as Snapshot | undefined;
        if (!row) throw new ArchiveUnavailableError('the archive database holds no archive yet');
        if (row.version !== this.backend.version) {
          // A sync committed and this replica has not switched yet: this snapshot is not the cache's version. The
          // request reads the snapshot alone; if it already answered from the cache, it would mix two versions.
          this.records = null;
          if (this.cacheHits > 0) {
            throw new ArchiveUnavailableError('the archive changed while this request read it: try again');
          }
        }
        return { client, snapshot: row };
      } catch (error) {
        client.release(error instanceof Error ? error : true);
        throw unavailable(error, this.shared);
      }
    })();
    return this.connection;
  }

  private async rows(sql: string, params: unknown[] = []): Promise<Row[]> {
    const { client } = await this.connect();
    // One query at a time on the connection (pg 9 stops queueing them itself); batches keep the queue short.
    const run = this.queue.then(() => client.query(sql, params));
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    try {
      return (await run).rows;
    } catch (error) {
      throw unavailable(error, this.shared);
    }
  }

  private listing<T>(
    table: string,
    columns: string,
    where: readonly string[],
    params: readonly unknown[],
    orderBy: string,
    map: (row: Row) => T,
    all: 'episodes' | 'segments' | 'speakers',
  ): Listing<T> {
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    let counted: Promise<number> | undefined;
    return {
      count: () =>
        (counted ??=
          where.length === 0
            ? this.connect().then(({ snapshot }) => snapshot[all])
            : this.rows(`SELECT count(*)::int AS n FROM ${table} ${clause}`, [...params]).then((r) => r[0]!.n)),
      slice: async (start, end) => {
        if (end <= start) return [];
        const n = params.length;
        const rows = await this.rows(
          `SELECT ${columns} FROM ${table} ${clause} ORDER BY ${orderBy} OFFSET $${n + 1} LIMIT $${n + 2}`,
          [...params, start, end - start],
        );
        return rows.map(map);
      },
    };
  }

  /** A per-request DataLoader over a query by ids (rows in any order, matched back by id). */
  /** A per-request DataLoader of the rows of `select` (a table's columns) whose `id` is asked for. */
  private byId<T extends { readonly id: string }>(
    kind: string,
    select: string,
    map: (row: Row) => T,
  ): DataLoader<string, T | null> {
    return this.loader<T>(kind, async (ids) =>
      (await this.rows(`${select} WHERE id = ANY($1::text[])`, [ids])).map(map),
    );
  }

  /**
   * A per-request DataLoader over a query by ids (rows in any order, matched back by id), in front of the version's
   * record cache.
   */
  private loader<T extends { readonly id: string }>(
    kind: string,
    fetch: (ids: string[]) => Promise<T[]>,
  ): DataLoader<string, T | null> {
    return new DataLoader<string, T | null>(
      async (ids) => {
        const out = new Array<T | null>(ids.length).fill(null);
        const missing = this.fromCache(kind, ids, out);
        if (missing.length === 0) return out;
        const byId = new Map((await fetch(missing.map((i) => ids[i]!))).map((r) => [r.id, r]));
        for (const i of missing) out[i] = byId.get(ids[i]!) ?? null;
        this.toCache(kind, byId);
        return out;
      },
      { maxBatchSize: 10_000 },
    );
  }

  /** A per-request DataLoader of children by parent id, in front of the version's record cache. */
  private groups<T>(
    kind: string,
    sql: string,
    map: (row: Row) => T,
    parentOf: (record: T) => string,
  ): DataLoader<string, T[]> {
    return new DataLoader<string, T[]>(
      async (ids) => {
        const out = new Array<T[]>(ids.length);
        const missing = this.fromCache(kind, ids, out as (T[] | null)[]);
        if (missing.length === 0) return out;
        const byParent = new Map<string, T[]>(missing.map((i) => [ids[i]!, []]));
        for (const row of await this.rows(sql, [[...byParent.keys()]])) {
          const record = map(row);
          byParent.get(parentOf(record))?.push(record);
        }
        for (const i of missing) out[i] = byParent.get(ids[i]!)!;
        this.toCache(kind, byParent as Map<string, object>);
        return out;
      },
      { maxBatchSize: 10_000 },
    );
  }

  /** Fills `out` from the cache; returns the indexes of the ids it does not hold. */
  private fromCache<T>(kind: string, ids: readonly string[], out: (T | null)[]): number[] {
    const missing: number[] = [];
    const cache = this.records;
    for (let i = 0; i < ids.length; i++) {
      const hit = cache?.get(`${kind}\u0000${ids[i]}`);
      if (hit === undefined) missing.push(i);
      else {
        out[i] = hit as T;
        this.cacheHits++;
      }
    }
    return missing;
  }

  /** Keeps records read from this request's snapshot, when it is of the cache's version (see connect). */
  private toCache(kind: string, found: ReadonlyMap<string, object>): void {
    const cache = this.records;
    if (!cache) return;
    for (const [id, record] of found) cache.set(`${kind}\u0000${id}`, record);
  }

  private async many<T>(loader: DataLoader<string, T | null>, ids: readonly string[]): Promise<(T | null)[]> {
    const found = await loader.loadMany(ids);
    for (const item of found) if (item instanceof Error) throw item;
    return found as (T | null)[];
  }

  /** Records the archive says exist (ids from another record's columns), in the given order. */
  private async present<T>(loader: DataLoader<string, T | null>, ids: readonly string[]): Promise<T[]> {
    return (await this.many(loader, ids)).filter((r): r is Awaited<T> => r !== null) as T[];
  }
}

/** A record this source made, given back by the GraphQL layer. */
type PgRecord<T> = T extends SeriesFields
  ? PgSeries
  : T extends EpisodeFields
    ? PgEpisode
    : T extends SegmentFields
      ? PgSegment
      : T extends TurnFields
        ? PgTurn
        : T extends SpeakerFields
          ? PgSpeaker
          : never;

const pg = <T>(record: T): PgRecord<T> => record as unknown as PgRecord<T>;
