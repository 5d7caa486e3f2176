/**
 * The rows that sum up others, recomputed from the database's rows after a sync changed them: episodes from their
 * segments, speakers from their turns (as src/archive/build.ts computes them in memory).
 */
import { roundSeconds } from '../parser/index.js';
import type { PoolClient } from './client.js';
import type { SpeakerCount } from './rows.js';

const distinct = (values: Iterable<string>): string[] => [...new Set(values)];

interface SegmentAggregate {
  episode_id: string;
  id: string;
  series_id: string;
  series_ord: number;
  episode_number: number;
  idx: number;
  start_smpte: string;
  start_seconds: number;
  end_smpte: string;
  end_seconds: number;
  topics: string[];
  speaker_ids: string[];
  word_count: number;
  turn_count: number;
}

/** Recomputes the episodes' rows (and their segments' positions) from their segments' rows, as the build does. */
export async function recomputeEpisodes(client: PoolClient, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const { rows } = await client.query<SegmentAggregate>(
    `SELECT episode_id, id, series_id, series_ord, episode_number, idx, start_smpte, start_seconds, end_smpte,
            end_seconds, topics, speaker_ids, word_count, turn_count
       FROM transcripts.segments WHERE episode_id = ANY($1) ORDER BY episode_id, chunk`,
    [ids],
  );
  const byEpisode = new Map<string, SegmentAggregate[]>();
  for (const row of rows) {
    const list = byEpisode.get(row.episode_id);
    if (list) list.push(row);
    else byEpisode.set(row.episode_id, [row]);
  }
  const episodes: object[] = [];
  const moved: { id: string; idx: number }[] = [];
  for (const [id, segments] of byEpisode) {
    const first = segments[0]!;
    const last = segments.at(-1)!;
    const topics: string[] = [];
    const seenTopics = new Set<string>();
    for (const topic of segments.flatMap((s) => s.topics)) {
      const key = topic.toLowerCase();
      if (!seenTopics.has(key)) {
        seenTopics.add(key);
        topics.push(topic);
      }
    }
    episodes.push({
      id,
      series_id: first.series_id,
      series_ord: first.series_ord,
      number: first.episode_number,
      start_smpte: first.start_smpte,
      start_seconds: first.start_seconds,
      end_smpte: last.end_smpte,
      end_seconds: last.end_seconds,
      duration_seconds: roundSeconds(last.end_seconds - first.start_seconds),
      topics,
      speaker_ids: distinct(segments.flatMap((s) => s.speaker_ids)),
      word_count: segments.reduce((sum, s) => sum + s.word_count, 0),
      turn_count: segments.reduce((sum, s) => sum + s.turn_count, 0),
    });
    segments.forEach((s, idx) => {
      if (s.idx !== idx) moved.push({ id: s.id, idx });
    });
  }
  if (episodes.length > 0) {
    await client.query(
      `INSERT INTO transcripts.episodes SELECT * FROM json_populate_recordset(NULL::transcripts.episodes, $1)
       ON CONFLICT (id) DO UPDATE SET series_id = EXCLUDED.series_id, series_ord = EXCLUDED.series_ord,
         number = EXCLUDED.number, start_smpte = EXCLUDED.start_smpte, start_seconds = EXCLUDED.start_seconds,
         end_smpte = EXCLUDED.end_smpte, end_seconds = EXCLUDED.end_seconds,
         duration_seconds = EXCLUDED.duration_seconds, topics = EXCLUDED.topics, speaker_ids = EXCLUDED.speaker_ids,
         word_count = EXCLUDED.word_count, turn_count = EXCLUDED.turn_count`,
      [JSON.stringify(episodes)],
    );
  }
  if (moved.length > 0) {
    await client.query(
      `UPDATE transcripts.segments s SET idx = m.idx FROM unnest($1::text[], $2::int[]) m(id, idx)
        WHERE s.id = m.id`,
      [moved.map((m) => m.id), moved.map((m) => m.idx)],
    );
  }
}

/**
 * Makes the speakers table hold `names` (id -> first spelling), with counts recomputed from the turns for the
 * speakers in `recount` (null: all of them) and for new ones, or taken from `counted` (which covers every turn).
 */
export async function syncSpeakers(
  client: PoolClient,
  names: ReadonlyMap<string, string>,
  recount: ReadonlySet<string> | null,
  counted: ReadonlyMap<string, SpeakerCount> | null,
): Promise<void> {
  const { rows } = await client.query<{
    id: string;
    name: string;
    word_count: number;
    talk_time_seconds: number;
    turn_count: number;
  }>('SELECT id, name, word_count, talk_time_seconds, turn_count FROM transcripts.speakers');
  const current = new Map(rows.map((row) => [row.id, row]));
  const wanted = [...names.keys()];
  await client.query('DELETE FROM transcripts.speakers WHERE NOT (id = ANY($1))', [wanted]);
  const counting = wanted.filter((id) => recount === null || recount.has(id) || !current.has(id));
  const counts = new Map(counted ?? []);
  if (counting.length > 0 && !counted) {
    // The talk time is summed in archive order, as the build adds it up, then rounded the same way (below).
    const { rows: sums } = await client.query<{ id: string; words: number; turns: number; talk: number }>(
      `SELECT speaker_id AS id, sum(word_count)::int AS words, count(*)::int AS turns,
              sum(end_seconds - start_seconds ORDER BY series_ord, episode_number, chunk, number) AS talk
         FROM transcripts.turns WHERE speaker_id = ANY($1) GROUP BY speaker_id`,
      [counting],
    );
    for (const row of sums) counts.set(row.id, row);
  }
  const changes: object[] = [];
  for (const id of wanted) {
    const before = current.get(id);
    const counted = counts.get(id);
    const row =
      recount === null || recount.has(id) || !before
        ? {
            id,
            name: names.get(id)!,
            word_count: counted?.words ?? 0,
            talk_time_seconds: roundSeconds(counted?.talk ?? 0),
            turn_count: counted?.turns ?? 0,
          }
        : { ...before, name: names.get(id)! };
    if (
      !before ||
      before.name !== row.name ||
      before.word_count !== row.word_count ||
      before.talk_time_seconds !== row.talk_time_seconds ||
      before.turn_count !== row.turn_count
    ) {
      changes.push(row);
    }
  }
  if (changes.length > 0) {
    await client.query(
      `INSERT INTO transcripts.speakers SELECT * FROM json_populate_recordset(NULL::transcripts.speakers, $1)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, word_count = EXCLUDED.word_count,
         talk_time_seconds = EXCLUDED.talk_time_seconds, turn_count = EXCLUDED.turn_count`,
      [JSON.stringify(changes)],
    );
  }
}
