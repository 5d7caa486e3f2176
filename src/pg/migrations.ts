/**
 * The PostgreSQL archive's schema, as numbered migrations. `npm run sync` applies the ones a database lacks, under
 * the sync's advisory lock (so several syncs started at once migrate it once). A migration is never edited once
 * released: changes come as a new one.
 *
 * The schema is the contract between the sync (src/pg/sync.ts), which writes it, and the replicas
 * (src/pg/source.ts), which read it. Every value is what the in-memory archive (src/archive/build.ts) computes for
 * the same files; comments say how.
 *
 * Order: the API lists things in archive order (series by title, then episode number, chunk, turn number). Rows
 * carry that order as numbers: `series_ord` (the series' rank by title, reassigned by a sync only when a new series
 * sorts before others), `episode_number`, `chunk`, `number`; turns and segments copy what they need of it, so pages
 * and search ties are ordered by an index, with no join.
 */
export const MIGRATIONS: readonly { readonly version: number; readonly name: string; readonly sql: string }[] = [
  {
    version: 1,
    name: 'the archive',
    sql: `
CREATE TABLE transcripts.archive (
  -- One row.
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  -- Changes with every sync that commits a change; replicas key their caches on it (and hear of it by NOTIFY).
  version bigint NOT NULL,
  synced_at timestamptz NOT NULL,
  -- /health counts of the last sync: files seen, errors and warnings among their diagnostics.
  series integer NOT NULL, episodes integer NOT NULL, segments integer NOT NULL, turns integer NOT NULL,
  speakers integer NOT NULL, files integer NOT NULL, errors integer NOT NULL, warnings integer NOT NULL,
  -- Search statistics (BM25): the sum of every turn's token_count.
  tokens bigint NOT NULL
);

-- Every transcript file the last sync saw.
CREATE TABLE transcripts.files (
  -- Relative to the synced folder, '/' separators; files sort by it (load order).
  path text PRIMARY KEY COLLATE "C",
  -- sha256 of the bytes last seen, and of the version whose rows are loaded (null: no good version yet).
  content_hash bytea NOT NULL,
  good_hash bytea,
  -- Every diagnostic of the version last seen, as npm run validate prints them: [{code, severity, message, line}],
  -- plus those of the rules across files (DUPLICATE_SLUG, DUPLICATE_CHUNK) from the last sync.
  diagnostics jsonb NOT NULL,
  -- The loaded version's identity, for the rules across files (first spelling, duplicates): null without one.
  slug text, series text, episode integer, chunk integer, slug_line integer, chunk_line integer,
  -- Participants, then turn speakers in order of first turn, as spelled in the file.
  names text[],
  -- Whether the loaded version is in the archive (false: refused as a duplicate of an earlier file).
  accepted boolean NOT NULL DEFAULT false
);

CREATE TABLE transcripts.series (
  id text PRIMARY KEY,
  -- The first spelling in load order.
  title text NOT NULL,
  -- Rank by title (Intl.Collator('en', { sensitivity: 'accent' })), then id by code unit.
  ord integer NOT NULL UNIQUE
);

CREATE TABLE transcripts.episodes (
  id text PRIMARY KEY,
  series_id text NOT NULL,
  series_ord integer NOT NULL,
  number integer NOT NULL,
  -- The first segment's start, the last segment's end (as the in-memory archive).
  start_smpte text NOT NULL, start_seconds double precision NOT NULL,
  end_smpte text NOT NULL, end_seconds double precision NOT NULL,
  duration_seconds double precision NOT NULL,
  -- Distinct topics across segments, case-insensitively, first spelling, in chunk order.
  topics text[] NOT NULL,
  -- Distinct turn speakers, in order of first turn.
  speaker_ids text[] NOT NULL,
  word_count integer NOT NULL,
  turn_count integer NOT NULL,
  UNIQUE (series_ord, number)
);
CREATE INDEX episodes_speakers ON transcripts.episodes USING gin (speaker_ids);

CREATE TABLE transcripts.segments (
  id text PRIMARY KEY,
  episode_id text NOT NULL,
  series_id text NOT NULL,
  series_ord integer NOT NULL,
  episode_number integer NOT NULL,
  chunk integer NOT NULL,
  -- Position in its episode's segments (by chunk), from 0.
  idx integer NOT NULL,
  file text NOT NULL,
  title text NOT NULL,
  description text,
  summary text,
  fps integer NOT NULL,
  -- Front matter start_time (else timecode's start, else the earliest turn start); end alike.
  start_smpte text NOT NULL, start_seconds double precision NOT NULL,
  end_smpte text NOT NULL, end_seconds double precision NOT NULL,
  duration_seconds double precision NOT NULL,
  topics text[] NOT NULL, tags text[] NOT NULL, topic_tags text[] NOT NULL, entities text[] NOT NULL,
  mentions text[] NOT NULL,
  -- Lower-cased, for the filters (which compare case-insensitively).
  topics_folded text[] NOT NULL, tags_folded text[] NOT NULL, entities_folded text[] NOT NULL,
  mentions_folded text[] NOT NULL,
  -- Distinct turn speakers in order of first turn; distinct participants as listed.
  speaker_ids text[] NOT NULL,
  participant_ids text[] NOT NULL,
  word_count integer NOT NULL,
  turn_count integer NOT NULL,
  UNIQUE (series_ord, episode_number, chunk)
);
CREATE INDEX segments_speakers ON transcripts.segments USING gin (speaker_ids);
CREATE INDEX segments_topics ON transcripts.segments USING gin (topics_folded);
CREATE INDEX segments_tags ON transcripts.segments USING gin (tags_folded);
CREATE INDEX segments_entities ON transcripts.segments USING gin (entities_folded);
CREATE INDEX segments_mentions ON transcripts.segments USING gin (mentions_folded);

CREATE TABLE transcripts.turns (
  segment_id text NOT NULL,
  -- 1-based within the segment.
  number integer NOT NULL,
  episode_id text NOT NULL,
  series_ord integer NOT NULL,
  episode_number integer NOT NULL,
  chunk integer NOT NULL,
  speaker_id text NOT NULL,
  start_smpte text NOT NULL, start_seconds double precision NOT NULL,
  end_smpte text NOT NULL, end_seconds double precision NOT NULL,
  word_count integer NOT NULL,
  text text NOT NULL,
  -- Search: the folded words (src/search/tokens.ts) with their positions, as a tsvector PostgreSQL never makes
  -- itself, and how many words the turn has (BM25's document length).
  tokens tsvector NOT NULL,
  token_count integer NOT NULL,
  PRIMARY KEY (segment_id, number)
);
CREATE UNIQUE INDEX turns_order ON transcripts.turns (series_ord, episode_number, chunk, number);
CREATE INDEX turns_speaker ON transcripts.turns (speaker_id, series_ord, episode_number, chunk, number);
CREATE INDEX turns_tokens ON transcripts.turns USING gin (tokens);

CREATE TABLE transcripts.speakers (
  id text PRIMARY KEY,
  -- The first spelling in load order (participants, then turn speakers, file by file).
  name text NOT NULL,
  word_count integer NOT NULL,
  -- The sum, in archive order, of each turn's end minus start, rounded to the nanosecond.
  talk_time_seconds double precision NOT NULL,
  turn_count integer NOT NULL
);

-- Search statistics: in how many turns each word occurs (BM25's document frequency).
CREATE TABLE transcripts.terms (
  term text PRIMARY KEY COLLATE "C",
  df integer NOT NULL
);
`,
  },
];

/** The channel a committed sync notifies, with the new version as payload. */
export const ARCHIVE_CHANNEL = 'transcripts_archive';
/** The advisory lock every sync holds for its whole transaction (migrations included). */
export const SYNC_LOCK = 0x7472616e; // 'tran'
