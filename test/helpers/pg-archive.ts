/**
 * The PostgreSQL archive's rows, and the rows the in-memory archive says it should hold (src/pg/migrations.ts
 * says how each column follows from the records), in one shape, so a test compares them with one toEqual per table.
 * The expected words are made with `words()` (src/search/text.ts), not the sync's TermDictionary: a second
 * implementation checks the first.
 */
import pg from 'pg';

import type { Archive } from '../../src/archive/index.js';
import { compareCodeUnits } from '../../src/lib/order.js';
import { words } from '../../src/search/text.js';

export interface ArchiveRows {
  readonly series: unknown[];
  readonly episodes: unknown[];
  readonly segments: unknown[];
  readonly turns: unknown[];
  readonly speakers: unknown[];
  readonly terms: unknown[];
  readonly archive: Record<string, number>;
}

const byTerm = (a: [string, unknown], b: [string, unknown]) => compareCodeUnits(a[0], b[0]);
const folded = (values: readonly string[]) => [...new Set(values.map((v) => v.toLowerCase()))];

/** A turn's words with their 1-based positions, by word. */
function tokensOf(text: string): [string, number[]][] {
  const positions = new Map<string, number[]>();
  words(text).forEach((word, i) => {
    const list = positions.get(word);
    if (list) list.push(i + 1);
    else positions.set(word, [i + 1]);
  });
  return [...positions].sort(byTerm);
}

/** What the database should hold for `archive`. */
export function expectedRows(archive: Archive): ArchiveRows {
  const ordOf = new Map(archive.series.map((s, ord) => [s.id, ord]));
  const df = new Map<string, number>();
  let tokens = 0;
  const turns = [...archive.turns].map((t) => {
    const all = words(t.text);
    tokens += all.length;
    for (const word of new Set(all)) df.set(word, (df.get(word) ?? 0) + 1);
    const segment = t.segment;
    return {
      segment_id: segment.id,
      number: t.number,
      episode_id: segment.episode.id,
      series_ord: ordOf.get(segment.episode.series.id),
      episode_number: segment.episode.number,
      chunk: segment.chunk,
      speaker_id: t.speaker.id,
      start_smpte: t.start.smpte,
      start_seconds: t.start.seconds,
      end_smpte: t.end.smpte,
      end_seconds: t.end.seconds,
      word_count: t.wordCount,
      text: t.text,
      token_count: all.length,
      tokens: tokensOf(t.text),
    };
  });
  return {
    series: archive.series.map((s, ord) => ({ id: s.id, title: s.title, ord })),
    episodes: archive.episodes.map((e) => ({
      id: e.id,
      series_id: e.series.id,
      series_ord: ordOf.get(e.series.id),
      number: e.number,
      start_smpte: e.start.smpte,
      start_seconds: e.start.seconds,
      end_smpte: e.end.smpte,
      end_seconds: e.end.seconds,
      duration_seconds: e.durationSeconds,
      topics: e.topics,
      speaker_ids: e.speakers.map((s) => s.id),
      word_count: e.wordCount,
      turn_count: e.turns.length,
    })),
    segments: archive.segments.map((s) => ({
      id: s.id,
      episode_id: s.episode.id,
      series_id: s.episode.series.id,
      series_ord: ordOf.get(s.episode.series.id),
      episode_number: s.episode.number,
      chunk: s.chunk,
      idx: s.index,
      file: s.file,
      title: s.title,
      description: s.description,
      summary: s.summary,
      fps: s.fps,
      start_smpte: s.start.smpte,
      start_seconds: s.start.seconds,
      end_smpte: s.end.smpte,
      end_seconds: s.end.seconds,
      duration_seconds: s.durationSeconds,
      topics: s.topics,
      tags: s.tags,
      topic_tags: s.topicTags,
      entities: s.entities,
      mentions: s.mentions,
      topics_folded: folded(s.topics),
      tags_folded: folded(s.tags),
      entities_folded: folded(s.entities),
      mentions_folded: folded(s.mentions),
      speaker_ids: s.speakers.map((p) => p.id),
      participant_ids: s.participants.map((p) => p.id),
      word_count: s.wordCount,
      turn_count: s.turns.length,
    })),
    turns,
    speakers: archive.speakers.map((s) => ({
      id: s.id,
      name: s.name,
      word_count: s.wordCount,
      talk_time_seconds: s.talkTimeSeconds,
      turn_count: s.turns.length,
    })),
    terms: [...df].sort(byTerm).map(([term, n]) => ({ term, df: n })),
    archive: { ...archive.stats, tokens },
  };
}

/** What the database holds, in archive order. */
export async function databaseRows(url: string): Promise<ArchiveRows> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rows = async (sql: string) => (await client.query(sql)).rows as Record<string, unknown>[];
    const turns = await rows(
      `SELECT segment_id, number, episode_id, series_ord, episode_number, chunk, speaker_id, start_smpte,
              start_seconds, end_smpte, end_seconds, word_count, text, token_count,
              (SELECT coalesce(json_agg(json_build_array(lexeme, positions)), '[]') FROM unnest(tokens)) AS tokens
         FROM transcripts.turns ORDER BY series_ord, episode_number, chunk, number`,
    );
    for (const turn of turns) (turn.tokens as [string, number[]][]).sort(byTerm);
    const terms = (await rows('SELECT term, df FROM transcripts.terms')) as { term: string; df: number }[];
    const [archive] = await rows(
      'SELECT series, episodes, segments, turns, speakers, files, errors, warnings, tokens FROM transcripts.archive',
    );
    return {
      series: await rows('SELECT id, title, ord FROM transcripts.series ORDER BY ord'),
      episodes: await rows('SELECT * FROM transcripts.episodes ORDER BY series_ord, number'),
      segments: await rows('SELECT * FROM transcripts.segments ORDER BY series_ord, episode_number, chunk'),
      turns,
      speakers: await rows('SELECT * FROM transcripts.speakers ORDER BY id COLLATE "C"'),
      terms: terms.sort((a, b) => compareCodeUnits(a.term, b.term)),
      archive: archive ? { ...(archive as Record<string, number>), tokens: Number(archive.tokens) } : {},
    };
  } finally {
    await client.end();
  }
}
